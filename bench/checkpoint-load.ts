/**
 * Loading a full-size SD 1.5 single-file checkpoint (1,136 tensors, 2.13 GB of fp16, written sparse
 * so it costs no disk) into the graph layout (fp32) through the name maps: peak RSS above the
 * starting RSS over the fp32 weights it produces (target ≤ 1.25: the weights plus 25 %), load time,
 * and the time to read the file's bytes once (sparse: zeros from the page cache, so a lower bound
 * for a real disk).
 *
 * Then `run` on it, each in a fresh process (`--run`): one 64×64 image in one step through the
 * checkpoint backend, first converting (graphs written to a temporary cache: ≈ 3.9 GB of disk), then
 * from the cache; and genready's own prediction for that image on this CPU (`estimate --device here
 * --precision fp32`), predicted against measured seconds per image and peak RSS. One run;
 * environment printed with the result; stores nothing.
 *
 *   npx tsx bench/checkpoint-load.ts     # ≈ 4 minutes on 2 cores, ≈ 4.5 GB of RAM, ≈ 4 GB of disk
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveModel } from '../src/catalog/models.ts';
import type { AutoencoderArch, ClipTextArch, UNetArch } from '../src/catalog/models.types.ts';
import { clipTextNameMap, unetNameMap, vaeDecoderNameMap } from '../src/checkpoint/names.ts';
import { readSafetensorsHeader } from '../src/checkpoint/safetensors.ts';
import { type GraphWeight, loadGraphWeights } from '../src/checkpoint/tensors.ts';
import { writeSafetensors } from '../src/checkpoint/write.ts';
import { checkpointBackend } from '../src/runner/backends/checkpoint.ts';
import { generateBatch, TextEncoderCache } from '../src/runner/pipeline.ts';
import { expandImages, recipeFrom } from '../src/runner/recipe.ts';
import { sd15Tensors } from '../test/checkpoint/_sd15.ts';

const TARGET = 1.25;

/** Peak resident set of this process so far (kernel's high-water mark), bytes. */
function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `--run FILE CACHE`: one 64×64 image in one step from the checkpoint; prints one JSON line. */
async function runOnce(file: string, cache: string): Promise<void> {
  const t0 = performance.now();
  let built = false;
  const model = await checkpointBackend({
    cacheRoot: cache,
    onReady: (r) => {
      built = r.built;
    },
  }).load(file, { providers: ['cpu'] });
  const loadSeconds = (performance.now() - t0) / 1000;
  const [spec] = expandImages(
    recipeFrom(
      { model: file, prompt: 'a photo of a cat', seeds: [1], steps: 1, guidance: 7, sampler: 'euler', size: '64x64' },
      join(cache, 'recipe.json'),
    ),
  );
  const t1 = performance.now();
  await generateBatch(model, [spec!], new TextEncoderCache(model));
  const imageSeconds = (performance.now() - t1) / 1000;
  await model.close();
  console.log(JSON.stringify({ built, loadSeconds, imageSeconds, peakRss: peakRss() }));
}

interface RunResult {
  built: boolean;
  loadSeconds: number;
  imageSeconds: number;
  peakRss: number;
}

