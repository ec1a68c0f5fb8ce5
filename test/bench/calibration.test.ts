/**
 * Calibration: measurements stored per device, ratios recomputed against the current cost model,
 * applied by estimate only when the compute device is the measured one, and said as "measured here".
 */

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  calibrationFor,
  genreadyHome,
  loadCalibration,
  loadStore,
  type Measurement,
  predictSeconds,
  recordMeasurements,
} from '../../src/bench/calibration.ts';
import { BenchError } from '../../src/bench/errors.ts';
import type { Environment } from '../../src/bench/types.ts';
import { cpuDevice, onThreads } from '../../src/catalog/cpu.ts';
import { resolveDevice } from '../../src/catalog/devices.ts';
import { type Calibration, calibrateTime } from '../../src/cost/calibration.ts';
import { estimate } from '../../src/cost/estimate.ts';
import { estimateJson } from '../../src/cost/report.ts';
import { makeWorkload } from '../../src/cost/workload.ts';

const cpu = cpuDevice({ model: 'Test CPU 9000', cores: 2, clockGHz: 3, simd: { avx2: true } });
const env = (date: string): Environment => ({
  device: cpu.name,
  deviceId: cpu.id,
  runtime: 'onnxruntime',
  provider: 'cpu',
  cpu: cpu.name,
  cores: 2,
  ramBytes: 24e9,
  os: 'linux',
  versions: { onnxruntime: '1.30.0', node: '20', genready: '0.1.0' },
  date,
});
const base = {
  model: 'sd15',
  width: 256,
  height: 256,
  batch: 1,
  precision: 'fp32',
  strategy: 'cpu',
  peakMemoryBytes: 1e9,
} as const;
const measured = (
  phase: Measurement['phase'],
  factor: number,
  date = '2026-11-26T10:00:00.000Z',
  size = 256,
): Measurement => {
  const m = { ...base, width: size, height: size, phase };
  return { ...m, measuredSeconds: predictSeconds(m, cpu) * factor, environment: env(date) };
};
const store = () => join(mkdtempSync(join(tmpdir(), 'genready-cal-')), 'calibration.json');

