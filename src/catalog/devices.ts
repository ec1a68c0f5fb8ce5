/**
 * The device catalog: `data/devices.csv` (format described in `data/devices.meta.json`, rebuilt by
 * `scripts/build-devices.ts`), validated row by row, cached, and searchable by name.
 *
 * Reading goes through a `readFile` seam so tests can feed corrupt files; the module-level
 * functions use the production reader and parse the file once per process.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { type CatalogEntry, matchPrepared, prepareEntries } from './_device-match.ts';
import { CATALOG_CACHE_DIR, cachedParse, sourceText } from './_parsed-cache.ts';
import type { Backend, Device, DeviceMatch, Segment, Vendor } from './devices.types.ts';
import { CatalogError } from './errors.ts';

export const DEVICE_CATALOG_PATH = fileURLToPath(new URL('../../data/devices.csv', import.meta.url));

/** Reads a whole text file; the production default is `fs.readFileSync(path, 'utf8')`. */
export type ReadTextFile = (path: string) => string;

export interface DeviceCatalog {
  readonly devices: readonly Device[];
  get(id: string): Device | undefined;
  match(query: string): DeviceMatch;
  /** Like `match`, but an unknown name throws `CatalogError` (code `unknown-device`). */
  resolve(query: string): Device;
}

// Records keyed by the unions make the compiler flag a union member missing from validation.
const VENDORS: Record<Vendor, true> = { NVIDIA: true, AMD: true, Intel: true, Apple: true, other: true };
const SEGMENTS: Record<Segment, true> = {
  consumer_desktop: true,
  consumer_laptop: true,
  workstation: true,
  datacenter: true,
  apple_soc: true,
  apu_unified_memory: true,
  cpu: true,
};
const BACKENDS: Record<Backend, true> = {
  cuda: true,
  rocm: true,
  oneapi: true,
  metal: true,
  directml: true,
  cpu: true,
};
const keysOf = <K extends string>(record: Record<K, true>) => Object.keys(record) as [K, ...K[]];

const nonBlank = z.string().trim().min(1, 'must not be blank');

const optionalNumber = z
  .string()
  .trim()
  .transform((s, ctx): number | null => {
    if (s === '') return null;
    const n = Number(s);
    if (Number.isFinite(n) && n >= 0) return n;
    ctx.addIssue(`expected a non-negative number or blank, got "${s}"`);
    return z.NEVER;
  });

const positiveNumber = z
  .string()
  .trim()
  .transform((s, ctx): number => {
    const n = Number(s);
    if (s !== '' && Number.isFinite(n) && n > 0) return n;
    ctx.addIssue(`expected a positive number, got "${s}"`);
    return z.NEVER;
  });

const optionalInteger = optionalNumber.refine((n) => n === null || Number.isInteger(n), 'expected a whole number');

const flag = z.enum(['y', 'n'], { error: 'expected y or n' }).transform((v) => v === 'y');

const semicolonList = z.string().transform((s) =>
  s
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.length > 0),
);

const memoryOptions = semicolonList.transform((parts, ctx): number[] => {
  const sizes = parts.map(Number);
  if (sizes.every((n) => Number.isFinite(n) && n > 0)) return sizes;
  ctx.addIssue(`expected sizes in GiB separated by ";", got "${parts.join(';')}"`);
  return z.NEVER;
});

/** One CSV row, keyed by column name. Columns not listed here are informational and ignored. */
const rowSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'expected a lowercase slug'),
    vendor: z.enum(keysOf(VENDORS)),
    name: nonBlank,
    aliases: semicolonList,
    segment: z.enum(keysOf(SEGMENTS)),
    form_factor: z.string(),
    architecture: nonBlank,
    compute_id: nonBlank,
    launch_year: optionalInteger,
    memory_gib: optionalNumber,
    memory_options_gib: memoryOptions,
    unified_memory: flag,
    memory_bandwidth_gbs: positiveNumber,
    fp32_tflops: positiveNumber,
    fp16_vector_tflops: optionalNumber,
    fp16_matrix_tflops: optionalNumber,
    fp16_matrix_fp16acc_tflops: optionalNumber,
    bf16_matrix_tflops: optionalNumber,
    fp8_matrix_tflops: optionalNumber,
    int8_tops: optionalNumber,
    bf16_support: flag,
    fp8_support: flag,
    backend: z.enum(keysOf(BACKENDS)),
    pcie_gen: optionalInteger,
    pcie_lanes: optionalInteger,
    tdp_w: optionalNumber,
    launch_price_usd: optionalNumber,
    source: nonBlank,
    confidence: z.enum(['high', 'medium', 'low']),
    notes: z.string(),
  })
  .superRefine((row, ctx) => {
    if ((row.pcie_gen === null) !== (row.pcie_lanes === null)) {
      ctx.addIssue({
        code: 'custom',
        path: ['pcie_lanes'],
        message: 'pcie_gen and pcie_lanes must both be set or both blank',
      });
    }
  });

type Row = z.output<typeof rowSchema>;

function toEntry(row: Row): CatalogEntry {
  const device: Device = {
    id: row.id,
    vendor: row.vendor,
    name: row.name,
    segment: row.segment,
    architecture: row.architecture,
    computeId: row.compute_id,
    launchYear: row.launch_year,
    memoryGiB: row.memory_gib,
    unifiedMemory: row.unified_memory,
    memoryOptionsGiB: Object.freeze(row.memory_options_gib) as number[],
    memoryBandwidthGBs: row.memory_bandwidth_gbs,
    fp32Tflops: row.fp32_tflops,
    fp16MatrixTflops: row.fp16_matrix_tflops,
    fp16AccMatrixTflops: row.fp16_matrix_fp16acc_tflops,
    fp16VectorTflops: row.fp16_vector_tflops,
    bf16MatrixTflops: row.bf16_matrix_tflops,
    fp8MatrixTflops: row.fp8_matrix_tflops,
    int8Tops: row.int8_tops,
    bf16Support: row.bf16_support,
    fp8Support: row.fp8_support,
    backend: row.backend,
    pcie:
      row.pcie_gen !== null && row.pcie_lanes !== null
        ? Object.freeze({ gen: row.pcie_gen, lanes: row.pcie_lanes })
        : null,
    tdpW: row.tdp_w,
    launchPriceUsd: row.launch_price_usd,
    source: row.source,
    confidence: row.confidence,
    notes: row.notes,
  };
  return { device: Object.freeze(device), aliases: row.aliases, formFactor: row.form_factor };
}

