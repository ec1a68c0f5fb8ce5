/**
 * The measurement discipline (warm-up excluded, fixed iterations, every sample kept, min and
 * median) through the clock seam; the phase worker in a real child process on a tiny model; and
 * the bench flow (plan, memory check, prediction, result contract) with a fake phase runner.
 */

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { WorkerMessage } from '../../src/bench/_worker.ts';
import {
  type BenchDeps,
  type BenchEvent,
  checkFits,
  environmentOf,
  forkPhase,
  forwardBatch,
  planBench,
  runBench,
} from '../../src/bench/bench.ts';
import { ensureModel } from '../../src/bench/cache.ts';
import { predictSeconds } from '../../src/bench/calibration.ts';
import { BenchError } from '../../src/bench/errors.ts';
import { measure, median } from '../../src/bench/runner.ts';
import { graphParameters } from '../../src/graph/index.ts';
import { providerById } from '../../src/ort/providers.ts';
import { machineFromProbe } from '../../src/planner/machine.ts';
import { fakeProbe } from '../../src/probe/fake.ts';
import { tinyFluxSchnell, tinyUNet } from './_tiny.ts';

test('measure: warm-up runs are kept apart, every sample is kept in order, min and median are of the measured ones', async () => {
  const durations = [900, 120, 100, 140, 110]; // ms; the first is the warm-up
  let t = 0;
  let i = 0;
  const seen: boolean[] = [];
  const r = await measure(
    async () => {
      t += durations[i++]!;
    },
    { warmup: 1, iterations: 4, clock: () => t, onIteration: (e) => seen.push(e.warmup) },
  );
  assert.deepEqual(r.warmup, [0.9]);
  assert.deepEqual(r.samples, [0.12, 0.1, 0.14, 0.11]);
  assert.equal(r.minSeconds, 0.1);
  assert.ok(Math.abs(r.medianSeconds - 0.115) < 1e-12);
  assert.deepEqual(seen, [true, false, false, false, false]);
  assert.equal(median([3, 1, 2]), 2);
  await assert.rejects(() => measure(async () => {}, { warmup: 0, iterations: 0 }), RangeError);
});

test('the phase worker runs a cached model in its own process and reports samples and its peak memory', async () => {
  const model = await ensureModel(tinyUNet, {
    dtype: 'float32',
    seed: 0,
    root: mkdtempSync(join(tmpdir(), 'genready-w-')),
  });
  const messages: WorkerMessage['kind'][] = [];
  const r = await forkPhase(
    {
      modelPath: model.path,
      arch: tinyUNet,
      dtype: 'float32',
      shape: { batch: 2, latentHeight: 8, latentWidth: 8, textTokens: 7 },
      provider: 'cpu',
      warmup: 1,
      iterations: 3,
    },
    (m) => messages.push(m.kind),
  );
  assert.equal(r.samples.length, 3);
  assert.equal(r.warmup.length, 1);
  assert.ok(r.samples.every((s) => s > 0 && s < 10));
  assert.ok(r.peakRssBytes > 20e6 && r.peakRssBytes < 4e9, `peak ${r.peakRssBytes}`);
  assert.deepEqual(messages, ['loaded', 'iteration', 'iteration', 'iteration', 'iteration']);
});

test('runBench measures a FLUX-kind denoiser end to end (tiny config: real graph, cache, worker process)', async () => {
  const machine = machineFromProbe(fakeProbe({ ramGiB: 32 }));
  const plan = planBench({
    model: 'flux1-schnell',
    sizes: [[128, 128]],
    phases: ['denoising'],
    warmup: 0,
    iterations: 1,
  });
  const tiny = { ...plan, cases: plan.cases.map((c) => ({ ...c, arch: tinyFluxSchnell })) };
  const report = await runBench(tiny, {
    machine,
    provider: providerById('cpu'),
    totalMemoryBytes: 64e9,
    cacheRoot: mkdtempSync(join(tmpdir(), 'genready-flux-')),
  });
  const [r] = report.results;
  assert.equal(r!.model, 'flux1-schnell');
  assert.equal(r!.parameters, graphParameters(tinyFluxSchnell));
  assert.ok(r!.measuredSeconds > 0 && r!.measuredSeconds < 10, String(r!.measuredSeconds));
});

test('a model the runtime cannot run is one BenchError line, not a crash', async () => {
  const model = await ensureModel(tinyUNet, {
    dtype: 'float32',
    seed: 0,
    root: mkdtempSync(join(tmpdir(), 'genready-w-')),
  });
  await assert.rejects(
    () =>
      forkPhase(
        {
          modelPath: model.path,
          arch: tinyUNet,
          dtype: 'float32',
          shape: { batch: 1, latentHeight: 5, latentWidth: 8, textTokens: 7 },
          provider: 'cpu',
          warmup: 0,
          iterations: 1,
        },
        () => {},
      ),
    (e: unknown) => e instanceof BenchError && e.code === 'run-failed' && !e.message.includes('\n'),
  );
});

