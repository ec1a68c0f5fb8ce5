/**
 * `genready bench --import FILE`: the JSON the emitted PyTorch script prints becomes this machine's
 * calibration for the GPU it ran on. Everything in the file is checked (format, numbers, known
 * models, the parameter count genready would build) before anything is stored.
 */
import { readFileSync } from 'node:fs';
import { resolveDevice } from '../catalog/devices.ts';
import type { Device } from '../catalog/devices.types.ts';
import { CatalogError, GenreadyError } from '../catalog/errors.ts';
import {
  parseTorchResults as parseTorchResultsFormat,
  type TorchResults,
  torchResultsSchema,
} from '../catalog/torch-results.ts';
import { buildGraph } from '../graph/index.ts';
import type { Machine } from '../planner/machine.ts';
import { type BenchPlan, GENREADY_VERSION, planBench } from './bench.ts';
import { type Measurement, measurementFrom, predictSeconds, recordMeasurements } from './calibration.ts';
import { BenchError } from './errors.ts';
import type { BenchReport, BenchResult, Environment } from './types.ts';

function readInput(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new BenchError('bad-import', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      cause: err,
    });
  }
}

/** Parse and check the script's JSON; every failure is one BenchError line naming the file and the field. */
export function parseTorchResults(text: string, path: string): TorchResults {
  try {
    return parseTorchResultsFormat(text, path);
  } catch (err) {
    if (err instanceof CatalogError) throw new BenchError(err.code, err.message, { cause: err });
    throw err;
  }
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

export { type TorchResults, torchResultsSchema };