test('genready home is $GENREADY_HOME, else the platform config directory', () => {
  assert.equal(genreadyHome({ GENREADY_HOME: '/h' }, 'linux', '/home/u'), '/h');
  assert.equal(genreadyHome({ XDG_CONFIG_HOME: '/cfg' }, 'linux', '/home/u'), '/cfg/genready');
  assert.equal(genreadyHome({}, 'linux', '/home/u'), '/home/u/.config/genready');
  assert.equal(genreadyHome({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/genready');
});

test('the calibration of a device is measured / predicted per phase (geometric mean over sizes); a newer run replaces the same case', () => {
  const path = store();
  recordMeasurements(
    [measured('denoising', 2), measured('denoising', 8, undefined, 512), measured('vae-decode', 0.5)],
    path,
  );
  let c = calibrationFor(cpu, loadStore(path))!;
  assert.equal(c.deviceId, cpu.id);
  assert.ok(Math.abs(c.factors.denoising! - 4) < 1e-9, String(c.factors.denoising));
  assert.ok(Math.abs(c.factors['vae-decode']! - 0.5) < 1e-9);
  assert.equal(c.factors['text-encoding'], undefined);
  recordMeasurements([measured('denoising', 1, '2026-11-27T10:00:00.000Z', 512)], path);
  c = calibrationFor(cpu, loadStore(path))!;
  assert.ok(Math.abs(c.factors.denoising! - Math.SQRT2) < 1e-9);
  assert.equal(c.measuredAt, '2026-11-27T10:00:00.000Z');
  assert.equal(loadStore(path).devices[cpu.id]!.measurements.length, 3);
  assert.equal(calibrationFor(resolveDevice('RTX 4090'), loadStore(path)), null);
});

test('calibrateTime scales the measured phases, the step and the image time consistently', () => {
  const w = makeWorkload({ model: 'sd15', width: 256, height: 256, precision: 'fp32' });
  const t = estimate(w, cpu, { strategy: 'cpu' }).chosen.time;
  const c: Calibration = {
    deviceId: cpu.id,
    factors: { denoising: 2, 'vae-decode': 0.5 },
    measuredAt: 'x',
    source: 'test',
  };
  const s = calibrateTime(t, c, w.batch);
  const phase = (x: typeof t, p: string) => x.phases.find((y) => y.phase === p)!.seconds;
  assert.equal(phase(s, 'denoising'), 2 * phase(t, 'denoising'));
  assert.equal(phase(s, 'vae-decode'), 0.5 * phase(t, 'vae-decode'));
  assert.equal(phase(s, 'text-encoding'), phase(t, 'text-encoding'));
  assert.equal(s.secondsPerStep, 2 * t.secondsPerStep);
  const added = phase(t, 'denoising') - 0.5 * phase(t, 'vae-decode');
  assert.ok(Math.abs(s.secondsPerImage - (t.secondsPerImage + added)) < 1e-9);
  assert.ok(Math.abs(s.imagesPerHour - 3600 / s.secondsPerImage) < 1e-9);
});

test('estimate says "measured here" only when the compute device is the calibrated one', () => {
  const w = makeWorkload({ model: 'sd15', width: 512, height: 512, precision: 'fp32' });
  const c: Calibration = {
    deviceId: cpu.id,
    factors: { denoising: 1.5 },
    measuredAt: '2026-11-26',
    source: 'onnxruntime 1.30.0 cpu',
  };
  const plain = estimate(w, cpu, { strategy: 'cpu' });
  const cal = estimate(w, cpu, { strategy: 'cpu', calibration: c });
  assert.equal(plain.chosen.basis, 'estimated');
  assert.equal(cal.chosen.basis, 'measured here');
  assert.ok(Math.abs(cal.chosen.time.secondsPerStep / plain.chosen.time.secondsPerStep - 1.5) < 1e-9);
  const j = estimateJson(cal);
  assert.equal(j.basis, 'measured here');
  assert.deepEqual(j.calibration, {
    factors: { denoising: 1.5 },
    measuredAt: '2026-11-26',
    source: 'onnxruntime 1.30.0 cpu',
  });
  // Existing fields keep their meaning: the same memory, only time changes.
  assert.equal(j.memory.peakHostBytes, estimateJson(plain).memory.peakHostBytes);
  // A GPU estimate is untouched by a CPU calibration.
  const gpu = estimate(makeWorkload({ model: 'sd15' }), resolveDevice('RTX 4090'), { calibration: c });
  assert.equal(gpu.chosen.basis, 'estimated');
  assert.equal(estimateJson(gpu).calibration, null);
});

test('a corrupt calibration file is a clear error for bench and a warning (not a failure) for estimates', () => {
  const path = store();
  writeFileSync(path, '{ not json');
  assert.throws(
    () => loadStore(path),
    (e: unknown) => e instanceof BenchError && e.code === 'bad-calibration' && e.message.includes(path),
  );
  writeFileSync(path, JSON.stringify({ format: 99, devices: {} }));
  assert.throws(() => recordMeasurements([measured('denoising', 1)], path), /not a genready calibration file/);
  const r = loadCalibration(cpu, path);
  assert.equal(r.calibration, null);
  assert.match(r.warning!, /not a genready calibration file/);
});

test('a measurement taken on fewer threads than cores calibrates against the cores it used', () => {
  const path = store();
  const m = { ...base, phase: 'denoising' as const };
  const oneThread = { ...env('2026-11-28T10:00:00.000Z'), threads: 1 };
  // Measured exactly as predicted for one of the two cores: the model is right, the factor is 1.
  const seconds = predictSeconds(m, onThreads(cpu, 1, 2));
  assert.ok(seconds > 1.5 * predictSeconds(m, cpu));
  recordMeasurements([{ ...m, measuredSeconds: seconds, environment: oneThread }], path);
  const c = calibrationFor(cpu, loadStore(path))!;
  assert.ok(Math.abs(c.factors.denoising! - 1) < 1e-9, String(c.factors.denoising));
  // Only CPUs are shared out by threads, and a whole CPU is itself.
  const gpu = resolveDevice('RTX 4090');
  assert.equal(onThreads(gpu, 1, 2), gpu);
  assert.equal(onThreads(cpu, 2, 2), cpu);
  assert.equal(onThreads(cpu, 1, 2).fp32Tflops, cpu.fp32Tflops / 2);
});
