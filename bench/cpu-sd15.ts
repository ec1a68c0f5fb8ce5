/**
 * Predicted / measured for SD 1.5 on this machine's CPU at 256² and 512² (denoising step with CFG,
 * VAE decode), measured in one run with onnxruntime on the catalog's real architectures (random
 * weights). Target: every ratio within 0.75–1.33 before calibration, on the minimum of the
 * iterations (the median is printed beside it: it shows how much other work interfered). Prints the environment
 * (device, versions, load) with the results; stores nothing.
 *
 *   npx tsx bench/cpu-sd15.ts            # ≈ 4 minutes on 2 cores (first run also builds 3.5 GB of graphs)
 */
import { chooseProvider, planBench, runBench } from '../src/bench/bench.ts';
import { machineFromProbe } from '../src/planner/machine.ts';
import { probeMachine } from '../src/probe/probe.ts';

const TARGET = [0.75, 1.33] as const;

const machine = machineFromProbe(await probeMachine());
const provider = await chooseProvider('cpu', machine);
const plan = planBench({
  model: 'sd15',
  sizes: [
    [256, 256],
    [512, 512],
  ],
  warmup: 1,
  iterations: 4,
});
const report = await runBench(plan, {
  machine,
  provider,
  onEvent: (e) => {
    if (e.kind === 'case')
      process.stderr.write(`${e.model} ${e.phase} ${e.width}x${e.height} batch ${e.forwardBatch}…\n`);
  },
});
const env = report.environment;
console.log(
  `${env.device} (${env.cores} cores) · onnxruntime ${env.versions.onnxruntime} ${env.provider} · node ${env.versions.node} · load ${env.loadAverage} · ${env.date}`,
);
console.log('phase        size     measured (min, median)   predicted   predicted/measured (min; median)');
let ok = true;
for (const r of report.results) {
  const ratio = r.predictedSeconds / r.measuredSeconds;
  const inside = ratio >= TARGET[0] && ratio <= TARGET[1];
  ok &&= inside;
  console.log(
    `${r.phase.padEnd(12)} ${`${r.width}²`.padEnd(8)} ${`${r.measuredSeconds.toFixed(2)} s, ${r.medianSeconds.toFixed(2)} s`.padEnd(24)} ${`${r.predictedSeconds.toFixed(2)} s`.padEnd(11)} ${ratio.toFixed(2)}; ${(r.predictedSeconds / r.medianSeconds).toFixed(2)}  ${inside ? 'within' : 'OUTSIDE'} ${TARGET.join('–')}  samples ${r.samples.map((s) => s.toFixed(2)).join(' ')}`,
  );
}
console.log(ok ? 'all ratios within the target' : 'some ratios outside the target');
