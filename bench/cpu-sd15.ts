/**
 * Predicted / measured for SD 1.5 on this machine's CPU at 256² and 512² (denoising step with CFG,
 * VAE decode), measured in one run with onnxruntime on the catalog's real architectures (random
 * weights). Target: every ratio within 0.9–1.1 before calibration, on the minimum of the
 * iterations (the median is printed beside it: it shows how much other work interfered). Prints the
 * environment (device, versions, load) with the results; stores nothing.
 *
 *   npx tsx bench/cpu-sd15.ts              # wall time, all cores (≈ 4 minutes on 2 idle cores)
 *   npx tsx bench/cpu-sd15.ts --cpu-time   # one intra-op thread, CPU seconds of this process
 *   npx tsx bench/cpu-sd15.ts --quick      # 256² only
 *
 * `--cpu-time` is for shared machines: a run on one thread is charged only for the time it holds a
 * core, so other processes' load stretches its wall time but not its CPU time. It is compared with
 * the prediction for one core of this CPU (peak FLOPs / cores; DRAM bandwidth kept: one Zen 3 or
 * Xeon core streams a large share of a dual-channel system's bandwidth, and the phases are
 * compute-bound on CPUs). Caches and memory bandwidth are still shared with the other load.
 */
import { loadavg } from 'node:os';
import { chooseProvider, type PhaseRunner, planBench, runBench } from '../src/bench/bench.ts';
import { predictSeconds } from '../src/bench/calibration.ts';
import { feedsFor, measure, openSession } from '../src/bench/runner.ts';
import type { Device } from '../src/catalog/devices.types.ts';
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
  const t0 = performance.now();
  const session = await openSession(job.modelPath, { provider: job.provider, threads: 1 });
  const loadSeconds = (performance.now() - t0) / 1000;
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
const env = report.environment;
const host = machine.host;
// One core of this CPU: its peak divided by the cores, everything else as probed.
const oneCore: Device = { ...host, id: `${host.id}-1core`, fp32Tflops: host.fp32Tflops / env.cores };
console.log(
  `${env.device} (${env.cores} cores, ${host.computeId}, ${host.fp32Tflops} TFLOP/s fp32 peak) · onnxruntime ${env.versions.onnxruntime} ${env.provider} · node ${env.versions.node} · load ${loadBefore} → ${loadavg()[0]!.toFixed(2)} · ${env.date}`,
);
console.log(
  cpuTime ? 'timing: CPU seconds on one intra-op thread, against one core' : 'timing: wall seconds, all cores',
);
console.log('phase        size     measured (min, median)   predicted   predicted/measured (min; median)');
let ok = true;
for (const r of report.results) {
  const predicted = cpuTime
    ? predictSeconds(
        {
          model: r.model,
          phase: r.phase,
          width: r.width,
          height: r.height,
          batch: r.batch,
          precision: r.precision,
          strategy: 'cpu',
        },
        oneCore,
      )
    : r.predictedSeconds;
  const ratio = predicted / r.measuredSeconds;
  const inside = ratio >= TARGET[0] && ratio <= TARGET[1];
  ok &&= inside;
  console.log(
    `${r.phase.padEnd(12)} ${`${r.width}²`.padEnd(8)} ${`${r.measuredSeconds.toFixed(2)} s, ${r.medianSeconds.toFixed(2)} s`.padEnd(24)} ${`${predicted.toFixed(2)} s`.padEnd(11)} ${ratio.toFixed(2)}; ${(predicted / r.medianSeconds).toFixed(2)}  ${inside ? 'within' : 'OUTSIDE'} ${TARGET.join('–')}  samples ${r.samples.map((s) => s.toFixed(2)).join(' ')}`,
  );
}
console.log(ok ? 'all ratios within the target' : 'some ratios outside the target');
