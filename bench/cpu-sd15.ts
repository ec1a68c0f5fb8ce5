/**
 * Predicted / measured for SD 1.5 on this machine's CPU at 256² and 512², per phase (text encoder
 * on both prompts, denoising step with CFG, VAE decode), measured in one run with onnxruntime on the
 * catalog's real architectures (random weights). Target: every ratio within 0.9–1.1 before
 * calibration, on the minimum of the iterations (the median is printed beside it: it shows how much
 * other work interfered). Also the first-image parts the cost model predicts for each phase's
 * model (src/cost/first-image.ts): session creation (load) and the first run's extra over the
 * steady one, against what the run measured. Prints the environment (device, versions, load) with
 * the results; stores nothing.
 *
 *   npx tsx bench/cpu-sd15.ts              # wall time, all cores (≈ 4 minutes on 2 idle cores)
 *   npx tsx bench/cpu-sd15.ts --cpu-time   # one intra-op thread, CPU seconds of this process
 *   npx tsx bench/cpu-sd15.ts --quick      # 256² only
 *
 * `--cpu-time` is for shared machines: a run on one thread is charged only for the time it holds a
 * core, so other processes' load stretches its wall time but not its CPU time. It is compared with
 * the prediction for one core of this CPU (peak FLOPs / cores; DRAM bandwidth kept: one core streams
 * far below a dual-channel system's bandwidth). Caches and memory bandwidth are still shared with
 * the other load.
 */
import { loadavg } from 'node:os';
import { chooseProvider, forkPhase, type PhaseRunner, planBench, runBench } from '../src/bench/bench.ts';
import { ensureModel } from '../src/bench/cache.ts';
import { predictSeconds } from '../src/bench/calibration.ts';
import { feedsFor, measure, openSession } from '../src/bench/runner.ts';
import { DEFAULT_CLOCK_GHZ, onThreads } from '../src/catalog/cpu.ts';
import type { Device } from '../src/catalog/devices.types.ts';
import { resolveModel } from '../src/catalog/models.ts';
import { breakdown, contextTokens } from '../src/cost/breakdown.ts';
import { cpuFirstRunSeconds, cpuSessionSeconds } from '../src/cost/first-image.ts';
import { phaseWorkload } from '../src/cost/phase-seconds.ts';
import type { Phase } from '../src/cost/types.ts';
import { makeWorkload } from '../src/cost/workload.ts';
import { machineFromProbe } from '../src/planner/machine.ts';
import { probeMachine } from '../src/probe/probe.ts';

const TARGET = [0.9, 1.1] as const;
const cpuTime = process.argv.includes('--cpu-time');
const quick = process.argv.includes('--quick');

/** Process CPU time in milliseconds (user + system), as a clock. */
const cpuClock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** One phase in this process on one intra-op thread, timed by CPU time. */
const inProcessCpuTime: PhaseRunner = async (job) => {
  const t0 = cpuClock();
  const session = await openSession(job.modelPath, { provider: job.provider, threads: 1 });
  const loadSeconds = (cpuClock() - t0) / 1000;
  const feeds = feedsFor(job.arch, job.shape, job.dtype);
  const r = await measure(() => session.run(feeds), {
    warmup: job.warmup,
    iterations: job.iterations,
    clock: cpuClock,
  });
  await session.release();
  return { kind: 'done', ...r, peakRssBytes: process.resourceUsage().maxRSS * 1024, loadSeconds };
};

const machine = machineFromProbe(await probeMachine());
const provider = await chooseProvider('cpu', machine);
const plan = planBench({
  model: 'sd15',
  sizes: quick
    ? [[256, 256]]
    : [
        [256, 256],
        [512, 512],
      ],
  warmup: 1,
  iterations: quick ? 3 : 4,
});
const loadBefore = loadavg()[0]!.toFixed(2);
const report = await runBench(plan, {
  machine,
  provider,
  ...(cpuTime ? { runPhase: inProcessCpuTime } : {}),
  onEvent: (e) => {
    if (e.kind === 'case')
      process.stderr.write(`${e.model} ${e.phase} ${e.width}x${e.height} batch ${e.forwardBatch}…\n`);
  },
});
// The text encoder on both prompts (CFG), as the pipeline runs it once per call: not a `genready
// bench` phase, measured here the same way as the others.
const sd15 = resolveModel('sd15');
const clip = sd15.textEncoders[0]!.arch;
if (clip.kind !== 'clip-text') throw new Error('SD 1.5 has a CLIP text encoder');
const text = await ensureModel(clip, { dtype: 'float32', seed: plan.seed });
const textWorkload = makeWorkload({ model: sd15, width: 256, height: 256, precision: 'fp32' });
const textRun = await (cpuTime ? inProcessCpuTime : forkPhase)(
  {
    modelPath: text.path,
    arch: clip,
    dtype: 'float32',
    shape: { batch: textWorkload.passes, latentHeight: 32, latentWidth: 32, textTokens: contextTokens(textWorkload) },
    provider: 'cpu',
    warmup: plan.warmup,
    iterations: plan.iterations,
  },
  () => {},
);

