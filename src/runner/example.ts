/**
 * `genready run --example DIR`: a tiny model folder in the real ONNX export layout (random weights
 * from the bench graph builder, a ~130-token CLIP vocabulary) and a ready recipe, so the whole flow
 * (generate, resume, verify, review) can be tried in seconds without downloading a model. The
 * images are coloured noise: the weights are random, the pipeline is the real one.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AutoencoderArch, ClipTextArch, UNetArch } from '../catalog/models.types.ts';
import { writeOnnxModel } from '../graph/index.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { ensureDir, fileError } from './_files.ts';
import { SD15_SCHEDULER } from './checkpoint-pipelines.ts';
import { RunnerError } from './errors.ts';

/** Two UNet levels of 32/64 channels with cross-attention, as the SD UNet but ~1 M parameters. */
export const TINY_UNET: UNetArch = {
  kind: 'unet',
  inChannels: 4,
  outChannels: 4,
  blockOut: [32, 64],
  layersPerBlock: 1,
  crossAttention: [true, true],
  transformerDepth: [1, 1],
  midTransformerDepth: 1,
  heads: [2, 2],
  crossAttentionDim: 32,
  additionEmbedInput: null,
  normGroups: 8,
  midAttention: true,
};

export const TINY_VAE: AutoencoderArch = {
  kind: 'autoencoder-kl',
  blockOut: [32, 64],
  layersPerBlock: 1,
  latentChannels: 4,
  imageChannels: 3,
  normGroups: 8,
  quantConv: true,
  midAttention: true,
};

const TINY_TOKENS = 77;

/** Words the tiny vocabulary merges whole; anything else falls back to letters (or the unknown token). */
const WORDS = [
  'a',
  'photo',
  'of',
  'cat',
  'dog',
  'red',
  'blue',
  'house',
  'in',
  'the',
  'snow',
  'painting',
  'blurry',
  'tree',
];

/** A byte-level BPE vocabulary and merges covering WORDS, in CLIP's file formats. */
export function tinyTokenizer(): { vocab: Record<string, number>; merges: string[] } {
  const tokens: string[] = [];
  const add = (t: string) => {
    if (!tokens.includes(t)) tokens.push(t);
  };
  for (let c = 97; c <= 122; c++) add(String.fromCharCode(c));
  for (let c = 97; c <= 122; c++) add(`${String.fromCharCode(c)}</w>`);
  const merges: string[] = [];
  for (const word of WORDS) {
    // Merge left to right: ((p h) o) t o</w> … so each word ends as one token.
    const sym = [...word.slice(0, -1)].concat(`${word.slice(-1)}</w>`);
    let acc = sym[0]!;
    for (const next of sym.slice(1)) {
      const m = `${acc} ${next}`;
      if (!merges.includes(m)) merges.push(m);
      acc += next;
      add(acc);
    }
  }
  add('<|startoftext|>');
  add('<|endoftext|>');
  return { vocab: Object.fromEntries(tokens.map((t, i) => [t, i])), merges };
}

export const EXAMPLE_RECIPE = {
  model: './tiny-sd',
  prompts: ['a photo of a cat', 'a red house in the snow'],
  negativePrompt: 'blurry',
  seeds: '1-4',
  steps: 8,
  guidance: 7,
  sampler: 'euler_a',
  size: '32x32',
  batch: 2,
  output: './out',
  filename: '{index:04}-{seed}.png',
};

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/**
 * Write DIR/tiny-sd/ (the model) and DIR/recipe.json. Refuses a non-empty DIR (never overwrites a
 * user's files). `sdxl: true` writes the SDXL layout instead (second text encoder with the 1280-wide
 * pooled projection, UNet with text_embeds and time_ids), for tests.
 */
export async function writeExample(
  dir: string,
  opts: { sdxl?: boolean } = {},
): Promise<{ modelDir: string; recipe: string; parameters: number }> {
  try {
    return await writeExampleFiles(dir, opts);
  } catch (err) {
    // A full disk or a folder we may not write: one line naming the folder.
    throw fileError(err, 'write the example into', dir);
  }
}

