/**
 * The production plan: a target (N images of a workload within a time, optionally a purchase budget)
 * against this machine, the catalog's GPUs and the cloud offers. Says whether the machine meets it,
 * which are the cheapest GPUs that do and what a cheaper one gives up, what 1000 images cost locally
 * and rented, and when buying pays off. Pure: a Machine and a request in, a value out.
 */
import { type CloudOffer, cloudCatalog } from '../catalog/cloud.ts';
import type { Device } from '../catalog/devices.types.ts';
import type { Calibration } from '../cost/calibration.ts';
import { makeWorkload, type WorkloadInput } from '../cost/workload.ts';
import { rate, usd } from '../text/units.ts';
import { breakEvenImages, cloudCostPer1000, ECONOMICS, type LocalCost, localCost } from './economics.ts';
import {
  type Establishment,
  establish,
  establishmentJson,
  type LadderPins,
  type LadderRung,
  rungJson,
  tightNote,
} from './ladder.ts';
import type { Machine } from './machine.ts';
import { type AssumedHost, type RankedDevice, rankDevices } from './ranking.ts';
import type { TierLevel } from './tiers.ts';
import { type FailurePattern, tierOf } from './verdict.ts';

export const PLAN_SCHEMA_VERSION = 1;

export interface PlanRequest {
  workload: WorkloadInput;
  images: number;
  withinHours: number;
  /** Most the person will pay for a GPU, USD; null = no limit. */
  budgetUsd: number | null;
  electricityUsdPerKWh: number;
  machine: Machine;
  /** This machine's `genready bench` calibration (never applied to other devices). */
  calibration?: Calibration | null;
  /** Offers to compare with (default: the shipped cloud price table). */
  offers?: readonly CloudOffer[];
  /** Devices to consider buying (default: the catalog's GPUs). */
  devices?: readonly Device[];
  /** What the user fixed on the ladder (`--strategy`, `--no-quantize`; `--precision` is in the workload). */
  pins?: LadderPins;
}

export interface DeviceRef {
  id: string;
  name: string;
  vendor: string;
  memoryGiB: number | null;
  launchPriceUsd: number | null;
  segment: string;
}

export interface Candidate {
  device: DeviceRef;
  tier: TierLevel;
  strategy: string;
  /** The ladder's rung that establishes the workload on this card, and its grade. */
  rung: string | null;
  rungLabel: string | null;
  fitGrade: string;
  batch: number;
  fits: boolean;
  imagesPerHour: number;
  hoursToFinish: number;
  meets: boolean;
  withinBudget: boolean;
  local: LocalCost;
  /** The desktop this card is judged in (RAM, CPU, power). */
  host: AssumedHost;
}

export interface CloudOption {
  provider: string;
  gpu: string;
  device: DeviceRef;
  usdPerHour: number;
  date: string;
  source: string;
  basis: string;
  gpuOnly: boolean;
  strategy: string;
  rung: string;
  rungLabel: string;
  fitGrade: string;
  batch: number;
  imagesPerHour: number;
  costPer1000Usd: number;
  hoursToFinish: number;
  /** GPUs rented side by side to finish within the time asked. */
  gpusForDeadline: number;
  totalUsd: number;
}

const ref = (d: Device): DeviceRef => ({
  id: d.id,
  name: d.name,
  vendor: d.vendor,
  memoryGiB: d.memoryGiB,
  launchPriceUsd: d.launchPriceUsd,
  segment: d.segment,
});

function candidate(r: RankedDevice, req: PlanRequest): Candidate {
  const hours = req.images / r.imagesPerHour;
  const price = r.device.launchPriceUsd;
  return {
    device: ref(r.device),
    tier: r.tier,
    strategy: r.strategy,
    rung: r.ladder.chosen?.step.id ?? null,
    rungLabel: r.ladder.chosen?.step.label ?? null,
    fitGrade: r.fitGrade,
    batch: r.batch,
    fits: r.fits,
    imagesPerHour: r.imagesPerHour,
    hoursToFinish: hours,
    meets: r.fits && hours <= req.withinHours,
    withinBudget: price !== null && (req.budgetUsd === null || price <= req.budgetUsd),
    local: localCost(r.device, r.imagesPerHour, req.electricityUsdPerKWh),
    host: r.host,
  };
}

