/**
 * First image against steady state, as genready's own `run` measures it on this machine: the
 * example model (`genready run --example`: the real ONNX pipeline on tiny random weights) is
 * written to a fresh folder and produced with one intra-op thread; the times from the start to the
 * plan (model loaded: sessions created, files hashed), to the first batch, and between later batches
 * are compared with the cost model's first-image parts (src/cost/first-image.ts): session creation
 * per byte of repacked GEMM/conv weights, the first run's extra, and the steady batch. Wall and CPU
 * seconds are both printed (a busy shared machine stretches wall time). Stores nothing.
 *
 *   npx tsx bench/first-image.ts [IMAGES]   (default 12, batches of 2)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { walk } from '../src/cost/analyze/index.ts';
import { groupOps } from '../src/cost/breakdown.ts';
import { cpuSessionSeconds } from '../src/cost/first-image.ts';
import { ortVersion } from '../src/ort/session.ts';
import { EXAMPLE_RECIPE, TINY_UNET, TINY_VAE, tinyTokenizer, writeExample } from '../src/runner/example.ts';
import { runProduction } from '../src/runner/production.ts';
import { recipeFrom } from '../src/runner/recipe.ts';

const images = Number(process.argv[2] ?? 12);
const dir = mkdtempSync(join(tmpdir(), 'genready-first-image-'));
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const wall = () => performance.now() / 1000;

try {
  const ex = await writeExample(dir);
  // The example's own recipe (`genready run --example`), with as many seeds as images asked for.
  const recipe = recipeFrom({ ...EXAMPLE_RECIPE, seeds: `1-${images}` }, join(dir, 'recipe.json'));
  const load0 = loadavg()[0]!.toFixed(2);
  const marks: { wall: number; cpu: number }[] = [{ wall: wall(), cpu: cpu() }];
  let lastDone = 0;
  await runProduction(recipe, {
    threads: 1,
    events: {
      onPlan: () => marks.push({ wall: wall(), cpu: cpu() }),
      // Images of one batch are committed together: one mark per batch.
      onImage: (_e, p) => {
        if (p.done - lastDone >= 2 || p.done === p.total) {
          marks.push({ wall: wall(), cpu: cpu() });
          lastDone = p.done;
        }
      },
    },
  });
  const d = (i: number, k: 'wall' | 'cpu') => marks[i + 1]![k] - marks[i]![k];
  const batches = marks.length - 2;
  const steady = (k: 'wall' | 'cpu') => {
    const xs = Array.from({ length: batches - 1 }, (_, i) => d(i + 2, k)).sort((a, b) => a - b);
    return { min: xs[0]!, median: xs[Math.floor(xs.length / 2)]! };
  };
  // Predicted session creation of the example's three graphs, from their architectures' ops (the
  // text encoder as src/runner/example.ts writes it).
  const clip = {
    kind: 'clip-text' as const,
    vocab: Object.keys(tinyTokenizer().vocab).length,
    maxTokens: 77,
    width: 32,
    layers: 2,
    heads: 2,
    ffn: 64,
    projection: 0,
  };
  const g = { width: 32, height: 32, latentWidth: 4, latentHeight: 4, textTokens: 77 };
  const parts = [clip, TINY_UNET, TINY_VAE].map((a) => ({ opGroups: groupOps(walk(a, g)) }));
  const load = cpuSessionSeconds(parts);
  const packed = ex.parameters * 4;
  console.log(
    `genready run --example: ${ex.parameters} parameters (${(packed / 1e6).toFixed(1)} MB fp32), ${images} images in batches of 2, one thread · onnxruntime ${ortVersion('common')} · load ${load0} → ${loadavg()[0]!.toFixed(2)}`,
  );
  console.log('                              wall s    CPU s     predicted');
  const row = (name: string, w: number, c: number, p: string) =>
    console.log(`${name.padEnd(30)}${w.toFixed(3).padEnd(10)}${c.toFixed(3).padEnd(10)}${p}`);
  row('start → model loaded', d(0, 'wall'), d(0, 'cpu'), `${load.toFixed(3)} (session creation only)`);
  row('first batch', d(1, 'wall'), d(1, 'cpu'), '');
  const s = { wall: steady('wall'), cpu: steady('cpu') };
  row('steady batch (min)', s.wall.min, s.cpu.min, '');
  row('steady batch (median)', s.wall.median, s.cpu.median, '');
  row('first batch − steady (min)', d(1, 'wall') - s.wall.min, d(1, 'cpu') - s.cpu.min, 'warm-up');
  row('first image (start → batch 1)', d(0, 'wall') + d(1, 'wall'), d(0, 'cpu') + d(1, 'cpu'), '');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
