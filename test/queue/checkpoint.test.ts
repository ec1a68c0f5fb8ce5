/**
 * A checkpoint recipe with a LoRA through the queue: the coordinator records the checkpoint's own
 * identity (A1111's hash, the LoRA's hash), a worker finds the file by it, builds the checkpoint
 * cache itself and merges the LoRA, and the images are byte for byte those of a local run. A
 * worker whose file has another hash than the one recorded refuses the run.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { a1111Hashes } from '../../src/checkpoint/hash.ts';
import { writeSafetensors } from '../../src/checkpoint/write.ts';
import { fakeProbe } from '../../src/probe/fake.ts';
import { CHILD_IMPORT_ENV } from '../../src/queue/_infer-protocol.ts';
import { queueStatus } from '../../src/queue/admin.ts';
import { runCoordinator } from '../../src/queue/coordinator.ts';
import { parseQueueUrl } from '../../src/queue/url.ts';
import { startWorker } from '../../src/queue/worker.ts';
import { RunnerError } from '../../src/runner/errors.ts';
import { runProduction } from '../../src/runner/production.ts';
import { recipeFrom } from '../../src/runner/recipe.ts';
import { writeClipTokenizer } from '../../src/runner/tokenizer.ts';
import { writeTinyLora, writeTinySingleFile } from '../runner/_checkpoint.ts';
import { startRedis, type TestRedis } from './_redis.ts';
import './_tiny-checkpoint.ts';

const SEAM = fileURLToPath(new URL('./_tiny-checkpoint.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'genready-queue-ckpt-'));
const model = writeTinySingleFile(join(dir, 'tiny-model.safetensors'));
writeTinyLora(join(dir, 'detail.safetensors'));
const base = {
  model: 'tiny-model.safetensors',
  loras: [{ file: 'detail.safetensors', weight: 0.8 }],
  prompts: ['a photo of a cat'],
  seeds: [3, 4, 5],
  steps: 2,
  guidance: 5,
  sampler: 'euler',
  size: '32x32',
};
const recipe = (output: string) => recipeFrom({ ...base, output }, join(dir, 'recipe.json'));
const pngs = (out: string) =>
  readdirSync(out)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => [f, readFileSync(join(out, f)).toString('hex')] as const);

after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A suite's own redis-server and the child-import seam, with the environment put back after: each
 * suite gets a fresh queue (a run a test aborts leaves its chunks in its queue).
 */