test('plan: --quick is SD 1.5 at 256² with fixed iterations; sizes are validated; CFG doubles the denoiser batch', () => {
  const q = planBench({ quick: true });
  assert.deepEqual(
    q.cases.map((c) => [c.model.id, c.phase, c.workload.width, c.workload.height]),
    [
      ['sd15', 'text-encoding', 256, 256],
      ['sd15', 'denoising', 256, 256],
      ['sd15', 'vae-decode', 256, 256],
    ],
  );
  assert.deepEqual([q.warmup, q.iterations], [1, 3]);
  // The prompt and the negative prompt are encoded once per call; the denoiser runs both each step.
  assert.equal(forwardBatch(q.cases[0]!), 2);
  assert.equal(forwardBatch(q.cases[1]!), 2);
  assert.equal(forwardBatch(q.cases[2]!), 1);
  const batch4 = planBench({ quick: true, batch: 4 });
  assert.deepEqual(batch4.cases.map(forwardBatch), [2, 8, 4]);
  assert.equal(q.cases[0]!.arch.kind, 'clip-text');
  // SDXL's two encoders are not one graph: its default plan leaves text encoding out, and asking for it is refused.
  assert.deepEqual(
    planBench({ model: 'sdxl' }).cases.map((c) => c.phase),
    ['denoising', 'vae-decode'],
  );
  assert.throws(
    () => planBench({ model: 'sdxl', phases: ['text-encoding'] }),
    (e: unknown) => e instanceof BenchError && e.code === 'unsupported-model' && /single CLIP/.test(e.message),
  );
  assert.equal(planBench({ model: 'sdxl-turbo' }).cases[0]!.workload.passes, 1);
  assert.throws(() => planBench({ model: 'sd15', sizes: [[500, 500]] }), /multiple/);
  assert.throws(() => planBench({ model: 'nope' }), /unknown model/);
  assert.throws(() => planBench({ iterations: 0 }), /--iterations/);
});

test('models that cannot run here say so: no room in RAM for the weights in fp32', () => {
  // FLUX has a graph now; on a 24 GB machine its 11.9 B fp32 parameters are refused before anything is built.
  const flux = planBench({ model: 'flux1-dev' });
  assert.equal(flux.cases[0]!.arch.kind, 'flux');
  assert.throws(
    () => checkFits(flux, providerById('cpu'), 24e9),
    (e: unknown) =>
      e instanceof BenchError &&
      e.code === 'does-not-fit' &&
      /^FLUX\.1 \[dev\] does not fit.*needs about \d+\.\d GB of RAM in fp32 at 1024x1024, this machine has 24\.0 GB$/.test(
        e.message,
      ),
  );
  assert.throws(
    () => checkFits(planBench({ model: 'flux1-schnell' }), providerById('cpu'), 24e9),
    (e: unknown) => e instanceof BenchError && e.code === 'does-not-fit',
  );
  assert.equal(planBench({ model: 'sd3-medium' }).cases[0]!.arch.kind, 'mmdit');
  assert.equal(planBench({ model: 'pixart-sigma' }).cases[0]!.arch.kind, 'cross-dit');
  const sdxl = planBench({ model: 'sdxl' });
  assert.throws(
    () => checkFits(sdxl, providerById('cpu'), 8e9),
    (e: unknown) => e instanceof BenchError && e.code === 'does-not-fit' && /SDXL/.test(e.message),
  );
  assert.doesNotThrow(() => checkFits(planBench({ quick: true }), providerById('cpu'), 24e9));
  // SD3.5 Large has a graph but 8 B fp32 parameters: refused before anything is built.
  assert.throws(
    () => checkFits(planBench({ model: 'sd35-large' }), providerById('cpu'), 24e9),
    (e: unknown) => e instanceof BenchError && e.code === 'does-not-fit' && /SD ?3\.5 Large/i.test(e.message),
  );
});

/** The graph cache stand-in: every graph is already built (ensureModel is tested below and in cache.test.ts). */
const cachedGraph: NonNullable<BenchDeps['ensure']> = async (arch) => ({
  path: `/fake/${arch.kind}.onnx`,
  dir: '/fake',
  parameters: 42,
  status: 'reused',
  bytes: 168,
});