/**
 * Parse and validate the catalog text. Throws `CatalogError` (code `invalid-catalog`) naming the
 * line, the row id and the offending field.
 */
export function parseDeviceCsv(text: string, label = 'data/devices.csv'): CatalogEntry[] {
  let records: { info: { lines: number }; record: string[] }[];
  try {
    // csv-parse's typings do not model `info: true`, which wraps each record with its line number.
    records = parse(text, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
    }) as unknown as typeof records;
  } catch (cause) {
    throw new CatalogError('invalid-catalog', `${label}: not readable as CSV (${(cause as Error).message})`, { cause });
  }
  const [header, ...rows] = records;
  if (!header) throw new CatalogError('invalid-catalog', `${label}: empty file`);
  const columns = header.record.map((c) => c.trim());

  const entries: CatalogEntry[] = [];
  const seen = new Set<string>();
  for (const { info, record } of rows) {
    const raw = Object.fromEntries(columns.map((column, i) => [column, record[i]]));
    const where = `${label} line ${info.lines} (id "${raw.id ?? '?'}")`;
    if (record.length > columns.length) {
      throw new CatalogError('invalid-catalog', `${where}: ${record.length} fields, header has ${columns.length}`);
    }
    const parsed = rowSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || '?';
      throw new CatalogError('invalid-catalog', `${where}: field "${field}": ${issue?.message ?? 'invalid'}`, {
        cause: parsed.error,
      });
    }
    if (seen.has(parsed.data.id)) throw new CatalogError('invalid-catalog', `${where}: duplicate id`);
    seen.add(parsed.data.id);
    entries.push(toEntry(parsed.data));
  }
  return entries;
}

/**
 * Build a catalog from a CSV file. Every call reads through `readFile`; with `cacheDir` the parsed
 * rows come from a JSON file there named by the CSV's bytes and this module's source
 * (`_parsed-cache.ts`), which the module-level functions use so a command does not parse the CSV
 * at every start.
 */
export function loadDeviceCatalog(
  options: { readFile?: ReadTextFile; path?: string; cacheDir?: string | null } = {},
): DeviceCatalog {
  const path = options.path ?? DEVICE_CATALOG_PATH;
  const read = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  let text: string;
  try {
    text = read(path);
  } catch (cause) {
    throw new CatalogError('invalid-catalog', `device catalog not readable at ${path}`, { cause });
  }
  const entries = cachedParse(
    'devices',
    [() => text, () => sourceText(import.meta.url)],
    () => parseDeviceCsv(text),
    options.cacheDir ?? null,
  ).map(frozenEntry);
  const devices = Object.freeze(entries.map((e) => e.device));
  const byId = new Map(devices.map((d) => [d.id, d]));
  // The name index is built on the first lookup by name: listing devices needs none.
  let prepared: ReturnType<typeof prepareEntries> | undefined;
  const match = (query: string) => matchPrepared(query, (prepared ??= prepareEntries(entries)));
  return {
    devices,
    get: (id) => byId.get(id),
    match,
    resolve(query) {
      const result = match(query);
      if (result.kind !== 'unknown') return result.device;
      const hint = result.suggestions.length > 0 ? `; did you mean: ${result.suggestions.join(', ')}?` : '';
      throw new CatalogError('unknown-device', `unknown device "${query}"${hint}`);
    },
  };
}

/** An entry as `toEntry` makes it (frozen device), also when it comes back from the JSON cache. */
function frozenEntry(e: CatalogEntry): CatalogEntry {
  if (Object.isFrozen(e.device)) return e;
  const d = e.device;
  Object.freeze(d.memoryOptionsGiB);
  if (d.pcie) Object.freeze(d.pcie);
  return { ...e, device: Object.freeze(d) };
}

let cached: DeviceCatalog | undefined;
const catalog = (): DeviceCatalog => (cached ??= loadDeviceCatalog({ cacheDir: CATALOG_CACHE_DIR }));

/** Every catalog device, in file order. */
export function listDevices(): Device[] {
  return [...catalog().devices];
}

/** The device with this id (e.g. `nvidia-geforce-rtx-4090`), if any. */
export function getDevice(id: string): Device | undefined {
  return catalog().get(id);
}

/**
 * Resolve a user-typed or driver-reported name. Never returns a different part than the one named;
 * an ambiguous or unknown name gives `{ kind: 'unknown', suggestions }`.
 * @example matchDevice('NVIDIA GeForce RTX 4070 Laptop GPU') // { kind: 'exact', device: GeForce RTX 4070 Laptop GPU }
 * @example matchDevice('Apple M2 16GB') // { kind: 'matched', device: Apple M2 with memoryGiB 16, note }
 */
export function matchDevice(query: string): DeviceMatch {
  return catalog().match(query);
}

/**
 * Like `matchDevice`, but throws for unknown names.
 * @throws CatalogError code `unknown-device`: `unknown device "RTX 9999"; did you mean: …?`
 */
export function resolveDevice(query: string): Device {
  return catalog().resolve(query);
}
