/**
 * Money: what 1000 images cost on a machine you own (electricity, and the purchase spread over the
 * card's service life) and on a rented cloud GPU (its hourly price), and the volume at which buying
 * pays off. Pure arithmetic over stated assumptions; every assumption is here with its reason.
 */
import type { Device } from '../catalog/devices.types.ts';

export interface Assumption {
  value: number;
  reason: string;
}

export const ECONOMICS = {
  electricityUsdPerKWh: {
    value: 0.3,
    reason: 'assumed default, between typical US (~0.17) and EU (~0.30) household tariffs; set --electricity',
  },
  hostPowerW: {
    value: 80,
    reason:
      'CPU, board, RAM, fans and PSU losses of a desktop while its GPU generates (assumed); a datacenter host is in the rental price',
  },
  gpuLoadFraction: {
    value: 1,
    reason: 'diffusion keeps the GPU compute-bound at its board power limit, so the TDP is the draw (an upper bound)',
  },
  serviceLifeHours: {
    value: 3 * 365 * 8,
    reason: 'amortise a purchase over 3 years of 8 generating hours a day (assumed)',
  },
} satisfies Record<string, Assumption>;

export interface LocalCost {
  /** Wall power while generating, W; null when the catalog has no power figure for the device. */
  powerW: number | null;
  electricityPer1000Usd: number | null;
  /** Launch price spread over the service life; null without a price. */
  amortisationPer1000Usd: number | null;
  costPer1000Usd: number | null;
}

/** Board power plus the host's share. Unified-memory SoCs list no board power in the catalog. */
export function wallPowerW(d: Device): number | null {
  if (d.tdpW === null) return null;
  return d.tdpW * ECONOMICS.gpuLoadFraction.value + ECONOMICS.hostPowerW.value;
}

export function localCost(
  d: Device,
  imagesPerHour: number,
  electricityUsdPerKWh: number,
  opts: { owned?: boolean } = {},
): LocalCost {
  const hoursPer1000 = 1000 / imagesPerHour;
  const powerW = wallPowerW(d);
  const electricity = powerW === null ? null : (powerW / 1000) * hoursPer1000 * electricityUsdPerKWh;
  // A machine already owned costs only its electricity at the margin.
  const amortisation = opts.owned
    ? 0
    : d.launchPriceUsd === null
      ? null
      : (d.launchPriceUsd / ECONOMICS.serviceLifeHours.value) * hoursPer1000;
  const total = electricity === null || amortisation === null ? null : electricity + amortisation;
  return { powerW, electricityPer1000Usd: electricity, amortisationPer1000Usd: amortisation, costPer1000Usd: total };
}

export const cloudCostPer1000 = (usdPerHour: number, imagesPerHour: number) => (usdPerHour / imagesPerHour) * 1000;

/**
 * Images after which buying `priceUsd` of hardware is cheaper than renting: price + n·local = n·cloud.
 * null when renting is cheaper per image than the electricity alone (buying never pays off).
 */
export function breakEvenImages(priceUsd: number, localPerImageUsd: number, cloudPerImageUsd: number): number | null {
  const saving = cloudPerImageUsd - localPerImageUsd;
  return saving > 0 ? Math.ceil(priceUsd / saving) : null;
}
