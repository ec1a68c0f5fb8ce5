/**
 * Targets (issue 19): 10,000 full estimates (every strategy, the auto choice) in ≤ 0.2 s; `gpus`
 * (the ladder over every catalog GPU × rung × batch) and `plan` over the whole catalog in ≤ 0.3 s of
 * work each. Prints, per case, wall and CPU seconds: the first call (cold), then fixed iterations
 * from a fresh estimate memo and with it warm; minimum and median, and the median CPU ("work") over
 * the budget (< 1 means within target). The machine's load average is printed with them: on a
 * shared machine the wall times are inflated, the CPU times much less.
 *
 *   npx tsx bench/evaluate-grid.ts
 */
import { cpus, loadavg } from 'node:os';
import { listDevices } from '../src/catalog/devices.ts';
import { listModels } from '../src/catalog/models.ts';
import { clearEstimateMemo, estimate } from '../src/cost/estimate.ts';
import { makeWorkload } from '../src/cost/workload.ts';
import { hypotheticalMachine } from '../src/planner/machine.ts';
import { plan } from '../src/planner/plan.ts';
import { rankDevices } from '../src/planner/ranking.ts';

const SIDES = [512, 768, 1024, 1536, 2048];
const PRECISIONS = ['fp16', 'fp8', 'nf4'];
const TARGET_ESTIMATES = 10_000;

/** 10,000 full estimates: models × sides × precisions × devices, in that order, until the count. */
function estimates(): number {
  const devices = listDevices();
  let n = 0;
  for (const m of listModels())
    for (const side of SIDES)
      for (const precision of PRECISIONS) {
        const w = makeWorkload({ model: m, width: side, height: side, precision });
        for (const d of devices) {
          if (n === TARGET_ESTIMATES) return n;
          estimate(w, d, { ramGiB: 32 });
          n++;
        }
      }
  return n;
}

const gpus = () => rankDevices({ model: 'sdxl', width: 1024, height: 1024 }).length;

const planCase = () =>
  plan({
    workload: { model: 'flux-dev' },
    images: 100,
    withinHours: 8,
    budgetUsd: null,
    electricityUsdPerKWh: 0.3,
    machine: hypotheticalMachine(listDevices().find((d) => d.name === 'GeForce RTX 3060 12GB')!),
  }).candidates.length;

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * Wall and CPU ("work") seconds of `f`: the first call in the process (cold: architecture walks,
 * tiers), then fixed iterations from a fresh estimate memo (each grid pays for its own breakdowns
 * and times, as one command does), then fixed iterations with the memo warm (a long-running server).
 */
function measure(name: string, budgetSeconds: number, f: () => number, iterations = 5) {
  let t = performance.now();
  let c = cpuSeconds();
  const count = f();
  const cold = { wall: (performance.now() - t) / 1000, cpu: cpuSeconds() - c };
  const run = (fresh: boolean) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < iterations; i++) {
      if (fresh) clearEstimateMemo();
      t = performance.now();
      c = cpuSeconds();
      f();
      wall.push((performance.now() - t) / 1000);
      cpu.push(cpuSeconds() - c);
    }
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const w = sorted(wall);
    const u = sorted(cpu);
    const mid = Math.floor(iterations / 2);
    return {
      wallSeconds: w.map((x) => +x.toFixed(3)),
      minWall: +w[0]!.toFixed(3),
      medianWall: +w[mid]!.toFixed(3),
      minCpu: +u[0]!.toFixed(3),
      medianCpu: +u[mid]!.toFixed(3),
      ratioToBudget: +(u[mid]! / budgetSeconds).toFixed(3),
    };
  };
  return {
    name,
    count,
    budgetSeconds,
    cold: { wall: +cold.wall.toFixed(3), cpu: +cold.cpu.toFixed(3) },
    freshMemo: run(true),
    warmMemo: run(false),
  };
}

const results = [
  measure('10k full estimates', 0.2, estimates),
  measure('gpus: sdxl 1024² over the catalog (best batch)', 0.3, gpus),
  measure('plan: flux-dev 100 images in 8 h on an RTX 3060 12GB', 0.3, planCase),
];
console.log(
  JSON.stringify(
    {
      results,
      loadAverage: loadavg().map((x) => +x.toFixed(2)),
      cpus: cpus().length,
      node: process.version,
      date: new Date().toISOString(),
    },
    null,
    1,
  ),
);
