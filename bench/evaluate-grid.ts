/**
 * Targets (issue 19): 10,000 full estimates (every strategy, the auto choice) in ≤ 0.2 s; `gpus`
 * (the ladder over every catalog GPU × rung × batch) and `plan` over the whole catalog in ≤ 0.3 s of
 * work each. Prints, per case, the minimum and median wall time over fixed iterations after a
 * warm-up, and the ratio to its budget (< 1 means within target). The first (cold) run is reported
 * apart: it includes walking each architecture once and the per-device tiers.
 *
 *   npx tsx bench/evaluate-grid.ts
 */
import { listDevices } from '../src/catalog/devices.ts';
import { listModels } from '../src/catalog/models.ts';
import { estimate } from '../src/cost/estimate.ts';
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

function measure(name: string, budgetSeconds: number, f: () => number, iterations = 5) {
  let t = performance.now();
  const count = f();
  const coldSeconds = (performance.now() - t) / 1000;
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    t = performance.now();
    f();
    samples.push((performance.now() - t) / 1000);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)]!;
  return {
    name,
    count,
    coldSeconds: +coldSeconds.toFixed(3),
    samplesSeconds: samples.map((s) => +s.toFixed(3)),
    minSeconds: +samples[0]!.toFixed(3),
    medianSeconds: +median.toFixed(3),
    budgetSeconds,
    ratioToBudget: +(median / budgetSeconds).toFixed(3),
  };
}

const results = [
  measure('10k full estimates', 0.2, estimates),
  measure('gpus: sdxl 1024² over the catalog (best batch)', 0.3, gpus),
  measure('plan: flux-dev 100 images in 8 h on an RTX 3060 12GB', 0.3, planCase),
];
console.log(JSON.stringify({ results, node: process.version, date: new Date().toISOString() }, null, 1));
