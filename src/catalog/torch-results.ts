/**
 * The format of the JSON the emitted PyTorch benchmark script prints (`genready bench --emit-torch`):
 * what `bench --import` calibrates from and what data/eval/own-gpu/ keeps (src/validate/own-gpu.ts
 * compares those runs). A file format, so it lives with the catalog data below both readers.
 */
import { z } from 'zod';
import { CatalogError } from './errors.ts';

/** One measured case: the same fields as the calibration store's cases (src/bench/calibration.ts). */
export const torchCaseFields = {
  model: z.string(),
  phase: z.enum(['denoising', 'vae-decode']),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  batch: z.number().int().positive(),
};
const caseFields = torchCaseFields;

const positive = z.number().finite().positive();

const bytes = z.number().int().nonnegative();
const peaks = z.object({ peakAllocatedBytes: bytes, peakReservedBytes: bytes });

const pipelineSchema = z.object({
  model: caseFields.model,
  width: caseFields.width,
  height: caseFields.height,
  batch: caseFields.batch,
  steps: z.number().int().positive(),
  attention: z.enum(['sdpa', 'math', 'naive']),
  precision: z.enum(['fp16', 'fp32']),
  vaePrecision: z.enum(['fp16', 'fp32']),
  textEncoderBytes: bytes,
  weightsBytes: bytes,
  seconds: positive,
  phases: z.object({ denoising: peaks, 'vae-decode': peaks }),
  peakAllocatedBytes: bytes,
  peakReservedBytes: bytes,
  deviceUsedBytes: bytes.optional(),
});

export const torchResultsSchema = z.object({
  format: z.literal('genready-torch-bench'),
  version: z.literal(1),
  environment: z.object({
    device: z.string().min(1),
    backend: z.enum(['cuda', 'rocm', 'mps']),
    torch: z.string(),
    python: z.string(),
    os: z.string(),
    cpu: z.string(),
    date: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date'),
    genready: z.string(),
  }),
  results: z
    .array(
      z.object({
        ...caseFields,
        forwardBatch: z.number().int().positive(),
        precision: z.enum(['fp16', 'fp32']),
        /** Older scripts ran SDPA only; 'math' cases (scores materialised) are kept out of the calibration. */
        attention: z.enum(['sdpa', 'math', 'naive']).default('sdpa'),
        parameters: z.number().int().positive(),
        measuredSeconds: positive,
        medianSeconds: positive,
        samples: z.array(positive).min(1),
        warmupSamples: z.array(positive),
        weightsBytes: z.number().int().nonnegative().optional(),
        peakAllocatedBytes: z.number().int().nonnegative(),
        peakReservedBytes: z.number().int().nonnegative(),
        deviceUsedBytes: z.number().int().nonnegative().optional(),
      }),
    )
    .min(1),
  /** Whole pipeline calls (every component on the device): memory figures, never calibrated. */
  pipelines: z.array(pipelineSchema).default([]),
  /** Cases that raised (out of memory, a missing kernel): reported, never calibrated. */
  failed: z
    .array(z.object({ ...caseFields, phase: z.enum(['denoising', 'vae-decode', 'pipeline']), error: z.string() }))
    .default([]),
});
export type TorchResults = z.infer<typeof torchResultsSchema>;

/** Parse and check the script's JSON; every failure is one line naming the file and the field. */
export function parseTorchResults(text: string, path: string): TorchResults {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CatalogError(
      'bad-import',
      `${path} is not JSON (expected the output of the script genready bench --emit-torch writes)`,
    );
  }
  const r = torchResultsSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new CatalogError(
      'bad-import',
      `${path} is not a genready torch benchmark: ${issue.path.join('.') || '(top level)'}: ${issue.message}`,
    );
  }
  return r.data;
}
