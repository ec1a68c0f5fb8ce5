/** Backends: the fake is deterministic; the backend table picks by source without touching the loop. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fakeBackend } from '../../src/runner/backends/fake.ts';
import { BACKENDS, backendFor } from '../../src/runner/backends/index.ts';
import { ortBackend } from '../../src/runner/backends/ort.ts';
import { generateBatch, TextEncoderCache } from '../../src/runner/pipeline.ts';
import { runProduction } from '../../src/runner/production.ts';
import { expandImages } from '../../src/runner/recipe.ts';
import { FsRunStore } from '../../src/runner/stores/fs.ts';
import { conformanceRecipe } from './_store-recipe.ts';

describe('backends', () => {
  it('the fake backend is deterministic: same spec, same pixels; another seed or prompt, other pixels', async () => {
    const model = await fakeBackend().load('m', { providers: ['cpu'] });
    const [a, b, c] = expandImages(conformanceRecipe({ seeds: [1, 2], prompts: ['x', 'y'] }));
    const gen = async (spec: typeof a) =>
      Buffer.from((await generateBatch(model, [spec!], new TextEncoderCache(model)))[0]!.rgb).toString('base64');
    assert.equal(await gen(a), await gen(a));
    assert.notEqual(await gen(a), await gen(b));
    assert.notEqual(await gen(a), await gen(c));
  });

  it('backendFor picks the first row that accepts the source, and a run uses it unasked', async () => {
    assert.equal(backendFor('/models/sd15'), ortBackend);
    const calls = { encode: 0, denoise: 0, decode: 0 };
    BACKENDS.unshift({ accepts: (s) => s.endsWith('.fake'), backend: fakeBackend({ calls }) });
    try {
      const out = join(mkdtempSync(join(tmpdir(), 'genready-backends-')), 'out');
      const s = await runProduction(conformanceRecipe({ model: 'weights.fake', prompts: ['x'], seeds: [1] }), {
        store: new FsRunStore(out),
      });
      assert.equal(s.made, 1);
      assert.equal(calls.decode, 1);
      assert.equal(JSON.parse(readFileSync(join(out, 'manifest.jsonl'), 'utf8')).runtime.engine, 'fake');
    } finally {
      BACKENDS.shift();
    }
  });
});
