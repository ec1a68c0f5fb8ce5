/**
 * Cloud GPU offers: `data/cloud_prices.csv` (copied from shared/reference with its sources), one
 * offer per row, each tied to the catalog device that runs it. Prices are per GPU-hour as the
 * provider bills them; `basis` says what the price covers (a whole instance, a GPU-only component
 * of a VM, a serverless second-billed GPU), because those are not the same money.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { CATALOG_CACHE_DIR, cachedParse, sourceText } from './_parsed-cache.ts';
import type { ReadTextFile } from './devices.ts';
import { DEVICE_CATALOG_PATH, getDevice, matchDevice } from './devices.ts';
import type { Device } from './devices.types.ts';
import { CatalogError } from './errors.ts';

export const CLOUD_PRICES_PATH = fileURLToPath(new URL('../../data/cloud_prices.csv', import.meta.url));

export interface CloudOffer {
  provider: string;
  /** The provider's GPU label, as listed. */
  gpu: string;
  device: Device;
  usdPerHour: number;
  /** When the price was read ("2026-05-07" or "undated catalog snapshot …"). */
  date: string;
  source: string;
  /** What the price covers, as the source states it. */
  basis: string;
  pricingType: string;
  /** True when the price is the GPU alone and the VM around it is billed on top (GCP components). */
  gpuOnly: boolean;
}

const row = z.object({
  provider: z.string().min(1),
  gpu: z.string().min(1),
  usd_per_hour: z.coerce.number().positive(),
  date: z.string().min(1),
  source: z.string().min(1),
  vram_gb: z.coerce.number().positive().optional(),
  price_basis: z.string(),
  pricing_type: z.string(),
});

/**
 * A provider label to a catalog query: serverless tiers list several GPUs ("L4 / A5000 / RTX 3090
 * tier") and billed at one price — the first named is the one the tier is priced for.
 */
export function cloudGpuQuery(label: string): string {
  return label
    .split('/')[0]!
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\btier\b/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface CloudCatalog {
  offers: CloudOffer[];
  /** Listed GPUs the device catalog does not hold (their speed cannot be estimated): "Provider GPU". */
  unmatched: string[];
}

export function parseCloudPrices(text: string, label = 'data/cloud_prices.csv'): CloudCatalog {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    throw new CatalogError('corrupt-catalog', `${label}: not a readable CSV (${(err as Error).message})`, {
      cause: err,
    });
  }
  const offers: CloudOffer[] = [];
  const unmatched: string[] = [];
  records.forEach((r, i) => {
    const p = row.safeParse(r);
    if (!p.success) {
      const issue = p.error.issues[0]!;
      throw new CatalogError(
        'corrupt-catalog',
        `${label} row ${i + 2}: ${issue.path.join('.') || 'row'}: ${issue.message}`,
      );
    }
    // The listed memory picks the variant ("RTX 3060" with 12 GB) the way a probe's reading does.
    const q = cloudGpuQuery(p.data.gpu);
    let m = p.data.vram_gb && !/\d\s*GB/i.test(q) ? matchDevice(`${q} ${p.data.vram_gb}GB`) : matchDevice(q);
    if (m.kind === 'unknown') m = matchDevice(q);
    if (m.kind === 'unknown') {
      unmatched.push(`${p.data.provider} ${p.data.gpu}`);
      return;
    }
    offers.push({
      provider: p.data.provider,
      gpu: p.data.gpu,
      device: m.device,
      usdPerHour: p.data.usd_per_hour,
      date: p.data.date,
      source: p.data.source,
      basis: p.data.price_basis,
      pricingType: p.data.pricing_type,
      gpuOnly: /GPU-only/i.test(p.data.price_basis),
    });
  });
  return { offers, unmatched };
}

/** Reads and parses the offers; the reader is a seam for tests (corrupt files). */
export function loadCloudCatalog(read: ReadTextFile = (p) => readFileSync(p, 'utf8')): CloudCatalog {
  let text: string;
  try {
    text = read(CLOUD_PRICES_PATH);
  } catch (err) {
    throw new CatalogError('missing-catalog', `cannot read ${CLOUD_PRICES_PATH}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseCloudPrices(text);
}

let cached: CloudCatalog | undefined;

/** A cached offer names its device by id (`_parsed-cache.ts`). */
type StoredOffer = Omit<CloudOffer, 'device'> & { deviceId: string };

/**
 * The shipped offers, parsed once per process, and across processes from the JSON cache: keyed by
 * both CSVs and the sources that parse and match them, since an offer's device comes from matching
 * its label against the device catalog.
 */
export const cloudCatalog = (): CloudCatalog => {
  if (cached) return cached;
  const stored = cachedParse(
    'cloud-prices',
    [
      () => readFileSync(CLOUD_PRICES_PATH, 'utf8'),
      () => readFileSync(DEVICE_CATALOG_PATH, 'utf8'),
      ...['./cloud.ts', './devices.ts', './_device-match.ts', './_device-names.ts', './_similar.ts'].map(
        (f) => () => sourceText(new URL(f, import.meta.url).href),
      ),
    ],
    () => {
      const c = loadCloudCatalog();
      return { offers: c.offers.map(({ device, ...o }) => ({ ...o, deviceId: device.id })), unmatched: c.unmatched };
    },
    CATALOG_CACHE_DIR,
  );
  const offers = stored.offers.map(({ provider, gpu, deviceId, ...rest }: StoredOffer) => ({
    provider,
    gpu,
    device: getDevice(deviceId),
    ...rest,
  }));
  // A device id the catalog no longer has cannot come from a cache keyed by the catalog; parse anyway if so.
  cached = offers.every((o): o is CloudOffer => o.device !== undefined)
    ? { offers, unmatched: stored.unmatched }
    : loadCloudCatalog();
  return cached;
};
