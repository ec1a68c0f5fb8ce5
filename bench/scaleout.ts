/**
 * Scale-out on the queue, measured in one run: images/hour of the tiny example recipe with 1, 2 and
 * 3 workers (separate processes, one onnxruntime thread each) against a local `genready run` of the
 * same recipe with one thread; the queue's overhead per image in ms (1 worker vs local; goal under
 * 5 %), and Redis memory per 10,000 images queued and per 10,000 finished. Starts its own
 * redis-server. Every queued run's bytes are compared with the local run's.
 *
 * Redis memory per 10,000 finished images: `INFO memory` used_memory read right before each queued
 * run (workers connected and warm) and right after it finished (the same connections), the
 * difference divided by the images made and scaled to 10,000; the median of the three runs is
 * printed (used_memory also counts client buffers, so one run can be off by tens of KiB). Beside
 * it, the same difference of the queue's own keys (MEMORY USAGE of every genready:* key), which
 * has no such noise. Finished chunks are removed from Redis (removeOnComplete), so what stays is
 * the run's status line and BullMQ's event stream, which BullMQ caps (10,000 events by default):
 * the linear scale is an upper bound for long runs.
 *
 *   npx tsx bench/scaleout.ts [IMAGES]      # 24 images by default; ≈ 2 minutes on 2 cores
 *
 * On a machine with fewer cores than workers, more workers share the same cores: the figure to
 * read there is the overhead, not the speed-up.
 */

import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parseInfo } from '../src/queue/connect.ts';
import { runCoordinator } from '../src/queue/coordinator.ts';
import { parseQueueUrl } from '../src/queue/url.ts';
import { runProduction } from '../src/runner/production.ts';
import { expandImages, recipeFrom } from '../src/runner/recipe.ts';
import { fixture, SUITE_RECIPE, worker } from '../test/queue/_cluster.ts';
import { startRedis } from '../test/queue/_redis.ts';

const images = Number(process.argv[2] ?? 24);
const seeds = `1-${Math.ceil(images / 2)}`;
const fx = await fixture();
const base = join(fx.dir, 'ex', 'recipe.json');
const mk = (output: string, over: Record<string, unknown> = {}) =>
  recipeFrom({ ...SUITE_RECIPE, seeds, output, ...over }, base);

const local = await runProduction(mk('./local'), { threads: 1 });
const localPerHour = (local.made / local.seconds) * 3600;
console.log(
  `environment: ${cpus()[0]?.model.trim()} × ${cpus().length}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, node ${process.version}`,
);
console.log(
  `local run: ${local.made} images in ${local.seconds.toFixed(1)} s = ${Math.round(localPerHour)} images/hour (model load included)`,
);

const redis = await startRedis();
const address = parseQueueUrl(redis.url);
/** Bytes held by the queue's keys (MEMORY USAGE of every genready:* key). */
async function keysBytes(): Promise<number> {
  const c = new Redis(redis.url);
  let total = 0;
  for (const k of await c.keys('genready:*')) total += Number((await c.memory('USAGE', k)) ?? 0);
  c.disconnect();
  return total;
}
/** Redis's own count of the bytes it holds (INFO memory: used_memory). */
async function usedMemory(): Promise<number> {
  const c = new Redis(redis.url);
  const info = parseInfo(String(await c.info('memory')));
  c.disconnect();
  return Number(info.used_memory);
}
const perTenThousand: number[] = [];
const keysPerTenThousand: number[] = [];
const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  const rows: string[] = [];
  for (const n of [1, 2, 3]) {
    const procs = Array.from({ length: n }, (_, i) =>
      worker(redis.url, `bench-${n}-${i}`, {}, ['--lock-seconds', '30']),
    );
    await Promise.all(procs.map((p) => p.until((e) => e.some((x) => x.event === 'ready'), 120_000, 'worker ready')));
    // Warm-up: each worker's inference child starts and loads the model (not counted).
    await runCoordinator(mk(`./warm-${n}`, { seeds: `1-${n * 2}` }), {
      address,
      chunk: 2,
      tickMs: 100,
      requeueMs: 5000,
    });
    const r = mk(`./queued-${n}`);
    const memBefore = await usedMemory();
    const keysBefore = await keysBytes();
    const s = await runCoordinator(r, { address, chunk: 4, tickMs: 100, requeueMs: 5000 });
    const memAfter = await usedMemory();
    const held = await keysBytes();
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    const perHour = (s.made / s.seconds) * 3600;
    let same = 0;
    for (const im of expandImages(r))
      if (readFileSync(join(r.outputDir, im.file)).equals(readFileSync(join(local.outputDir, im.file)))) same++;
    const overheadMs = ((s.seconds - local.seconds) / s.made) * 1000;
    // Time outside generation per image (wall minus the manifest's per-image generation seconds),
    // queued vs local: what the queue adds when the machine is not otherwise busy.
    const outside = (dir: string, wall: number) => {
      const gen = readFileSync(join(dir, 'manifest.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .reduce((a, l) => a + (JSON.parse(l) as { seconds: number }).seconds, 0);
      return ((wall - gen) / s.made) * 1000;
    };
    if (n === 1) {
      const localOut = outside(local.outputDir, local.seconds);
      const queuedOut = outside(r.outputDir, s.seconds);
      console.log(
        `time outside generation per image: local ${localOut.toFixed(0)} ms, queued ${queuedOut.toFixed(0)} ms: the queue adds ${(queuedOut - localOut).toFixed(0)} ms per image (${(((queuedOut - localOut) / ((local.seconds / local.made) * 1000)) * 100).toFixed(1)} % of a local image)`,
      );
    }
    perTenThousand.push(((memAfter - memBefore) / s.made) * 10_000);
    keysPerTenThousand.push(((held - keysBefore) / s.made) * 10_000);
    rows.push(
      `${n} worker(s): ${s.made} images in ${s.seconds.toFixed(1)} s = ${Math.round(perHour)} images/hour (${(perHour / localPerHour).toFixed(2)}× local); ` +
        `${n === 1 ? `overhead ${overheadMs.toFixed(0)} ms/image = ${((overheadMs / ((local.seconds / local.made) * 1000)) * 100).toFixed(1)} % of a local image; ` : ''}` +
        `${same}/${s.total} byte-identical to local; Redis keys of the queue after finishing: ${(held / 1024).toFixed(0)} KiB`,
    );
    console.log(rows.at(-1));
  }
  console.log(
    `Redis memory per 10,000 finished images: used_memory ${mib(median(perTenThousand))} (median; runs ${perTenThousand.map(mib).join(', ')}); the queue's keys ${mib(median(keysPerTenThousand))} (runs ${keysPerTenThousand.map(mib).join(', ')}); measured over runs of ${images} images, scaled linearly`,
  );
  // Queued: a 10,000-image recipe offered with no worker running (the peak a run puts in Redis).
  const big = mk('./big', { seeds: '1-5000' });
  const before = await keysBytes();
  const ctl = new AbortController();
  await runCoordinator(big, {
    address,
    chunk: 8,
    signal: ctl.signal,
    events: { onProgress: () => ctl.abort() },
  });
  const after = await keysBytes();
  console.log(
    `Redis memory for 10,000 images queued (1,250 chunks of 8, no worker): ${((after - before) / 2 ** 20).toFixed(1)} MiB`,
  );
} finally {
  await redis.stop();
}
