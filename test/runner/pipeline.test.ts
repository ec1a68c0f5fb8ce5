/**
 * The whole pipeline end to end on the tiny generated model (real ONNX graphs, random weights):
 * byte-identical reruns, batch independence, records, verify, resume after lost files, refusal of a
 * changed recipe or model, redo of rejected images, and clear errors for broken model folders.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { writeOnnxModel } from '../../src/graph/index.ts';
import { TINY_VAE } from '../../src/runner/example.ts';
import { MANIFEST, readManifest } from '../../src/runner/manifest.ts';
import { parseParameters } from '../../src/runner/parameters.ts';
import { decodePng, encodePng, readPngText } from '../../src/runner/png.ts';
import { runProduction } from '../../src/runner/production.ts';
import { recipeFrom } from '../../src/runner/recipe.ts';
import { readReview, setMark } from '../../src/runner/review.ts';
import { verifyImage } from '../../src/runner/verify.ts';
import { tinyExample } from './_example.ts';

type Ex = Awaited<ReturnType<typeof tinyExample>>;
let ex: Ex;
const pngs = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.png'))
    .sort();
/** Four images (2 prompts × 2 seeds) of 4 steps keep the suite fast; the example recipe itself has eight of 8. */
const SMALL = { seeds: '1-2', steps: 4 };
const bytesOf = (dir: string) =>
  Object.fromEntries(pngs(dir).map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));

