/**
 * `run` on a checkpoint: the same weights as an LDM single file and as a diffusers folder make the
 * same images; the conversion is cached (a second load converts nothing); a LoRA changes the image
 * and weight 0 does not; the records carry A1111's Model hash and Lora hashes; bad files are one line.
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { a1111Hashes } from '../../src/checkpoint/hash.ts';
import { readSafetensorsHeader } from '../../src/checkpoint/safetensors.ts';
import { writeSafetensors } from '../../src/checkpoint/write.ts';
import { createSession } from '../../src/ort/session.ts';
import { checkpointBackend, type LoraSpec } from '../../src/runner/backends/checkpoint.ts';
import { BACKENDS, backendFor } from '../../src/runner/backends/index.ts';
import { cachedEntry, ensureEntry } from '../../src/runner/checkpoint-cache.ts';
import { tinyTokenizer } from '../../src/runner/example.ts';
import { hashModelFolder } from '../../src/runner/model-folder.ts';
import { parseParameters } from '../../src/runner/parameters.ts';
import { generateBatch, TextEncoderCache } from '../../src/runner/pipeline.ts';
import { readPngText } from '../../src/runner/png.ts';
import { runProduction } from '../../src/runner/production.ts';
import { expandImages, recipeFingerprint, recipeFrom } from '../../src/runner/recipe.ts';
import { shippedClipTokenizer, writeClipTokenizer } from '../../src/runner/tokenizer.ts';
import { verifyImage } from '../../src/runner/verify.ts';
import { fluxTensors } from '../checkpoint/_flux.ts';
import { cli } from '../cli/helpers.ts';
import {
  tinyPipeline,
  tinyPipelineXL,
  writeTinyDiffusers,
  writeTinyLora,
  writeTinySingleFile,
  writeTinyXL,
} from './_checkpoint.ts';

const dir = mkdtempSync(join(tmpdir(), 'genready-ckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cache = join(dir, 'cache');
const single = writeTinySingleFile(join(dir, 'tiny-model.safetensors'));
const folder = writeTinyDiffusers(join(dir, 'tiny-diffusers'));
const lora = writeTinyLora(join(dir, 'detail.safetensors'));

const recipe = (model: string, extra: Record<string, unknown> = {}) =>
  recipeFrom(
    {
      model,
      prompts: ['a photo of a cat'],
      seeds: [3],
      steps: 2,
      guidance: 5,
      sampler: 'euler',
      size: '32x32',
      ...extra,
    },
    join(dir, 'recipe.json'),
  );

async function image(source: string, loras: LoraSpec[] = []) {
  let built: boolean | null = null;
  const notes: string[] = [];
  const backend = checkpointBackend({
    pipeline: tinyPipeline(),
    cacheRoot: cache,
    loras,
    onReady: (r) => {
      built = r.built;
    },
  });
  const model = await backend.load(source, { providers: ['cpu'], threads: 1, onNote: (l) => notes.push(l) });
  try {
    const [spec] = expandImages(recipe(source));
    const [g] = await generateBatch(model, [spec!], new TextEncoderCache(model));
    return { rgb: Buffer.from(g!.rgb), built, notes, hash: (await model.identify()).hash, name: model.name };
  } finally {
    await model.close();
  }
}

describe('run on a checkpoint', () => {
  it('picks the checkpoint backend for a .safetensors file and a diffusers folder, onnxruntime for an export folder', () => {
    assert.equal(backendFor(single).name, 'checkpoint');
    assert.equal(backendFor(folder).name, 'checkpoint');
    assert.equal(backendFor(join(dir, 'some-onnx-export')).name, 'onnxruntime');
  });

  it('makes byte-identical images from the LDM single file and the diffusers folder of the same weights', async () => {
    const a = await image(single);
    const b = await image(folder);
    assert.equal(a.rgb.length, 32 * 32 * 3);
    assert.ok(
      a.rgb.some((v) => v !== a.rgb[0]),
      'an image, not a flat colour',
    );
    assert.deepEqual(a.rgb, b.rgb);
    // The single file's identity is A1111's Model hash: sha256 of the file, first 10 digits.
    assert.equal(a.hash, a1111Hashes(single).sha256.slice(0, 10));
    assert.equal(a.name, 'tiny-model');
    // A folder's: the sha256 over its files' hashes, as for an ONNX export folder.
    assert.equal(b.hash, (await hashModelFolder(folder)).hash);
    assert.equal(b.name, 'tiny-diffusers');
  });

  it('converts once: a second load starts from the cache; a damaged entry is rebuilt', async () => {
    const warm = await image(single);
    const first = await image(single);
    assert.equal(first.built, false);
    assert.deepEqual(first.notes, [], 'nothing to say when the cache has it');
    assert.deepEqual(first.rgb, warm.rgb);
    const manifest = (e: string) => {
      try {
        return JSON.parse(readFileSync(join(cache, e, 'manifest.json'), 'utf8'));
      } catch {
        return null;
      }
    };
    const entry = readdirSync(cache).find(
      (e) => manifest(e)?.source.checkpoint === single && manifest(e).source.loras.length === 0,
    )!;
    const unet = join(cache, entry, 'unet', 'model.onnx');
    writeFileSync(unet, readFileSync(unet).subarray(0, 100));
    const again = await image(single);
    assert.equal(again.built, true);
    // The person waiting is told what takes the time, once, and where the result goes.
    assert.equal(again.notes.length, 1);
    assert.match(
      again.notes[0]!,
      /^converting tiny-model\.safetensors to float32 ONNX graphs, once \(later runs start from the cache: /,
    );
    assert.deepEqual(again.rgb, first.rgb);
  });

  it('a LoRA changes the image, weight 0 does not, and each is its own cache entry', async () => {
    const plain = await image(single);
    const withLora = await image(single, [{ file: lora, weight: 0.8, name: 'detail' }]);
    const zero = await image(single, [{ file: lora, weight: 0, name: 'detail' }]);
    assert.notDeepEqual(withLora.rgb, plain.rgb);
    assert.deepEqual(zero.rgb, plain.rgb);
    assert.equal(withLora.built, true);
  });

  it('records Model hash, the LoRA tag and Lora hashes in the PNG parameters as A1111 does', async () => {
    const r = recipe('tiny-model.safetensors', {
      loras: [{ file: 'detail.safetensors', weight: 0.8 }],
      output: 'out-lora',
    });
    const s = await runProduction(r, {
      backend: checkpointBackend({ pipeline: tinyPipeline(), cacheRoot: cache, loras: r.loras }),
      threads: 1,
    });
    assert.equal(s.made, 1);
    const png = readFileSync(join(r.outputDir, readdirSync(r.outputDir).find((f) => f.endsWith('.png'))!));
    const p = parseParameters(readPngText(png).parameters!);
    assert.equal(p.prompt, 'a photo of a cat <lora:detail:0.8>');
    assert.equal(p.settings['Model hash'], a1111Hashes(single).modelHash);
    assert.equal(p.settings.Model, 'tiny-model');
    assert.equal(p.settings['Lora hashes'], `detail: ${a1111Hashes(lora).addnetHash!.slice(0, 12)}`);
  });

  it('refuses a LoRA whose modules the model does not have, naming the file', async () => {
    const other = join(dir, 'flux-lora.safetensors');
    const f32 = (n: number) => new Uint8Array(new Float32Array(n).buffer);
    writeSafetensors(other, [
      { name: 'lora_unet_double_blocks_0_img_attn_qkv.lora_down.weight', dtype: 'F32', shape: [2, 8], data: f32(16) },
      { name: 'lora_unet_double_blocks_0_img_attn_qkv.lora_up.weight', dtype: 'F32', shape: [24, 2], data: f32(48) },
    ]);
    await assert.rejects(image(single, [{ file: other, weight: 1, name: 'flux-lora' }]), (e: Error) => {
      assert.match(e.message, /flux-lora\.safetensors/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    // An SDXL LoRA (cross-attention keys 2048 wide) for this SD 1.x model: refused by family.
    const xl = join(dir, 'xl-lora.safetensors');
    const name = 'lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k';
    writeSafetensors(xl, [
      { name: `${name}.lora_down.weight`, dtype: 'F32', shape: [2, 2048], data: f32(4096) },
      { name: `${name}.lora_up.weight`, dtype: 'F32', shape: [640, 2], data: f32(1280) },
    ]);
    await assert.rejects(
      image(single, [{ file: xl, weight: 1, name: 'xl-lora' }]),
      /xl-lora\.safetensors: a LoRA for Stable Diffusion XL base, the model is sd15/,
    );
    // check() says the same from the headers alone, building nothing; a LoRA of the family passes.
    const checker = (loras: LoraSpec[]) => checkpointBackend({ pipeline: tinyPipeline(), cacheRoot: cache, loras });
    const before = readdirSync(cache).length;
    assert.throws(
      () => checker([{ file: xl, weight: 1, name: 'xl-lora' }]).check!(single),
      /xl-lora\.safetensors: a LoRA for Stable Diffusion XL base, the model is sd15/,
    );
    const own = writeTinyLora(join(dir, 'own-lora.safetensors'));
    assert.doesNotThrow(() => checker([{ file: own, weight: 1, name: 'own-lora' }]).check!(single));
    // A tokenizer folder without a vocabulary is refused by check() as by load().
    const empty = join(dir, 'empty-tokenizer');
    mkdirSync(empty, { recursive: true });
    assert.throws(
      () => checkpointBackend({ pipeline: tinyPipeline(), cacheRoot: cache, tokenizer: empty }).check!(single),
      /tokenizer folder .*empty-tokenizer has no vocab\.json/,
    );
    assert.equal(readdirSync(cache).length, before, 'nothing was built');
  });

  it('refuses an unsupported family with the families it runs', async () => {
    const flux = join(dir, 'flux1-dev.safetensors');
    writeSafetensors(
      flux,
      fluxTensors(true).map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype })),
    );
    await assert.rejects(backendFor(flux).load(flux, { providers: ['cpu'] }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'unsupported-model');
      assert.match(
        e.message,
        /FLUX.*cannot be run yet; genready runs SD 1\.x \(sd15\), SD 2\.x \(sd21\) and SDXL base/,
      );
      return true;
    });
  });

  it('a truncated checkpoint in a recipe: one line, exit 1, nothing written', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const bytes = readFileSync(single);
    writeFileSync(join(bad, 'cut.safetensors'), bytes.subarray(0, bytes.length - 1000));
    writeFileSync(
      join(bad, 'r.json'),
      JSON.stringify({
        model: 'cut.safetensors',
        prompt: 'x',
        seeds: [1],
        steps: 1,
        guidance: 1,
        sampler: 'euler',
        size: '32x32',
      }),
    );
    const badCache = join(bad, 'cache');
    const r = cli(['run', join(bad, 'r.json')], { GENREADY_CACHE_DIR: badCache });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^genready: .*cut\.safetensors.*\n$/);
    assert.equal(existsSync(join(bad, 'out')), false);
    assert.ok(
      !existsSync(join(badCache, 'checkpoints')) ||
        readdirSync(join(badCache, 'checkpoints')).every((e) => e === 'hashes.json'),
    );
    assert.ok(statSync(join(bad, 'cut.safetensors')).size > 0);
  });
});

describe('run on an SDXL checkpoint', () => {
  const xlFile = writeTinyXL(join(dir, 'tiny-xl.safetensors'), 'ldm');
  const xlFolder = writeTinyXL(join(dir, 'tiny-xl-diffusers'), 'diffusers');

  async function xlImage(source: string) {
    let out = '';
    const model = await checkpointBackend({
      pipeline: tinyPipelineXL(),
      cacheRoot: cache,
      onReady: (r) => {
        out = r.dir;
      },
    }).load(source, { providers: ['cpu'], threads: 1 });
    try {
      const [spec] = expandImages(recipe(source));
      const [g] = await generateBatch(model, [spec!], new TextEncoderCache(model));
      return { rgb: Buffer.from(g!.rgb), dir: out };
    } finally {
      await model.close();
    }
  }

  it('makes the same image from OpenCLIP’s fused names (single file) and transformers’ (diffusers folder)', async () => {
    const a = await xlImage(xlFile);
    const b = await xlImage(xlFolder);
    assert.ok(a.rgb.some((v) => v !== a.rgb[0]));
    assert.deepEqual(a.rgb, b.rgb);

    // The second encoder pads with id 0, the first with the end token (their tokenizers' pad tokens).
    const tok = (sub: string) =>
      JSON.parse(readFileSync(join(a.dir, sub, 'special_tokens_map.json'), 'utf8')).pad_token;
    assert.deepEqual([tok('tokenizer'), tok('tokenizer_2')], ['<|endoftext|>', '!']);

    // hidden_states.N is the N-th layer's output before the final LayerNorm: normalising the last
    // one with the encoder's own final LayerNorm gives last_hidden_state.
    const te = await createSession(join(a.dir, 'text_encoder_2', 'model.onnx'), { providers: ['cpu'], threads: 1 });
    try {
      const ids = shippedClipTokenizer('zero').encode('a photo of a cat').ids;
      const out = await te.run({ input_ids: new ort.Tensor('int32', Int32Array.from(ids), [1, 77]) });
      const last = out['hidden_states.3']!.data as Float32Array;
      const want = out.last_hidden_state!.data as Float32Array;
      assert.ok(out['hidden_states.2'], 'the penultimate layer is an output');
      const w = 32;
      const ln = readLayerNorm(xlFolder);
      for (let t = 0; t < 77; t += 19) {
        const row = last.subarray(t * w, (t + 1) * w);
        const mean = row.reduce((s, v) => s + v, 0) / w;
        const varc = row.reduce((s, v) => s + (v - mean) ** 2, 0) / w;
        for (let c = 0; c < w; c++) {
          const y = ((row[c]! - mean) / Math.sqrt(varc + 1e-5)) * ln.weight[c]! + ln.bias[c]!;
          assert.ok(Math.abs(y - want[t * w + c]!) < 1e-4, `token ${t} channel ${c}: ${y} vs ${want[t * w + c]}`);
        }
      }
    } finally {
      await te.release();
    }
  });
});

/** The second encoder's final LayerNorm as the diffusers folder holds it. */
function readLayerNorm(folder: string): { weight: Float32Array; bias: Float32Array } {
  const h = readSafetensorsHeader(join(folder, 'text_encoder_2', 'model.safetensors'));
  const bytes = readFileSync(h.file);
  const get = (name: string) => {
    const t = h.tensors.find((x) => x.name === name)!;
    const start = 8 + h.headerBytes + t.begin;
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + t.end - t.begin));
  };
  return { weight: get('text_model.final_layer_norm.weight'), bias: get('text_model.final_layer_norm.bias') };
}

