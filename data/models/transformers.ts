/**
 * Transformer-family pipelines (SD3/3.5 MMDiT, FLUX.1, PixArt-Σ).
 * Configs: diffusers conversion scripts and HF config copies (shared/reference/architectures.md §8–12).
 */
import type { Component, CrossDiTArch, FluxArch, MMDiTArch, ModelEntry } from '../../src/catalog/models.types.ts';
import { clipL, clipLWithProjection, openClipBigG, t5xxl, vae16, sdVae } from './components.ts';

const sd3Arch: MMDiTArch = {
  kind: 'mmdit',
  patchSize: 2,
  inChannels: 16,
  outChannels: 16,
  depth: 24,
  heads: 24,
  headDim: 64,
  jointAttentionDim: 4096,
  pooledProjectionDim: 2048,
  mlpRatio: 4,
  qkNorm: false,
  dualAttentionLayers: 0,
  posEmbedMaxSize: 192,
};

const posTable = (a: MMDiTArch) => a.posEmbedMaxSize ** 2 * a.heads * a.headDim;

const TRANSFORMER_PRECISIONS = [
  'fp16',
  'bf16',
  'fp32',
  'fp8',
  'int8',
  'q8_0',
  'nf4',
  'int4',
  'q4_0',
  'q4_1',
  'q4_k',
  'q2_k',
] as const;

// diffusers StableDiffusion3Pipeline defaults: 28 steps, guidance 7.0, T5 max_sequence_length 256.
const sd3Defaults = {
  width: 1024,
  height: 1024,
  steps: 28,
  guidance: { kind: 'cfg', scale: 7.0 },
  precision: 'fp16',
  precisions: [...TRANSFORMER_PRECISIONS],
} as const satisfies ModelEntry['defaults'];

function sd3Family(name: string, arch: MMDiTArch, published: Component['published']): Component<MMDiTArch> {
  return { role: 'denoiser', name, arch, published, buffers: posTable(arch) };
}

const sd3TextEncoders = [clipLWithProjection, openClipBigG, t5xxl(256)];

export const sd3Medium: ModelEntry = {
  id: 'sd3-medium',
  name: 'Stable Diffusion 3 Medium',
  aliases: [
    'SD3',
    'SD3 Medium',
    'sd3m',
    'stable-diffusion-3-medium',
    'stabilityai/stable-diffusion-3-medium-diffusers',
    'sd3_medium',
  ],
  source:
    'github huggingface/diffusers scripts/convert_sd3_to_diffusers.py; HF stable-diffusion-3-medium-diffusers transformer/config.json (copy)',
  denoiser: sd3Family('MMDiT (SD3 Medium, 24 blocks)', sd3Arch, {
    parameters: 2_028_328_000,
    source: '"2B" (Stability); Keras stable_diffusion_3_medium 2.99B incl. CLIPs+VAE; transformer 4.17 GB fp16',
  }),
  textEncoders: sd3TextEncoders,
  vae: vae16,
  addons: [],
  defaults: { ...sd3Defaults, precisions: [...sd3Defaults.precisions] },
};

export const sd35Medium: ModelEntry = {
  id: 'sd35-medium',
  name: 'Stable Diffusion 3.5 Medium',
  aliases: [
    'SD3.5 Medium',
    'sd3.5-medium',
    'stable-diffusion-3.5-medium',
    'stabilityai/stable-diffusion-3.5-medium',
    'sd35m',
  ],
  source: 'HF stabilityai/stable-diffusion-3.5-medium transformer/config.json (copy)',
  denoiser: sd3Family(
    'MMDiT-X (SD3.5 Medium, 24 blocks)',
    { ...sd3Arch, qkNorm: true, dualAttentionLayers: 13, posEmbedMaxSize: 384 },
    {
      parameters: 2_243_171_520,
      source: '"2.5 billion parameters" incl. 384² position table (Stability); transformer 4.94 GB',
    },
  ),
  textEncoders: sd3TextEncoders,
  vae: vae16,
  addons: [],
  defaults: { ...sd3Defaults, precisions: [...sd3Defaults.precisions] },
};

export const sd35Large: ModelEntry = {
  id: 'sd35-large',
  name: 'Stable Diffusion 3.5 Large',
  aliases: [
    'SD3.5 Large',
    'sd3.5-large',
    'stable-diffusion-3.5-large',
    'stabilityai/stable-diffusion-3.5-large',
    'sd35l',
  ],
  source: 'SD3.5 Large transformer config (third-party copies; consistent with the 16.30 GB bf16 transformer)',
  denoiser: sd3Family(
    'MMDiT (SD3.5 Large, 38 blocks)',
    { ...sd3Arch, depth: 38, heads: 38, qkNorm: true },
    {
      parameters: 8_056_627_520,
      source: '"8.1B" (Stability); Keras stable_diffusion_3.5_large 9.05B incl. CLIPs+VAE; shards 9.99+6.31 GB bf16',
    },
  ),
  textEncoders: sd3TextEncoders,
  vae: vae16,
  addons: [],
  defaults: { ...sd3Defaults, precision: 'bf16', precisions: [...sd3Defaults.precisions] },
};