describe('genready run on the tiny model', () => {
  before(async () => {
    ex = await tinyExample();
    await runProduction(ex.recipe({ ...SMALL, output: './a' }));
  });

  it('makes every image of the recipe, with a manifest line each', () => {
    const dir = join(ex.dir, 'a');
    assert.equal(pngs(dir).length, 4);
    const m = readManifest(dir);
    assert.deepEqual(
      [...m.keys()].sort((x, y) => x - y),
      [0, 1, 2, 3],
    );
    const e = m.get(3)!;
    assert.equal(e.seed, 2);
    assert.equal(e.prompt, 'a red house in the snow');
    assert.equal(e.negativePrompt, 'blurry');
    assert.match(e.model.files['unet/model.onnx']!, /^[0-9a-f]{64}$/);
    assert.equal(e.runtime.engine, 'onnxruntime-node');
    assert.deepEqual(e.runtime.providers, ['cpu']);
    assert.ok(e.runtime.threads >= 1);
    assert.ok(e.device.cores >= 1 && e.seconds > 0);
    const d = decodePng(readFileSync(join(dir, e.file)));
    assert.deepEqual([d.width, d.height], [32, 32]);
  });

  it('gives the same bytes on a second run into another folder, with another batch size and thread count', async () => {
    await runProduction(ex.recipe({ ...SMALL, output: './b' }));
    // …and with one onnxruntime thread instead of one per core.
    await runProduction(ex.recipe({ ...SMALL, output: './c', batch: 1 }), { threads: 1 });
    // The same model content at another path (another machine's layout) changes nothing either.
    cpSync(ex.modelDir, join(ex.dir, 'elsewhere', 'tiny-sd'), { recursive: true });
    await runProduction(ex.recipe({ ...SMALL, output: './d', model: './elsewhere/tiny-sd' }));
    const a = bytesOf(join(ex.dir, 'a'));
    assert.deepEqual(bytesOf(join(ex.dir, 'b')), a);
    assert.deepEqual(bytesOf(join(ex.dir, 'c')), a);
    assert.deepEqual(bytesOf(join(ex.dir, 'd')), a);
    // Different seeds do make different images (the comparison above can fail).
    assert.notEqual(a['0000-1.png'], a['0001-2.png']);
  });

  it('writes the A1111 "parameters" chunk and a genready record into every PNG', () => {
    const texts = readPngText(readFileSync(join(ex.dir, 'a', '0001-2.png')));
    const p = parseParameters(texts.parameters!);
    assert.equal(p.prompt, 'a photo of a cat');
    assert.equal(p.negativePrompt, 'blurry');
    assert.equal(p.settings.Sampler, 'Euler a');
    assert.equal(p.settings.Seed, '2');
    assert.equal(p.settings.Size, '32x32');
    assert.equal(p.settings['CFG scale'], '7');
    assert.equal(p.settings.Steps, '4');
    assert.match(p.settings['Model hash']!, /^[0-9a-f]{10}$/);
    assert.equal(JSON.parse(texts.genready!).spec.index, 1);
  });

  it('every sampler runs through the real pipeline and gives its own image', async () => {
    const { loadOrtModel } = await import('../../src/runner/backends/ort.ts');
    const { generateBatch, TextEncoderCache } = await import('../../src/runner/pipeline.ts');
    const { expandImages } = await import('../../src/runner/recipe.ts');
    const model = await loadOrtModel(ex.modelDir);
    try {
      const seen = new Set<string>();
      for (const sampler of ['euler', 'euler_a', 'dpmpp_2m', 'dpmpp_2m_karras', 'ddim']) {
        const [g] = await generateBatch(
          model,
          expandImages(ex.recipe({ sampler, prompts: ['a cat'], seeds: [5], steps: 4 })),
          new TextEncoderCache(model),
        );
        seen.add(Buffer.from(g!.rgb).toString('base64'));
      }
      assert.equal(seen.size, 5);
    } finally {
      await model.close();
    }
  });

  it('verify makes an image again and reports a match, and a difference after tampering', async () => {
    const file = join(ex.dir, 'a', '0002-1.png');
    const ok = await verifyImage(file);
    assert.equal(ok.match, true);
    assert.equal(ok.bytesEqual, true);
    // Verified against a copy of the model elsewhere (--model).
    assert.equal((await verifyImage(file, { modelDir: join(ex.dir, 'elsewhere', 'tiny-sd') })).bytesEqual, true);
    const copy = join(ex.dir, 'tampered.png');
    const bytes = readFileSync(file);
    const d = decodePng(bytes);
    const rgb = new Uint8Array(32 * 32 * 3);
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = d.data[p * 4 + c]!;
    rgb[100] = rgb[100]! ^ 0x10;
    writeFileSync(copy, encodePng(rgb, 32, 32, readPngText(bytes)));
    // Outside its run folder an image does not know where its model is.
    await assert.rejects(verifyImage(copy), /has no run\.json saying where the model is; pass --model DIR/);
    const bad = await verifyImage(copy, { modelDir: ex.modelDir });
    assert.equal(bad.match, false);
    assert.equal(bad.differingValues, 1);
    assert.match(bad.message, /differs — 1 of 3072 RGB values, by up to 16\/255/);
  });

  it('resumes: a lost PNG and a torn manifest line are made again, nothing twice', async () => {
    const dir = join(ex.dir, 'b');
    const before = bytesOf(dir);
    rmSync(join(dir, '0002-1.png'));
    appendFileSync(join(dir, MANIFEST), '{"v":1,"index":');
    // A kill inside an atomic write leaves its temp file; the next run clears it.
    writeFileSync(join(dir, '.0002-1.png.12345.1700000000000.tmp'), 'partial');
    const s = await runProduction(ex.recipe({ ...SMALL, output: './b' }));
    assert.equal(s.made, 1);
    assert.equal(s.skipped, 3);
    assert.deepEqual(bytesOf(dir), before);
    const lines = readFileSync(join(dir, MANIFEST), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).index as number);
    // Issue 20: the image made again has the same bytes, so its first record stands (one line per image).
    assert.equal(lines.filter((i) => i === 2).length, 1, 'the lost image keeps one record');
    assert.equal(lines.length, 4);
    assert.ok(!existsSync(join(dir, '.0002-1.png.12345.1700000000000.tmp')));
  });

  it('refuses to continue a run with a changed recipe or changed model files', async () => {
    await assert.rejects(
      runProduction(ex.recipe({ ...SMALL, output: './a', guidance: 5 })),
      /holds a run of a different recipe/,
    );
    const model2 = join(ex.dir, 'tiny-sd-2');
    cpSync(ex.modelDir, model2, { recursive: true });
    writeFileSync(join(model2, 'model_index.json'), '{"changed": true}\n');
    await assert.rejects(
      runProduction(ex.recipe({ ...SMALL, output: './a', model: './tiny-sd-2' })),
      /model files changed since this run started \(model_index\.json\)/,
    );
    const v = await verifyImage(join(ex.dir, 'a', '0000-1.png'), { modelDir: model2 });
    assert.equal(v.match, false);
    assert.match(v.message, /not verified: the model folder .* is not the one the image was made with/);
  });

  it('redoes rejected images with new seeds, once', async () => {
    const dir = join(ex.dir, 'c');
    setMark(dir, 1, 'reject');
    setMark(dir, 2, 'keep');
    const s = await runProduction(ex.recipe({ ...SMALL, output: './c', batch: 1 }), { redoRejected: true });
    assert.equal(s.made, 1);
    const m = readManifest(dir);
    const redo = m.get(4)!;
    assert.equal(redo.redoOf, 1);
    assert.notEqual(redo.seed, m.get(1)!.seed);
    assert.equal(redo.prompt, m.get(1)!.prompt);
    assert.ok(existsSync(join(dir, redo.file)));
    assert.equal(
      (await runProduction(ex.recipe({ ...SMALL, output: './c', batch: 1 }), { redoRejected: true })).made,
      0,
    );
    assert.equal(readReview(dir).marks['1'], 'reject');
  });
});