describe('recipes with loras', () => {
  const base = {
    model: 'tiny-model.safetensors',
    prompt: 'x',
    seeds: [1],
    steps: 1,
    guidance: 1,
    sampler: 'euler',
    size: '32x32',
  };
  const at = join(dir, 'recipe.json');

  it('resolve files against the recipe, default weight 1, named as A1111 names them', () => {
    const r = recipeFrom({ ...base, loras: [{ file: 'detail.safetensors' }] }, at);
    assert.deepEqual(r.loras, [{ file: lora, weight: 1, name: 'detail' }]);
  });

  it('are part of the fingerprint (a run resumed with another LoRA weight is refused), and absent ones change nothing', () => {
    const plain = recipeFingerprint(recipeFrom(base, at));
    const a = recipeFingerprint(recipeFrom({ ...base, loras: [{ file: 'detail.safetensors', weight: 0.5 }] }, at));
    const b = recipeFingerprint(recipeFrom({ ...base, loras: [{ file: 'detail.safetensors', weight: 0.6 }] }, at));
    assert.equal(recipeFingerprint(recipeFrom({ ...base, loras: [] }, at)), plain);
    assert.notEqual(a, plain);
    assert.notEqual(a, b);
  });

  it('name a missing file, and are refused for an ONNX export folder', async () => {
    assert.throws(
      () => recipeFrom({ ...base, loras: [{ file: 'nope.safetensors', weight: 1 }] }, at),
      /loras: .*nope\.safetensors does not exist/,
    );
    const onnx = join(dir, 'onnx-export');
    await assert.rejects(
      backendFor(onnx, { loras: [{ file: lora, weight: 1, name: 'detail' }] }).load(onnx, { providers: ['cpu'] }),
      /loras and tokenizer apply to a \.safetensors checkpoint or a diffusers folder/,
    );
  });
});

