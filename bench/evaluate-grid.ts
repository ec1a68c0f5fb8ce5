/**
 * Target: evaluating every device × every model × 5 resolutions × 3 precisions takes under 1 s.
 * Prints the count, the minimum and median wall time over fixed iterations after a warm-up, and the
 * ratio to the 1 s budget (< 1 means within target).
 *
 *   npx tsx bench/evaluate-grid.ts
 */
import { listDevices } from '../src/catalog/devices.ts';
import { listModels } from '../src/catalog/models.ts';
import { breakdown } from '../src/cost/breakdown.ts';
import { estimateMemory } from '../src/cost/memory.ts';
import { estimateTime } from '../src/cost/time.ts';
import { makeWorkload } from '../src/cost/workload.ts';

const SIDES = [512, 768, 1024, 1536, 2048];
const PRECISIONS = ['fp16', 'fp8', 'nf4'];

function grid(): number {
  const devices = listDevices();
  let n = 0;
  for (const m of listModels()) {
    for (const side of SIDES) {
      for (const precision of PRECISIONS) {
        const w = makeWorkload({ model: m, width: side, height: side, precision });
        // the device-independent breakdown is shared by every device
        const parts = breakdown(w);
        const memory = estimateMemory(w, parts, 'gpu');
        for (const d of devices) {
          estimateTime(w, parts, d, 'gpu');
          void memory;
          n++;
        }
      }
    }
  }
  return n;
}

grid(); // warm-up
const samples: number[] = [];
let count = 0;
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  count = grid();
  samples.push((performance.now() - t) / 1000);
}
samples.sort((a, b) => a - b);
const median = samples[Math.floor(samples.length / 2)]!;
console.log(
  JSON.stringify({
    evaluations: count,
    samplesSeconds: samples.map((s) => +s.toFixed(3)),
    minSeconds: +samples[0]!.toFixed(3),
    medianSeconds: +median.toFixed(3),
    ratioToBudget: +(median / 1).toFixed(3),
    node: process.version,
    date: new Date().toISOString(),
  }),
);
