/**
 * Published measurements mapped onto estimate inputs (data/eval/published.jsonl, one cited row per
 * measured fact) and published out-of-memory facts (data/eval/oom.jsonl). Rows are validated on load.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CatalogError } from '../catalog/errors.ts';
import { QUANT_BACKENDS } from '../cost/precision.ts';
import { FRONTENDS, versionNumber } from '../cost/workload.ts';

export const COMPARE_FIELDS = [
  'stepsPerSecond',
  'secondsPerImage',
  'peakAllocatedBytes',
  'peakReservedBytes',
  'peakDeviceBytes',
] as const;
export type CompareField = (typeof COMPARE_FIELDS)[number];
export const isMemoryField = (f: CompareField) => f.endsWith('Bytes');

/** A release as the source wrote it ("6.4", or the number 6.4), ordered as versionNumber orders it. */
const release = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = versionNumber(v);
  if (n === null || n <= 0) {
    ctx.addIssue({ code: 'custom', message: `not a version: ${v}` });
    return z.NEVER;
  }
  return n;
});

const base = {
  id: z.string().min(1),
  model: z.string(),
  device: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  batch: z.number().int().positive(),
  steps: z.number().int().positive(),
  cfg: z.enum(['on', 'off']),
  precision: z.string(),
  strategy: z.enum(['gpu', 'model-offload', 'sequential-offload', 'cpu']),
  attention: z.enum(['naive', 'sliced', 'flash']),
  vaeTiling: z.boolean(),
  /** `--quant-backend`: the library that ran the quantized weights (`quantLibrary` says it in the source's words). */
  quantBackend: z.enum(QUANT_BACKENDS as [string, ...string[]]).optional(),
  /** Weight format of the text encoders where the source quantized them too (T5 in nf4/int8). */
  textEncoderPrecision: z.string().optional(),
  /**
   * `--rocm-version` / `--torch-version` where the measurement names them; `--frontend`, what drove the
   * pipeline; `--tf32`, where the source says how fp32 matmuls ran.
   */
  stack: z
    .object({
      rocm: release.optional(),
      torch: release.optional(),
      frontend: z.enum(FRONTENDS).optional(),
      tf32: z.boolean().optional(),
    })
    .strict()
    .optional(),
  source: z.string().min(1),
  note: z.string().optional(),
};

const measuredRow = z.object({
  ...base,
  compare: z.enum(COMPARE_FIELDS),
  value: z.number().positive(),
  software: z.string().optional(),
});
const oomRow = z.object({ ...base, outcome: z.literal('out-of-memory') });

export type MeasuredRow = z.infer<typeof measuredRow>;
export type OomRow = z.infer<typeof oomRow>;

function readJsonl<T>(path: string, schema: z.ZodType<T>, read: (p: string) => string): T[] {
  const lines = read(path).split('\n');
  const rows: T[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (cause) {
      throw new CatalogError('bad-eval-row', `${path}:${i + 1}: not JSON`, { cause });
    }
    const r = schema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new CatalogError('bad-eval-row', `${path}:${i + 1}: ${issue.path.join('.') || 'row'}: ${issue.message}`);
    }
    rows.push(r.data);
  });
  return rows;
}

const here = (f: string) => fileURLToPath(new URL(`../../data/eval/${f}`, import.meta.url));
const readText = (p: string) => readFileSync(p, 'utf8');

export const loadMeasuredRows = (path = here('published.jsonl'), read = readText) => readJsonl(path, measuredRow, read);
export const loadOomRows = (path = here('oom.jsonl'), read = readText) => readJsonl(path, oomRow, read);

/**
 * The held-out quarter: rows whose id hashes (FNV-1a) to 0 mod 4. Fixed by the id alone, so the
 * split never moves when rows are added, and no fitting can peek at it.
 */
export function isHoldout(id: string): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 4 === 0;
}