function cloudOption(o: CloudOffer, t: LadderRung, req: PlanRequest): CloudOption {
  const hours = req.images / t.imagesPerHour;
  const gpus = Math.max(1, Math.ceil(hours / req.withinHours));
  return {
    provider: o.provider,
    gpu: o.gpu,
    device: ref(o.device),
    usdPerHour: o.usdPerHour,
    date: o.date,
    source: o.source,
    basis: o.basis,
    gpuOnly: o.gpuOnly,
    strategy: t.step.strategy,
    rung: t.step.id,
    rungLabel: t.step.label,
    fitGrade: t.fitGrade,
    batch: t.batch,
    imagesPerHour: t.imagesPerHour,
    costPer1000Usd: cloudCostPer1000(o.usdPerHour, t.imagesPerHour),
    hoursToFinish: hours,
    gpusForDeadline: gpus,
    totalUsd: hours * o.usdPerHour,
  };
}

/** Why a cheaper device misses the target, in a sentence. */
function givesUp(c: Candidate, req: PlanRequest): string {
  if (!c.fits) return `${c.device.name} cannot hold the workload on any rung of the ladder`;
  const how = c.rungLabel ?? c.strategy;
  return `${c.device.name} runs it ${how} at ${rate(c.imagesPerHour)} images/hour: ${c.hoursToFinish.toFixed(1)} h instead of ${req.withinHours} h`;
}

