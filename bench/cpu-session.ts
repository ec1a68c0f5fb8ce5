/**
 * Where onnxruntime's CPU session creation and first run spend their time, on SD 1.5's three graphs
 * at 256² (random weights, fp32): each graph in a fresh process, as a first image is, on one
 * intra-op thread. For each it prints user and system CPU seconds and the minor page faults
 * (getrusage) of creating the session and of the first and second runs, beside what the same fresh
 * process measured for this machine's first touch of memory (a new 256 MiB buffer written once:
 * the kernel faults in and zeroes every 4 KiB page). The first-image model (src/cost/first-image.ts)
 * is compared with each. Stores nothing.
 *
 *   npx tsx bench/cpu-session.ts          (≈ 1 minute once the graphs are cached)
 */
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { feedShape, planBench } from '../src/bench/bench.ts';
import { ensureModel } from '../src/bench/cache.ts';
import { feedsFor, openSession } from '../src/bench/runner.ts';
import { breakdown } from '../src/cost/breakdown.ts';
import { cpuFirstRunSeconds, cpuSessionSeconds, prepackedBytes, runOps } from '../src/cost/first-image.ts';
import { phaseWorkload } from '../src/cost/phase-seconds.ts';

const PAGE = 4096;
const TOUCH_BYTES = 256 * 2 ** 20;

interface Cost {
  wall: number;
  user: number;
  sys: number;
  faults: number;
}
interface ChildReport {
  touch: Cost;
  create: Cost;
  run1: Cost;
  run2: Cost;
}

/** Wall and CPU seconds and minor faults of one awaited step, in this process. */
async function cost(step: () => Promise<unknown>): Promise<Cost> {
  const r0 = process.resourceUsage();
  const t0 = performance.now();
  await step();
  const t1 = performance.now();
  const r1 = process.resourceUsage();
  return {
    wall: (t1 - t0) / 1000,
    user: (r1.userCPUTime - r0.userCPUTime) / 1e6,
    sys: (r1.systemCPUTime - r0.systemCPUTime) / 1e6,
    faults: r1.minorPageFault - r0.minorPageFault,
  };
}

const plan = planBench({ model: 'sd15', sizes: [[256, 256]], warmup: 0, iterations: 1 });

if (process.argv[2] === '--child') {
  const c = plan.cases.find((x) => x.phase === process.argv[3])!;
  const path = process.argv[4]!;
  // allocUnsafeSlow takes fresh pages from the kernel (no pool, no zeroing in user space): the
  // fill is the first touch of each page.
  const buf = Buffer.allocUnsafeSlow(TOUCH_BYTES);
  const touch = await cost(async () => buf.fill(1));
  let session: Awaited<ReturnType<typeof openSession>> | undefined;
  const create = await cost(async () => {
    session = await openSession(path, { provider: 'cpu', threads: 1 });
  });
  const feeds = feedsFor(c.arch, feedShape(c), 'float32');
  const run1 = await cost(() => session!.run(feeds));
  const run2 = await cost(() => session!.run(feeds));
  process.send!({ touch, create, run1, run2 } satisfies ChildReport);
  process.exit(0);
}

function inChild(phase: string, path: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', phase, path], {
      execArgv: ['--import', 'tsx'],
    });
    child.once('message', (m) => resolve(m as ChildReport));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`${phase}: child exited ${code}`))));
  });
}

const load0 = loadavg()[0]!.toFixed(2);
console.log(
  'graph          ops  packed GB | create wall  user   sys    faulted GB  faulted/packed  sys µs/fault | model s | first run extra: wall  faulted GB  model s | first touch GB/s',
);
const totals = { packed: 0, faults: 0, sys: 0, user: 0, ops: 0 };
for (const c of plan.cases) {
  const cached = await ensureModel(c.arch, { dtype: 'float32', seed: plan.seed });
  const r = await inChild(c.phase, cached.path);
  const { width, height, batch } = c.workload;
  const w = phaseWorkload({ model: 'sd15', phase: c.phase, width, height, batch, precision: 'fp32', strategy: 'cpu' });
  const part = breakdown(w).find((p) => p.phase === c.phase)!;
  const packed = prepackedBytes([part]);
  const ops = runOps([part]);
  const extraWall = r.run1.wall - r.run2.wall;
  const extraFaults = r.run1.faults - r.run2.faults;
  const touchRate = TOUCH_BYTES / r.touch.wall;
  totals.packed += packed;
  totals.faults += r.create.faults;
  totals.sys += r.create.sys;
  totals.user += r.create.user;
  totals.ops += ops;
  console.log(
    [
      c.phase.padEnd(14),
      String(ops).padStart(4),
      (packed / 1e9).toFixed(2).padStart(10),
      '|',
      `${r.create.wall.toFixed(2)} s`.padStart(11),
      r.create.user.toFixed(2).padStart(5),
      r.create.sys.toFixed(2).padStart(6),
      ((r.create.faults * PAGE) / 1e9).toFixed(2).padStart(11),
      ((r.create.faults * PAGE) / packed).toFixed(2).padStart(15),
      ((r.create.sys / r.create.faults) * 1e6).toFixed(2).padStart(13),
      '|',
      cpuSessionSeconds([part]).toFixed(2).padStart(7),
      '|',
      `${extraWall.toFixed(2)} s`.padStart(22),
      ((extraFaults * PAGE) / 1e9).toFixed(2).padStart(11),
      cpuFirstRunSeconds([part]).toFixed(2).padStart(8),
      '|',
      `${(touchRate / 1e9).toFixed(2)} (${((r.touch.wall / r.touch.faults) * 1e6).toFixed(2)} µs/page)`.padStart(17),
    ].join(' '),
  );
}
console.log(
  `all three: faulted/packed ${((totals.faults * PAGE) / totals.packed).toFixed(2)}, sys ${((totals.sys / totals.faults) * 1e6).toFixed(2)} µs/fault, user ${(totals.user / (totals.packed / 1e9)).toFixed(2)} s per packed GB (${totals.ops} ops) · load ${load0} → ${loadavg()[0]!.toFixed(2)}`,
);
