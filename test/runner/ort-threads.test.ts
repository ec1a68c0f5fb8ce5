/**
 * The runner's onnxruntime sessions take their intra-op pool from the machine's load, as `bench`
 * does (src/ort/threads.ts): on a busy machine fewer threads and no spinning; threads asked for are
 * kept; and the choice never changes an image.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { defaultThreads } from '../../src/ort/session.ts';
import { loadOrtModel } from '../../src/runner/backends/ort.ts';
import { generateBatch, TextEncoderCache } from '../../src/runner/pipeline.ts';
import { expandImages } from '../../src/runner/recipe.ts';
import { tinyExample } from './_example.ts';

let ex: Awaited<ReturnType<typeof tinyExample>>;
before(async () => {
  ex = await tinyExample();
});

const BUSY = { load1: 6, cores: 2 };
const QUIET = { load1: 0.1, cores: 2 };

/** One 4-step image of the tiny model under a machine load, and the pool its sessions got. */
async function imageUnder(machine: { load1: number; cores: number }, threads?: number) {
  const model = await loadOrtModel(ex.modelDir, threads !== undefined ? { threads } : {}, machine);
  try {
    const [g] = await generateBatch(
      model,
      expandImages(ex.recipe({ prompts: ['a cat'], seeds: [3], steps: 4 })),
      new TextEncoderCache(model),
    );
    return { model, rgb: Buffer.from(g!.rgb).toString('base64') };
  } finally {
    await model.close();
  }
}

describe('run: onnxruntime threads from the load', () => {
  it('a busy machine: one thread, no spinning, recorded as one thread', async () => {
    const { model } = await imageUnder(BUSY);
    assert.equal(model.threading?.spinning, false);
    assert.equal(model.threading?.threads, 1);
    assert.equal(model.runtime.threads, 1);
    assert.match(model.threading!.reason, /no spinning: load 6\.0 on 2 cores/);
  });

  it('a quiet machine: onnxruntime’s own pool (one thread per core), spinning', async () => {
    const { model } = await imageUnder(QUIET);
    assert.equal(model.threading?.spinning, true);
    assert.equal(model.runtime.threads, defaultThreads());
  });

  it('threads asked for are kept on a busy machine, without spinning', async () => {
    const { model } = await imageUnder(BUSY, 3);
    assert.deepEqual([model.threading?.threads, model.threading?.spinning, model.runtime.threads], [3, false, 3]);
  });

  it('gives the same pixels busy or quiet', async () => {
    assert.equal((await imageUnder(BUSY)).rgb, (await imageUnder(QUIET)).rgb);
  });
});
