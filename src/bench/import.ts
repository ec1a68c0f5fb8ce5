/**
 * `genready bench --import FILE`: the JSON the emitted PyTorch script prints becomes this machine's
 * calibration for the GPU it ran on. Everything in the file is checked (format, numbers, known
 * models, the parameter count genready would build) before anything is stored.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { resolveDevice } from '../catalog/devices.ts';
import type { Device } from '../catalog/devices.types.ts';
import { GenreadyError } from '../catalog/errors.ts';
import { buildGraph } from '../graph/index.ts';
import type { Machine } from '../planner/machine.ts';
import { type BenchPlan, GENREADY_VERSION, planBench } from './bench.ts';
import { caseFields, type Measurement, measurementFrom, predictSeconds, recordMeasurements } from './calibration.ts';
import { BenchError } from './errors.ts';
import type { BenchReport, BenchResult, Environment } from './types.ts';

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

function readInput(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new BenchError('bad-import', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      cause: err,
    });
  }
}

/** Parse and check the script's JSON; every failure is one line naming the file and the field. */
export function parseTorchResults(text: string, path: string): TorchResults {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BenchError(
      'bad-import',
      `${path} is not JSON (expected the output of the script genready bench --emit-torch writes)`,
    );
  }
  const r = torchResultsSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new BenchError(
      'bad-import',
      `${path} is not a genready torch benchmark: ${issue.path.join('.') || '(top level)'}: ${issue.message}`,
    );
  }
  return r.data;
}

export function importTorchResults(
  path: string,
  machine: Machine,
  deviceName?: string,
  calibrationFile?: string,
): { report: BenchReport; device: Device; calibrated: number } {
  const data = parseTorchResults(readInput(path), path);
  const env = data.environment;
  let device: Device;
  try {
    device = resolveDevice(deviceName ?? env.device);
  } catch (err) {
    if (err instanceof GenreadyError)
      throw new BenchError(
        'unknown-device',
        `${path}: the GPU "${deviceName ?? env.device}" is not in the catalog; pass --device NAME (see genready devices)`,
        { cause: err },
      );
    throw err;
  }
  if (device.backend === 'cpu')
    throw new BenchError('bad-import', `${path}: ${device.name} is a CPU; the PyTorch script measures GPUs`);
  const environment: Environment = {
    device: device.name,
    deviceId: device.id,
    runtime: 'pytorch',
    provider: env.backend,
    cpu: env.cpu || machine.probe.cpu.model,
    cores: machine.probe.cpu.cores,
    ramBytes: machine.probe.ramBytes.value,
    os: env.os,
    versions: { pytorch: env.torch, python: env.python, genready: env.genready, importedBy: GENREADY_VERSION },
    date: new Date(Date.parse(env.date)).toISOString(),
  };
  const results: BenchResult[] = data.results.map((r, i) => {
    const where = `${path}: results.${i} (${r.model} ${r.phase})`;
    let c: BenchPlan['cases'][number];
    try {
      c = planBench({ model: r.model, sizes: [[r.width, r.height]], batch: r.batch, phases: [r.phase] }).cases[0]!;
    } catch (err) {
      throw new BenchError('bad-import', `${where}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    const expected = buildGraph(c.arch, 'float16').parameters;
    if (r.parameters !== expected)
      throw new BenchError(
        'bad-import',
        `${where}: built ${r.parameters} parameters, genready's graph has ${expected} (a script from another genready version?)`,
      );
    return {
      model: c.model.id,
      phase: r.phase,
      width: r.width,
      height: r.height,
      batch: r.batch,
      measuredSeconds: r.measuredSeconds,
      predictedSeconds: predictSeconds(
        {
          model: c.model.id,
          phase: r.phase,
          width: r.width,
          height: r.height,
          batch: r.batch,
          precision: r.precision,
          strategy: 'gpu',
        },
        device,
      ),
      // What the device must hold at peak: the caching allocator's reservation.
      peakMemoryBytes: r.peakReservedBytes,
      medianSeconds: r.medianSeconds,
      samples: r.samples,
      warmupSamples: r.warmupSamples,
      forwardBatch: r.forwardBatch,
      precision: r.precision,
      parameters: r.parameters,
      loadSeconds: 0,
    };
  });
  // Calibrate with what users run: the fused attention kernels, not the math reference kernel.
  const measurements: Measurement[] = results
    .filter((_, i) => data.results[i]!.attention === 'sdpa')
    .map((r) => measurementFrom(r, environment, 'gpu'));
  recordMeasurements(measurements, calibrationFile);
  return { report: { environment, results }, device, calibrated: measurements.length };
}