async function writeExampleFiles(
  dir: string,
  opts: { sdxl?: boolean },
): Promise<{ modelDir: string; recipe: string; parameters: number }> {
  // Checked and made one level at a time: a file, a dangling link or /proc is one clear error.
  ensureDir(dir, 'example folder');
  if (readdirSync(dir).length > 0)
    throw new RunnerError('example-exists', `${dir} is not empty; give a new or empty folder for the example`);
  const m = join(dir, 'tiny-sd');
  ensureDir(m, 'example folder');
  const { vocab, merges } = tinyTokenizer();
  const clip: ClipTextArch = {
    kind: 'clip-text',
    vocab: Object.keys(vocab).length,
    maxTokens: TINY_TOKENS,
    width: 32,
    layers: 2,
    heads: 2,
    ffn: 64,
    projection: 0,
  };
  let parameters = 0;
  parameters += (await writeOnnxModel(clip, join(m, 'text_encoder', 'model.onnx'), { seed: 1, dtype: 'float32' }))
    .parameters;
  // SDXL: prompt embeddings are both encoders side by side; the UNet's added embedding takes the
  // 1280-wide pooled text plus 6 time ids × 256 sinusoidal features (SDXL base's 2816).
  const unet: UNetArch = opts.sdxl
    ? { ...TINY_UNET, crossAttentionDim: 2 * clip.width, additionEmbedInput: 1280 + 6 * 256 }
    : TINY_UNET;
  parameters += (await writeOnnxModel(unet, join(m, 'unet', 'model.onnx'), { seed: 2, dtype: 'float32' })).parameters;
  if (opts.sdxl) {
    parameters += (
      await writeOnnxModel({ ...clip, projection: 1280 }, join(m, 'text_encoder_2', 'model.onnx'), {
        seed: 4,
        dtype: 'float32',
      })
    ).parameters;
    writeFileAtomic(join(m, 'tokenizer_2', 'vocab.json'), json(vocab));
    writeFileAtomic(join(m, 'tokenizer_2', 'merges.txt'), `#version: 0.2\n${merges.join('\n')}\n`);
    writeFileAtomic(join(m, 'tokenizer_2', 'tokenizer_config.json'), json({ model_max_length: TINY_TOKENS }));
  }
  parameters += (await writeOnnxModel(TINY_VAE, join(m, 'vae_decoder', 'model.onnx'), { seed: 3, dtype: 'float32' }))
    .parameters;
  writeFileAtomic(
    join(m, 'model_index.json'),
    json({
      _class_name: 'OnnxStableDiffusionPipeline',
      _genready: 'tiny example with random weights (genready run --example)',
    }),
  );
  writeFileAtomic(join(m, 'tokenizer', 'vocab.json'), json(vocab));
  writeFileAtomic(join(m, 'tokenizer', 'merges.txt'), `#version: 0.2\n${merges.join('\n')}\n`);
  writeFileAtomic(
    join(m, 'tokenizer', 'special_tokens_map.json'),
    json({
      bos_token: '<|startoftext|>',
      eos_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
      pad_token: '<|endoftext|>',
    }),
  );
  writeFileAtomic(
    join(m, 'tokenizer', 'tokenizer_config.json'),
    json({ model_max_length: TINY_TOKENS, tokenizer_class: 'CLIPTokenizer' }),
  );
  // SD 1.5's published scheduler configuration (runwayml/stable-diffusion-v1-5 scheduler/scheduler_config.json).
  writeFileAtomic(join(m, 'scheduler', 'scheduler_config.json'), json(SD15_SCHEDULER));
  writeFileAtomic(
    join(m, 'unet', 'config.json'),
    json({
      in_channels: 4,
      out_channels: 4,
      block_out_channels: unet.blockOut,
      cross_attention_dim: unet.crossAttentionDim,
      ...(opts.sdxl ? { addition_embed_type: 'text_time' } : {}),
    }),
  );
  writeFileAtomic(
    join(m, 'vae_decoder', 'config.json'),
    json({ block_out_channels: TINY_VAE.blockOut, latent_channels: 4, scaling_factor: 0.18215 }),
  );
  writeFileAtomic(
    join(m, 'text_encoder', 'config.json'),
    json({
      vocab_size: clip.vocab,
      hidden_size: clip.width,
      num_hidden_layers: clip.layers,
      max_position_embeddings: TINY_TOKENS,
    }),
  );
  const recipe = join(dir, 'recipe.json');
  writeFileAtomic(recipe, json(EXAMPLE_RECIPE));
  return { modelDir: m, recipe, parameters };
}