describe('a bad model folder is refused before any work', () => {
  let base: Ex;
  before(async () => {
    base = await tinyExample();
  });
  const broken = (name: string, damage: (dir: string) => Promise<void> | void) => async () => {
    const model = join(base.dir, name);
    cpSync(base.modelDir, model, { recursive: true });
    await damage(model);
    const out = join(base.dir, `out-${name}`);
    const r = recipeFrom(
      { ...JSON.parse(readFileSync(base.recipePath, 'utf8')), model: `./${name}`, output: `./out-${name}` },
      base.recipePath,
    );
    try {
      await runProduction(r);
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(!existsSync(out), 'no output folder was created');
      return (err as Error).message;
    }
  };

  it('names a missing file', async () => {
    const msg = await broken('missing', (d) => rmSync(join(d, 'unet', 'model.onnx')))();
    assert.match(msg!, /is missing unet\/model\.onnx/);
  });

  it('names a corrupt graph', async () => {
    const msg = await broken('corrupt', (d) => {
      const p = join(d, 'text_encoder', 'model.onnx');
      truncateSync(p, Math.floor(readFileSync(p).length / 2));
    })();
    assert.match(msg!, /text_encoder\/model\.onnx cannot be loaded/);
  });

  it('names parts that do not fit together (latent channels)', async () => {
    const msg = await broken('shapes', async (d) => {
      await writeOnnxModel({ ...TINY_VAE, latentChannels: 8 }, join(d, 'vae_decoder', 'model.onnx'), {
        seed: 3,
        dtype: 'float32',
      });
    })();
    assert.match(msg!, /vae_decoder\/model\.onnx: takes 8 latent channels but the unet works on 4/);
  });

  it('names a broken scheduler config', async () => {
    const msg = await broken('sched', (d) =>
      writeFileSync(join(d, 'scheduler', 'scheduler_config.json'), '{"beta_schedule": "cosine"}'),
    )();
    assert.match(msg!, /scheduler_config\.json: beta_schedule: /);
  });
});