function child(file: string, cache: string): RunResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--run', file, cache], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as RunResult;
  } catch {
    throw new Error(`the run failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

/** genready's prediction for the run: seconds per image and peak host memory on this machine's CPU. */
function prediction(): { seconds: number; peakHost: number; runtime: string } {
  const base = ['bin/genready.mjs', 'estimate', '--model', 'sd15', '--device', 'here', '--size', '64x64'];
  const rest = ['--steps', '1', '--precision', 'fp32', '--json'];
  // The runner is onnxruntime; estimate names its stacks, and without that one, pytorch's stands in.
  for (const runtime of ['onnxruntime', 'pytorch']) {
    const r = spawnSync(process.execPath, [...base, '--runtime', runtime, ...rest], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) continue;
    const j = JSON.parse(r.stdout) as { time: { secondsPerImage: number }; memory: { peakHostBytes: number } };
    return { seconds: j.time.secondsPerImage, peakHost: j.memory.peakHostBytes, runtime };
  }
  throw new Error('genready estimate failed');
}

if (process.argv[2] === '--run') {
  await runOnce(process.argv[3]!, process.argv[4]!);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'genready-load-'));
try {
  const file = join(dir, 'v1-5-fp16.safetensors');
  const bytes = writeSafetensors(file, sd15Tensors('F16'));

  const readStart = performance.now();
  const fd = openSync(file, 'r');
  const chunk = Buffer.alloc(64 << 20);
  for (let pos = 0; pos < bytes; ) pos += readSync(fd, chunk, 0, chunk.length, pos) || bytes;
  closeSync(fd);
  const readSeconds = (performance.now() - readStart) / 1000;

  const sd = resolveModel('sd15');
  const before = process.memoryUsage().rss;
  const start = performance.now();
  const header = readSafetensorsHeader(file);
  const weights: GraphWeight[] = [
    ...loadGraphWeights(
      [header],
      'model.diffusion_model.',
      unetNameMap(sd.denoiser.arch as UNetArch, { convProjection: true }),
      'ldm',
    ),
    ...loadGraphWeights([header], 'first_stage_model.', vaeDecoderNameMap(sd.vae.arch as AutoencoderArch), 'ldm'),
    ...loadGraphWeights(
      [header],
      'cond_stage_model.transformer.',
      clipTextNameMap(sd.textEncoders[0]!.arch as ClipTextArch),
      'ldm',
    ),
  ];
  const loadSeconds = (performance.now() - start) / 1000;
  const fp32 = weights.reduce((s, w) => s + w.data.byteLength, 0);
  const ratio = (peakRss() - before) / fp32;
  console.log(
    `node ${process.version} · ${process.platform} ${process.arch} · load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} · ${new Date().toISOString()}`,
  );
  console.log(
    `file ${(bytes / 1e9).toFixed(2)} GB fp16, ${header.tensors.length} tensors; loaded ${weights.length} graph weights`,
  );
  console.log(
    `fp32 weights ${(fp32 / 1e9).toFixed(2)} GB; peak RSS above start ${((peakRss() - before) / 1e9).toFixed(2)} GB`,
  );
  console.log(`peak RSS / weights = ${ratio.toFixed(3)} (target ≤ ${TARGET}) ${ratio <= TARGET ? 'ok' : 'OVER'}`);
  console.log(
    `load ${loadSeconds.toFixed(1)} s vs reading the file once ${readSeconds.toFixed(1)} s: ×${(loadSeconds / readSeconds).toFixed(1)}`,
  );
  process.exitCode = ratio <= TARGET ? 0 : 1;

  const cache = join(dir, 'cache');
  const first = child(file, cache);
  const again = child(file, cache);
  const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;
  console.log(
    `run, converting: ${first.built ? 'built' : 'REUSED?'} in ${first.loadSeconds.toFixed(1)} s (hash, convert, write, load), image ${first.imageSeconds.toFixed(1)} s, peak RSS ${gb(first.peakRss)}`,
  );
  console.log(
    `run, from the cache: ${again.built ? 'BUILT AGAIN' : 'reused'}, load ${again.loadSeconds.toFixed(1)} s, image ${again.imageSeconds.toFixed(1)} s (64×64, 1 step, guided), peak RSS ${gb(again.peakRss)}`,
  );
  const p = prediction();
  console.log(
    `genready estimate (${p.runtime}, fp32, this CPU): ${p.seconds.toFixed(2)} s per image vs measured ${again.imageSeconds.toFixed(2)} s (×${(again.imageSeconds / p.seconds).toFixed(2)}); peak host ${gb(p.peakHost)} vs measured peak RSS ${gb(again.peakRss)} (×${(again.peakRss / p.peakHost).toFixed(2)})`,
  );
  if (first.built !== true || again.built !== false) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