describe('a checkpoint run end to end (the backend table’s row, as run and verify take it)', () => {
  it('runs with a LoRA from the recipe alone, and verify makes the image again byte for byte', async () => {
    const pipeline = tinyPipeline();
    BACKENDS.unshift({
      accepts: (s) => s === single,
      backend: checkpointBackend({ pipeline, cacheRoot: cache }),
      withExtras: (x) => checkpointBackend({ ...x, pipeline, cacheRoot: cache }),
    });
    try {
      const r = recipe('tiny-model.safetensors', {
        loras: [{ file: 'detail.safetensors', weight: 0.8 }],
        output: 'out-e2e',
      });
      const s = await runProduction(r, { threads: 1 });
      assert.equal(s.made, 1);
      const png = join(r.outputDir, readdirSync(r.outputDir).find((f) => f.endsWith('.png'))!);
      const run = JSON.parse(readFileSync(join(r.outputDir, 'run.json'), 'utf8'));
      assert.equal(run.model.hash, a1111Hashes(single).modelHash);
      const v = await verifyImage(png);
      assert.equal(v.match, true, v.message);
      assert.equal(v.bytesEqual, true);
    } finally {
      BACKENDS.shift();
    }
  });
});

describe('the checkpoint cache', () => {
  it('a conversion that fails midway leaves no entry, and a killed one’s temporary folder is cleared by the next', async () => {
    const root = join(dir, 'cache-unit');
    await assert.rejects(
      ensureEntry(root, 'k1', {}, async (out) => {
        mkdirSync(join(out, 'unet'), { recursive: true });
        writeFileSync(join(out, 'unet', 'model.onnx'), 'half');
        throw new Error('killed');
      }),
      /killed/,
    );
    assert.deepEqual(readdirSync(root), []);
    // A process killed while building leaves its temporary folder; no entry is trusted from it.
    mkdirSync(join(root, '.k1.99999.tmp', 'unet'), { recursive: true });
    assert.equal(cachedEntry(root, 'k1'), null);
    const made = await ensureEntry(root, 'k1', {}, async (out) => {
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'a.txt'), 'whole');
    });
    assert.equal(made.built, true);
    assert.deepEqual(readdirSync(root), ['k1']);
    const again = await ensureEntry(root, 'k1', {}, () => Promise.reject(new Error('must not build')));
    assert.equal(again.built, false);
  });
});

describe('tokenizers', () => {
  it('a diffusers folder’s own tokenizer is used: CLIP’s written out gives the same image, another vocabulary another', async () => {
    const plain = await image(single);
    const same = writeTinyDiffusers(join(dir, 'tiny-diffusers-tok'));
    writeClipTokenizer(join(same, 'tokenizer'), 'end', (p, text) => {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
    });
    assert.deepEqual((await image(same)).rgb, plain.rgb);
    const other = writeTinyDiffusers(join(dir, 'tiny-diffusers-tok2'));
    const { vocab, merges } = tinyTokenizer();
    mkdirSync(join(other, 'tokenizer'));
    writeFileSync(join(other, 'tokenizer', 'vocab.json'), JSON.stringify(vocab));
    writeFileSync(join(other, 'tokenizer', 'merges.txt'), `#version: 0.2\n${merges.join('\n')}\n`);
    assert.notDeepEqual((await image(other)).rgb, plain.rgb);
  });
});