function ownRedis(): { readonly url: string } {
  let redis: TestRedis | undefined;
  const env = { cache: process.env.GENREADY_CACHE_DIR, seam: process.env[CHILD_IMPORT_ENV] };
  before(async () => {
    redis = await startRedis();
    process.env[CHILD_IMPORT_ENV] = SEAM;
  });
  after(async () => {
    await redis?.stop();
    for (const [k, v] of [
      ['GENREADY_CACHE_DIR', env.cache],
      [CHILD_IMPORT_ENV, env.seam],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });
  return {
    get url() {
      if (!redis) throw new Error('redis is started in before()');
      return redis.url;
    },
  };
}

describe('a checkpoint + LoRA recipe through the queue', () => {
  const redis = ownRedis();

  it('a worker builds its own cache and makes the local run’s bytes; a file changed since is refused', async () => {
    process.env.GENREADY_CACHE_DIR = join(dir, 'cache-local');
    const local = await runProduction(recipe('out-local'), { threads: 1 });
    assert.equal(local.made, 3);

    // The worker's own cache: nothing built there yet.
    process.env.GENREADY_CACHE_DIR = join(dir, 'cache-worker');
    const address = parseQueueUrl(redis.url);
    const w = await startWorker({
      address,
      id: 'w1',
      threads: 1,
      probe: async () => fakeProbe({ ramGiB: 8 }),
      lockMs: 5000,
    });
    try {
      const r = recipe('out-queue');
      const s = await runCoordinator(r, { address, chunk: 2, tickMs: 200 });
      assert.equal(s.done, 3);
      assert.deepEqual(s.failed, []);
      assert.deepEqual(pngs(r.outputDir), pngs(local.outputDir));
      const run = JSON.parse(readFileSync(join(r.outputDir, 'run.json'), 'utf8'));
      assert.equal(run.model.hash, a1111Hashes(model).modelHash);
      assert.equal(run.model.name, 'tiny-model');
      const lines = readFileSync(join(r.outputDir, 'manifest.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(lines.length, 3);
      for (const e of lines) {
        assert.equal(e.worker.id, 'w1');
        assert.equal(e.model.loras[0].name, 'detail');
      }
      assert.ok(
        readdirSync(join(dir, 'cache-worker', 'checkpoints')).some((k) => !k.endsWith('.json')),
        'the worker built the checkpoint into its own cache',
      );
    } finally {
      await w.stop('test');
      await w.done.catch(() => {});
    }

    // The file changes after the coordinator recorded its hash: the worker refuses the run.
    const moved = join(dir, 'r2');
    mkdirSync(moved);
    copyFileSync(model, join(moved, 'tiny-model.safetensors'));
    copyFileSync(join(dir, 'detail.safetensors'), join(moved, 'detail.safetensors'));
    const r2 = recipeFrom({ ...base, output: 'out-other' }, join(moved, 'recipe.json'));
    const ac = new AbortController();
    let planned = () => {};
    const plan = new Promise<void>((r) => {
      planned = r;
    });
    const run2 = runCoordinator(r2, {
      address,
      chunk: 2,
      tickMs: 200,
      signal: ac.signal,
      events: { onPlan: () => planned() },
    });
    await plan;
    writeTinySingleFile(join(moved, 'tiny-model.safetensors'), 7);
    const w2 = await startWorker({
      address,
      id: 'w2',
      threads: 1,
      probe: async () => fakeProbe({ ramGiB: 8 }),
      lockMs: 5000,
    });
    await assert.rejects(w2.done, /needs model tiny-model with hash \w+ and LoRA hashes .*refusing to make images/);
    ac.abort();
    const s2 = await run2;
    assert.equal(s2.done, 0);
  });
});

describe('a recipe’s tokenizer folder through the queue', () => {
  // Its own Redis: the run the suite above aborts leaves its chunks in that one's queue.
  const redis = ownRedis();

  it('a worker with the same files makes the images, one with other files refuses', async () => {
    process.env.GENREADY_CACHE_DIR = join(dir, 'cache-tok');
    const address = parseQueueUrl(redis.url);
    const tok = join(dir, 'tok');
    writeClipTokenizer(tok, 'end', (path, text) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    });
    // The worker's own copy under --models, found by the folder's name.
    const models = join(dir, 'models');
    mkdirSync(join(models, 'tok'), { recursive: true });
    for (const f of readdirSync(tok)) copyFileSync(join(tok, f), join(models, 'tok', f));
    const r = recipeFrom({ ...base, loras: [], tokenizer: 'tok', output: 'out-tok' }, join(dir, 'recipe.json'));
    const work = (id: string) =>
      startWorker({
        address,
        id,
        threads: 1,
        modelsDir: models,
        probe: async () => fakeProbe({ ramGiB: 8 }),
        lockMs: 5000,
      });
    const w = await work('w-tok');
    try {
      const s = await runCoordinator(r, { address, chunk: 3, tickMs: 200 });
      assert.equal(s.done, 3);
    } finally {
      await w.stop('test');
      await w.done.catch(() => {});
    }

    // The worker's copy now differs by one merge: it refuses before making anything.
    const merges = join(models, 'tok', 'merges.txt');
    writeFileSync(merges, readFileSync(merges, 'utf8').replace(/\n[^\n]+\n$/, '\n'));
    const ac = new AbortController();
    const run2 = runCoordinator(
      recipeFrom({ ...base, loras: [], tokenizer: 'tok', output: 'out-tok2' }, join(dir, 'recipe.json')),
      { address, chunk: 3, tickMs: 200, signal: ac.signal },
    );
    const w2 = await work('w-tok2');
    await assert.rejects(w2.done, /needs tokenizer tok with sha256 \w+…; .* has \w+…: refusing to make images/);
    ac.abort();
    assert.equal((await run2).done, 0);
  });

  it('a LoRA for another family is refused by the coordinator in one line, before any chunk is offered', async () => {
    const address = parseQueueUrl(redis.url);
    // An SDXL LoRA (cross-attention keys 2048 wide) for the SD 1.x checkpoint.
    const f32 = (n: number) => new Uint8Array(new Float32Array(n).buffer);
    const name = 'lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k';
    writeSafetensors(join(dir, 'xl-lora.safetensors'), [
      { name: `${name}.lora_down.weight`, dtype: 'F32', shape: [2, 2048], data: f32(4096) },
      { name: `${name}.lora_up.weight`, dtype: 'F32', shape: [640, 2], data: f32(1280) },
    ]);
    const before = await queueStatus(address);
    const r = recipeFrom(
      { ...base, loras: [{ file: 'xl-lora.safetensors', weight: 1 }], output: 'out-xl' },
      join(dir, 'recipe.json'),
    );
    await assert.rejects(
      runCoordinator(r, { address, chunk: 3, tickMs: 200 }),
      (e: Error) =>
        e instanceof RunnerError &&
        /xl-lora\.safetensors: a LoRA for Stable Diffusion XL base, the model is sd15/.test(e.message) &&
        !e.message.includes('\n'),
    );
    assert.deepEqual((await queueStatus(address)).runs, before.runs, 'no run was offered');
  });
});