export function plan(req: PlanRequest) {
  const w = makeWorkload(req.workload);
  const m = req.machine;
  const needRate = req.images / req.withinHours;

  // This machine: the ladder of what it would give up to establish the workload, and its answer.
  const ctx = { host: m.host, ramGiB: m.ramGiB, calibration: req.calibration ?? null };
  const pins = req.pins ?? {};
  const ladder: Establishment = establish(m.device, req.workload, ctx, pins);
  // "Meets it" is the ladder's: its chosen rung, or where that is too slow for the target, the best
  // quality among the faster rungs that fit and are fast enough (said as such).
  const fastEnough = (r: LadderRung) => r.fits && req.images / r.imagesPerHour <= req.withinHours;
  const meetsWith: LadderRung | null =
    ladder.chosen && fastEnough(ladder.chosen)
      ? ladder.chosen
      : (ladder.rungs
          .filter(fastEnough)
          .sort((a, b) => a.step.qualityCost - b.step.qualityCost || a.secondsPerImage - b.secondsPerImage)[0] ?? null);
  const own = meetsWith ?? ladder.chosen;
  const ownHours = own ? req.images / own.imagesPerHour : Infinity;
  const machineMeets = meetsWith !== null;
  const ownCost = localCost(m.device, own ? own.imagesPerHour : 0, req.electricityUsdPerKWh, { owned: true });

  // Devices to buy: priced, evaluated in a typical desktop.
  const ranked = rankDevices(req.workload, { ...(req.devices ? { devices: req.devices } : {}), pins });
  const all = ranked.filter((r) => r.device.launchPriceUsd !== null).map((r) => candidate(r, req));
  const byPrice = (a: Candidate, b: Candidate) =>
    a.device.launchPriceUsd! - b.device.launchPriceUsd! || b.imagesPerHour - a.imagesPerHour;
  const meeting = all.filter((c) => c.meets).sort(byPrice);
  const affordable = meeting.filter((c) => c.withinBudget);
  const cheapest = affordable[0] ?? null;
  const cheaper = cheapest
    ? all
        .filter((c) => !c.meets && c.device.launchPriceUsd! < cheapest.device.launchPriceUsd!)
        .sort(byPrice)
        .reverse()[0]
    : undefined;

  // Cloud: every offer on the device it rents, cheapest per image first.
  const offers = req.offers ?? cloudCatalog().offers;
  const throughputOn = new Map<string, LadderRung | null>();
  const cloud = offers
    .map((o) => {
      // A rented machine brings the RAM its GPU needs: no host limit, no CPU rung.
      if (!throughputOn.has(o.device.id))
        throughputOn.set(o.device.id, establish(o.device, req.workload, {}, pins).chosen);
      const t = throughputOn.get(o.device.id);
      return t ? cloudOption(o, t, req) : null;
    })
    .filter((x): x is CloudOption => x !== null)
    .sort((a, b) => a.costPer1000Usd - b.costPer1000Usd);
  const bestCloud = cloud[0] ?? null;

  // Break-even: the local GPU to buy (or this machine, already paid for) against the cheapest rental.
  let breakEven: { images: number | null; device: string | null; versus: string | null; explanation: string };
  const perImage = (usdPer1000: number | null) => (usdPer1000 ?? 0) / 1000;
  if (!bestCloud)
    breakEven = {
      images: null,
      device: null,
      versus: null,
      explanation: 'no cloud offer in the price table runs this workload',
    };
  else if (machineMeets && m.device.backend !== 'cpu') {
    const cheaperHere = (ownCost.electricityPer1000Usd ?? 0) < bestCloud.costPer1000Usd;
    breakEven = {
      images: 0,
      device: m.device.name,
      versus: `${bestCloud.provider} ${bestCloud.gpu}`,
      explanation: cheaperHere
        ? `this machine is already paid for: each 1000 images cost ${usd(ownCost.electricityPer1000Usd)} of electricity here vs ${usd(bestCloud.costPer1000Usd)} rented`
        : `renting (${usd(bestCloud.costPer1000Usd)} per 1000) is cheaper than the electricity here (${usd(ownCost.electricityPer1000Usd)})`,
    };
  } else if (cheapest && cheapest.device.launchPriceUsd !== null) {
    const n = breakEvenImages(
      cheapest.device.launchPriceUsd,
      perImage(cheapest.local.electricityPer1000Usd),
      bestCloud.costPer1000Usd / 1000,
    );
    breakEven = {
      images: n,
      device: cheapest.device.name,
      versus: `${bestCloud.provider} ${bestCloud.gpu}`,
      explanation:
        n === null
          ? `renting ${bestCloud.gpu} at ${bestCloud.provider} (${usd(bestCloud.costPer1000Usd)} per 1000) is cheaper than the electricity of a ${cheapest.device.name}: buying never pays off`
          : `a ${cheapest.device.name} (${usd(cheapest.device.launchPriceUsd)}, the GPU alone) pays for itself after ${n.toLocaleString('en-US')} images against ${bestCloud.provider} ${bestCloud.gpu} at ${usd(bestCloud.costPer1000Usd)} per 1000`,
    };
  } else
    breakEven = {
      images: null,
      device: null,
      versus: bestCloud ? `${bestCloud.provider} ${bestCloud.gpu}` : null,
      explanation:
        req.budgetUsd === null
          ? 'no single GPU to buy meets the target'
          : `no GPU within ${usd(req.budgetUsd)} meets the target`,
    };

  const patterns: FailurePattern[] = [];
  const desktopMeets = meeting.some((c) => c.device.segment !== 'datacenter');
  const singleCloudMeets = cloud.some((c) => c.hoursToFinish <= req.withinHours);
  if (!desktopMeets && (meeting.length > 0 || cloud.length > 0)) {
    const many =
      !singleCloudMeets && bestCloud
        ? ` — even rented, it takes ${bestCloud.gpusForDeadline} ${bestCloud.gpu} GPUs side by side`
        : '';
    patterns.push({
      id: 'planned-from-the-cloud',
      message: `The target (${Math.ceil(needRate)} images/hour) is met only by datacenter GPUs${many}: it was planned from what a cloud service delivers.`,
      advice: 'Rent for this volume, lower the resolution or steps, or allow more time; no desktop GPU reaches it.',
    });
  }

  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    request: {
      model: w.model.id,
      width: w.width,
      height: w.height,
      steps: w.steps,
      precision: w.precision.denoiser,
      images: req.images,
      withinHours: req.withinHours,
      imagesPerHourNeeded: needRate,
      budgetUsd: req.budgetUsd,
      electricityUsdPerKWh: req.electricityUsdPerKWh,
    },
    machine: {
      device: { id: m.device.id, name: m.device.name },
      note: m.deviceNote,
      meets: machineMeets,
      fits: ladder.chosen !== null,
      /** The ladder's verdict for this machine: rung, fit grade, speed, reason. */
      verdict: establishmentJson(ladder),
      /** The rung the plan's answer is on: the ladder's choice, or the rung that meets the target. */
      rung: own ? own.step.id : null,
      rungLabel: own ? own.step.label : null,
      fitGrade: own ? own.fitGrade : 'does-not-fit',
      strategy: own ? own.step.strategy : ladder.rungs[0]!.step.strategy,
      batch: own ? own.batch : ladder.rungs[0]!.batch,
      basis: own ? own.basis : 'estimated',
      /** 0 images/hour and an unbounded time (null in JSON) where nothing runs: no throughput for what does not run. */
      imagesPerHour: own ? own.imagesPerHour : 0,
      hoursToFinish: ownHours,
      tier: tierOf(m).level,
      local: ownCost,
      ladder: ladder.rungs.map(rungJson),
      ladderChoice: ladder.chosen ? ladder.chosen.step.label : null,
      why: !own
        ? ladder.reason
        : machineMeets
          ? `${rate(own.imagesPerHour)} images/hour ${own.step.label} (batch ${own.batch}) finishes in ${ownHours.toFixed(1)} h${own !== ladder.chosen ? ` (the ladder's first choice, ${ladder.chosen?.step.label}, is too slow for the target)` : ''}${own.fitGrade === 'tight' ? `; ${tightNote(own, own === ladder.chosen ? ladder.comfortable : null)}` : ''}`
          : `${rate(own.imagesPerHour)} images/hour ${own.step.label} (batch ${own.batch}) needs ${ownHours.toFixed(1)} h, more than ${req.withinHours} h`,
    },
    candidates: meeting,
    cheapest,
    cheaperAlternative: cheaper ? { ...cheaper, givesUp: givesUp(cheaper, req) } : null,
    /** Cheapest meeting device regardless of budget, when the budget rules every one out. */
    overBudget: !cheapest && meeting[0] ? meeting[0] : null,
    cloud,
    unpricedCloud: cloudCatalog().unmatched,
    breakEven,
    patterns,
    assumptions: {
      electricityUsdPerKWh: {
        value: req.electricityUsdPerKWh,
        reason:
          req.electricityUsdPerKWh === ECONOMICS.electricityUsdPerKWh.value
            ? ECONOMICS.electricityUsdPerKWh.reason
            : 'given',
      },
      hostPowerW: ECONOMICS.hostPowerW,
      gpuLoadFraction: ECONOMICS.gpuLoadFraction,
      serviceLifeHours: ECONOMICS.serviceLifeHours,
      purchase: { value: 0, reason: 'launch price of the GPU alone (catalog); the rest of the PC is not counted' },
      candidateHost: {
        value: 32,
        reason: 'each GPU to buy is evaluated in a desktop with 32 GiB RAM and an 8-core CPU (assumed)',
      },
    },
  };
}

export type PlanJson = ReturnType<typeof plan>;