const fluxArch: FluxArch = {
  kind: 'flux',
  latentChannels: 16,
  patchSize: 2,
  hidden: 3072,
  heads: 24,
  doubleBlocks: 19,
  singleBlocks: 38,
  mlpRatio: 4,
  contextDim: 4096,
  vecInDim: 768,
  guidanceEmbed: true,
  timeEmbedDim: 256,
};

const FLUX_SOURCE = 'github black-forest-labs/flux src/flux/util.py (FluxParams)';

export const flux1Dev: ModelEntry = {
  id: 'flux1-dev',
  name: 'FLUX.1 [dev]',
  aliases: ['FLUX.1 [dev]', 'flux-dev', 'flux.1-dev', 'flux1dev', 'black-forest-labs/FLUX.1-dev', 'flux dev', 'flux'],
  source: FLUX_SOURCE,
  denoiser: {
    role: 'denoiser',
    name: 'FLUX transformer (19 double + 38 single blocks)',
    arch: fluxArch,
    published: {
      parameters: 11_901_408_320,
      source: '"12 billion parameter rectified flow transformer" (model_cards/FLUX.1-dev.md); 23.8 GB bf16',
    },
  },
  // diffusers FluxPipeline: CLIP-L pooled vector + T5 with max_sequence_length 512.
  textEncoders: [clipL, t5xxl(512)],
  vae: vae16,
  addons: [],
  defaults: {
    width: 1024,
    height: 1024,
    steps: 28,
    guidance: { kind: 'distilled', scale: 3.5 },
    precision: 'bf16',
    precisions: [...TRANSFORMER_PRECISIONS],
  },
};

export const flux1Schnell: ModelEntry = {
  id: 'flux1-schnell',
  name: 'FLUX.1 [schnell]',
  aliases: [
    'FLUX.1 [schnell]',
    'flux-schnell',
    'flux.1-schnell',
    'flux1schnell',
    'black-forest-labs/FLUX.1-schnell',
    'flux schnell',
  ],
  source: FLUX_SOURCE,
  denoiser: {
    role: 'denoiser',
    name: 'FLUX transformer (no guidance embedding)',
    arch: { ...fluxArch, guidanceEmbed: false },
    published: {
      parameters: 11_891_178_560,
      source: '"12 billion parameter" (model_cards/FLUX.1-schnell.md); 23.8 GB bf16',
    },
  },
  textEncoders: [clipL, t5xxl(256)],
  vae: vae16,
  addons: [],
  defaults: {
    width: 1024,
    height: 1024,
    steps: 4,
    guidance: { kind: 'none' },
    precision: 'bf16',
    precisions: [...TRANSFORMER_PRECISIONS],
  },
};

const pixartArch: CrossDiTArch = {
  kind: 'cross-dit',
  patchSize: 2,
  inChannels: 4,
  outChannels: 8,
  depth: 28,
  heads: 16,
  headDim: 72,
  captionChannels: 4096,
  mlpRatio: 4,
  timeEmbedDim: 256,
};

export const pixartSigma: ModelEntry = {
  id: 'pixart-sigma',
  name: 'PixArt-Σ XL/2 1024',
  aliases: [
    'PixArt-Sigma',
    'PixArt-Σ',
    'pixart sigma',
    'PixArt-alpha/PixArt-Sigma-XL-2-1024-MS',
    'pixart-sigma-xl-2-1024-ms',
  ],
  source: 'github huggingface/diffusers scripts/convert_pixart_sigma_to_diffusers.py; PixArt-alpha/PixArt-sigma README',
  denoiser: {
    role: 'denoiser',
    name: 'PixArt transformer (28 blocks)',
    arch: pixartArch,
    published: {
      parameters: 610_856_096,
      source: '"#Params 0.6B" (PixArt-alpha/PixArt-sigma README); transformer 2.44 GB fp32',
    },
  },
  textEncoders: [t5xxl(300)],
  vae: sdVae,
  addons: [],
  defaults: {
    width: 1024,
    height: 1024,
    steps: 20,
    guidance: { kind: 'cfg', scale: 4.5 },
    precision: 'fp16',
    precisions: [...TRANSFORMER_PRECISIONS],
  },
};