test('runBench: results carry the contract fields, the prediction for the same workload and device, and the environment', async () => {
  const machine = machineFromProbe(fakeProbe({ ramGiB: 32 }));
  const plan = planBench({ quick: true });
  const events: BenchEvent['kind'][] = [];
  const jobs: { batch: number; h: number }[] = [];
  const report = await runBench(plan, {
    machine,
    provider: providerById('cpu'),
    totalMemoryBytes: 64e9,
    clock: () => new Date('2026-11-26T12:00:00Z'),
    ensure: cachedGraph,
    runPhase: async (job, on) => {
      jobs.push({ batch: job.shape.batch, h: job.shape.latentHeight });
      on({ kind: 'loaded', seconds: 0.5 });
      return {
        kind: 'done',
        samples: [2, 3, 4],
        warmup: [9],
        minSeconds: 2,
        medianSeconds: 3,
        peakRssBytes: 1e9,
        loadSeconds: 0.5,
      };
    },
    onEvent: (e) => events.push(e.kind),
  });
  assert.deepEqual(jobs, [
    { batch: 2, h: 32 },
    { batch: 2, h: 32 },
    { batch: 1, h: 32 },
  ]);
  const [encode, step, decode] = report.results;
  assert.equal(
    encode!.predictedSeconds,
    predictSeconds(
      { model: 'sd15', phase: 'text-encoding', width: 256, height: 256, batch: 1, precision: 'fp32', strategy: 'cpu' },
      machine.host,
    ),
  );
  // The minimum is the measurement (interference only adds time); the median is kept beside it.
  assert.equal(step!.measuredSeconds, 2);
  assert.equal(step!.medianSeconds, 3);
  assert.deepEqual(step!.samples, [2, 3, 4]);
  assert.equal(step!.peakMemoryBytes, 1e9);
  assert.equal(
    step!.predictedSeconds,
    predictSeconds(
      { model: 'sd15', phase: 'denoising', width: 256, height: 256, batch: 1, precision: 'fp32', strategy: 'cpu' },
      machine.host,
    ),
  );
  assert.ok(decode!.predictedSeconds > 0 && decode!.phase === 'vae-decode');
  for (const r of report.results)
    for (const k of [
      'model',
      'phase',
      'width',
      'height',
      'batch',
      'measuredSeconds',
      'predictedSeconds',
      'peakMemoryBytes',
    ])
      assert.ok(k in r, k);
  assert.equal(report.environment.deviceId, machine.host.id);
  assert.equal(report.environment.provider, 'cpu');
  assert.equal(report.environment.date, '2026-11-26T12:00:00.000Z');
  assert.equal(report.environment.cpuClock, undefined, 'a hypothetical CPU has no clock to name');
  assert.ok(
    report.environment.versions.onnxruntime && report.environment.versions.node && report.environment.versions.genready,
  );
  assert.deepEqual(events, [
    ...['case', 'cache', 'loaded', 'result'],
    ...['case', 'cache', 'loaded', 'result'],
    ...['case', 'cache', 'loaded', 'result'],
  ]);
});

test('runBench on fewer threads than cores predicts for the cores that computed, and records the threads', async () => {
  const machine = machineFromProbe(fakeProbe({ ramGiB: 32 }));
  const cores = machine.probe.cpu.cores;
  assert.ok(cores >= 2, 'the fake probe has several cores');
  const run = (threads?: { threads: number; spinning: boolean }) =>
    runBench(planBench({ quick: true }), {
      machine,
      provider: providerById('cpu'),
      totalMemoryBytes: 64e9,
      ensure: cachedGraph,
      runPhase: async () => ({
        kind: 'done',
        samples: [1],
        warmup: [1],
        minSeconds: 1,
        medianSeconds: 1,
        peakRssBytes: 1,
        loadSeconds: 0,
      }),
      ...(threads ? { threads } : {}),
    });
  const all = await run();
  const one = await run({ threads: 1, spinning: false });
  const same = await run({ threads: cores, spinning: true });
  assert.equal(all.environment.threads, undefined);
  assert.equal(same.environment.threads, undefined, 'one thread per core is the whole CPU');
  assert.equal(one.environment.threads, 1);
  for (const [i, r] of one.results.entries()) {
    const full = all.results[i]!.predictedSeconds;
    // Compute-bound phases slow by the core ratio; nothing gets faster on fewer cores.
    assert.ok(
      r.predictedSeconds > 1.5 * full && r.predictedSeconds <= cores * full * 1.0001,
      `${r.phase}: ${r.predictedSeconds} vs ${full}`,
    );
    assert.equal(same.results[i]!.predictedSeconds, full);
  }
});

test('a CPU run names the clock its estimates used, with where it came from', () => {
  const probe = fakeProbe({ ramGiB: 32 });
  const at = (clockGHz: (typeof probe.cpu)['clockGHz']) =>
    environmentOf(machineFromProbe({ ...probe, cpu: { ...probe.cpu, clockGHz } }), providerById('cpu'), new Date(0));
  const measured = {
    value: 4.09,
    from: { source: 'dependent-multiply chain (src/probe/clock.ts)', confidence: 'measured' },
  } as const;
  assert.equal(at(measured).cpuClock, '4.09 GHz measured');
  assert.equal(
    at({ value: 4.1, from: { source: 'GENREADY_CPU_GHZ', confidence: 'assumed' } }).cpuClock,
    '4.1 GHz from GENREADY_CPU_GHZ',
  );
  assert.equal(at(null).cpuClock, undefined);
  // The estimate beside the measurement is made at that clock.
  assert.equal(
    machineFromProbe({ ...probe, cpu: { ...probe.cpu, clockGHz: measured } }).host.fp32Tflops,
    Math.round(probe.cpu.cores * 32 * 4.09) / 1000,
  );
});