describe('SDXL layout (text_encoder_2, text_embeds, time_ids)', () => {
  it('runs, is batch-independent, and an SDXL UNet without its second encoder is refused', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { writeExample, EXAMPLE_RECIPE } = await import('../../src/runner/example.ts');
    const dir = mkdtempSync(join(tmpdir(), 'genready-sdxl-'));
    const xl = await writeExample(dir, { sdxl: true });
    const recipe = (over: Record<string, unknown>) =>
      recipeFrom({ ...EXAMPLE_RECIPE, seeds: '1-2', steps: 3, ...over }, xl.recipe);
    await runProduction(recipe({ output: './b2', prompts: ['a cat'] }));
    await runProduction(recipe({ output: './b1', prompts: ['a cat'], batch: 1 }));
    assert.deepEqual(bytesOf(join(dir, 'b1')), bytesOf(join(dir, 'b2')));
    assert.equal(pngs(join(dir, 'b2')).length, 2);
    // An empty negative prompt is all-zero conditioning (diffusers' force_zeros_for_empty_prompt), not the encoded "".
    await runProduction(recipe({ output: './zero', negativePrompt: '', prompts: ['a cat'], seeds: [1] }));
    await runProduction(recipe({ output: './neg', negativePrompt: 'blurry', prompts: ['a cat'], seeds: [1] }));
    assert.notDeepEqual(bytesOf(join(dir, 'zero')), bytesOf(join(dir, 'neg')));
    rmSync(join(xl.modelDir, 'text_encoder_2'), { recursive: true });
    await assert.rejects(
      runProduction(recipe({ output: './broken' })),
      /unet\/model\.onnx: needs inputs this pipeline does not provide: text_embeds, time_ids \(an SDXL UNet needs text_encoder_2\/ and tokenizer_2\/ beside it\)/,
    );
  });
});

describe('float16 exports', () => {
  it('a float16 UNet and VAE run (inputs converted to half, outputs back) and stay deterministic', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { writeExample, EXAMPLE_RECIPE, TINY_UNET } = await import('../../src/runner/example.ts');
    const dir = mkdtempSync(join(tmpdir(), 'genready-fp16-'));
    const h = await writeExample(dir);
    await writeOnnxModel(TINY_UNET, join(h.modelDir, 'unet', 'model.onnx'), { seed: 2, dtype: 'float16' });
    await writeOnnxModel(TINY_VAE, join(h.modelDir, 'vae_decoder', 'model.onnx'), { seed: 3, dtype: 'float16' });
    const recipe = (output: string) =>
      recipeFrom({ ...EXAMPLE_RECIPE, prompts: ['a cat'], seeds: [1, 2], steps: 3, output }, h.recipe);
    await runProduction(recipe('./x'));
    await runProduction(recipe('./y'));
    assert.deepEqual(bytesOf(join(dir, 'x')), bytesOf(join(dir, 'y')));
    const d = decodePng(readFileSync(join(dir, 'x', '0000-1.png')));
    assert.equal(d.width, 32);
  });
});

describe('static-shape exports', () => {
  it('a UNet with a fixed batch is fed in groups (same pixels); a fixed latent size is checked against the recipe', async () => {
    const { loadOrtModel } = await import('../../src/runner/backends/ort.ts');
    const { generateBatch, checkSize, TextEncoderCache } = await import('../../src/runner/pipeline.ts');
    const { expandImages } = await import('../../src/runner/recipe.ts');
    const e = await tinyExample();
    const model = await loadOrtModel(e.modelDir);
    try {
      const imgs = expandImages(e.recipe({ prompts: ['a cat'], seeds: [1, 2], steps: 3 }));
      const whole = await generateBatch(model, imgs, new TextEncoderCache(model));
      // As if the export had batch fixed to 1: four rows (2 images × uncond/cond) go one by one.
      model.open.unetBatch = 1;
      const grouped = await generateBatch(model, imgs, new TextEncoderCache(model));
      assert.deepEqual(
        grouped.map((g) => Buffer.from(g.rgb).toString('base64')),
        whole.map((g) => Buffer.from(g.rgb).toString('base64')),
      );
      model.open.unetBatch = 3;
      await assert.rejects(
        generateBatch(model, imgs, new TextEncoderCache(model)),
        /exported for batches of 3; 4 rows \(batch 2 × 2 for guidance\) do not divide into them/,
      );
      model.open.fixedLatent = [32, 32];
      assert.throws(
        () => checkSize(model.open, 32, 32),
        /this unet was exported for one size only, 64x64; the recipe asks for 32x32/,
      );
    } finally {
      await model.close();
    }
  });
});