const env = report.environment;
const host = machine.host;
// One core of this CPU: its peak divided by the cores, everything else as probed.
const device: Device = cpuTime ? onThreads(host, 1, env.cores) : host;
console.log(
  `${env.device} (${env.cores} cores, ${host.computeId}, ${env.cpuClock ?? `clock unknown: ${DEFAULT_CLOCK_GHZ} GHz`}, ${host.fp32Tflops} TFLOP/s fp32 peak) · onnxruntime ${env.versions.onnxruntime} ${env.provider} · node ${env.versions.node} · load ${loadBefore} → ${loadavg()[0]!.toFixed(2)} · ${env.date}`,
);
console.log(
  cpuTime ? 'timing: CPU seconds on one intra-op thread, against one core' : 'timing: wall seconds, all cores',
);

interface Row {
  phase: Phase;
  width: number;
  height: number;
  batch: number;
  measured: number;
  median: number;
  samples: number[];
  warmup: number[];
  loadSeconds: number;
}
const rows: Row[] = [
  {
    phase: 'text-encoding',
    width: 256,
    height: 256,
    batch: 1,
    measured: textRun.minSeconds,
    median: textRun.medianSeconds,
    samples: textRun.samples,
    warmup: textRun.warmup,
    loadSeconds: textRun.loadSeconds,
  },
  ...report.results.map((r) => ({
    phase: r.phase as Phase,
    width: r.width,
    height: r.height,
    batch: r.batch,
    measured: r.measuredSeconds,
    median: r.medianSeconds,
    samples: r.samples,
    warmup: r.warmupSamples,
    loadSeconds: r.loadSeconds,
  })),
];

console.log('phase          size   measured (min, median)   predicted   predicted/measured (min; median)');
let ok = true;
for (const r of rows) {
  const predicted = predictSeconds(
    {
      model: 'sd15',
      phase: r.phase,
      width: r.width,
      height: r.height,
      batch: r.batch,
      precision: 'fp32',
      strategy: 'cpu',
    },
    device,
  );
  const ratio = predicted / r.measured;
  const inside = ratio >= TARGET[0] && ratio <= TARGET[1];
  ok &&= inside;
  console.log(
    `${r.phase.padEnd(14)} ${`${r.width}²`.padEnd(6)} ${`${r.measured.toFixed(2)} s, ${r.median.toFixed(2)} s`.padEnd(24)} ${`${predicted.toFixed(2)} s`.padEnd(11)} ${ratio.toFixed(2)}; ${(predicted / r.median).toFixed(2)}  ${inside ? 'within' : 'OUTSIDE'} ${TARGET.join('–')}  samples ${r.samples.map((s) => s.toFixed(2)).join(' ')}`,
  );
}
console.log(ok ? 'all ratios within the target' : 'some ratios outside the target');

// First-image parts per model: session creation (per op + per repacked GEMM/conv byte, single-threaded
// in onnxruntime, so compared in either timing) and the first run's extra over the steady minimum
// (activation bytes / cpuFirstTouchBytesPerSecond). The files are in the page cache here: no read.
console.log('first image  size   load measured  predicted  ratio   first-run extra measured  predicted');
for (const r of rows) {
  const { phase, width, height, batch } = r;
  const w = phaseWorkload({ model: 'sd15', phase, width, height, batch, precision: 'fp32', strategy: 'cpu' });
  const part = breakdown(w).find((c) => c.phase === r.phase)!;
  const load = cpuSessionSeconds([part]);
  const extra = Math.max(0, ...r.warmup) - r.measured;
  const touch = cpuFirstRunSeconds([part]);
  console.log(
    `${r.phase.padEnd(14)} ${`${r.width}²`.padEnd(6)} ${`${r.loadSeconds.toFixed(2)} s`.padEnd(14)} ${`${load.toFixed(2)} s`.padEnd(10)} ${(load / r.loadSeconds).toFixed(2)}    ${`${extra.toFixed(2)} s`.padEnd(25)} ${touch.toFixed(2)} s`,
  );
}
