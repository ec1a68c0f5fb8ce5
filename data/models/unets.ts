/**
 * UNet-family pipelines (SD 1.5, SD 2.1-v, SDXL base/refiner/Turbo) and their ControlNets.
 * Configs: the original LDM inference YAMLs as converted by diffusers (see shared/reference/architectures.md §3–7, §14).
 */
import type { Component, ControlNetArch, ModelEntry, UNetArch } from '../../src/catalog/models.types.ts';
import { clipL, openClipBigG, openClipH, sdVae, sdxlVae } from './components.ts';

const sd15Unet: UNetArch = {
  kind: 'unet',
  inChannels: 4,
  outChannels: 4,
  blockOut: [320, 640, 1280, 1280],
  layersPerBlock: 2,
  crossAttention: [true, true, true, false],
  transformerDepth: [1, 1, 1, 0],
  midTransformerDepth: 1,
  heads: [8, 8, 8, 8],
  crossAttentionDim: 768,
  additionEmbedInput: null,
  normGroups: 32,
  midAttention: true,
};

const sdxlUnet: UNetArch = {
  kind: 'unet',
  inChannels: 4,
  outChannels: 4,
  blockOut: [320, 640, 1280],
  layersPerBlock: 2,
  crossAttention: [false, true, true],
  transformerDepth: [0, 2, 10],
  midTransformerDepth: 10,
  heads: [5, 10, 20],
  crossAttentionDim: 2048,
  additionEmbedInput: 2816, // 1280 pooled bigG + 6 micro-conditions × 256
  normGroups: 32,
  midAttention: true,
};

export const controlnetSd15: Component<ControlNetArch> = {
  role: 'controlnet',
  name: 'ControlNet (SD 1.5)',
  arch: { kind: 'controlnet', unet: sd15Unet, condEmbedChannels: [16, 32, 96, 256], hintChannels: 3 },
  published: {
    parameters: 361_279_120,
    source: 'lllyasviel/ControlNet models/cldm_v15.yaml; HF lllyasviel/control_v11p_sd15_canny 723 MB fp16',
  },
};

export const controlnetSdxl: Component<ControlNetArch> = {
  role: 'controlnet',
  name: 'ControlNet (SDXL, full size)',
  arch: { kind: 'controlnet', unet: sdxlUnet, condEmbedChannels: [16, 32, 96, 256], hintChannels: 3 },
  published: {
    parameters: 1_251_014_160,
    source: 'HF diffusers/controlnet-canny-sdxl-1.0 (ControlNetModel.from_unet), 2.5 GB fp16',
  },
};

const SD_PRECISIONS = ['fp16', 'fp32', 'bf16', 'fp8', 'int8', 'q8_0', 'nf4', 'q4_k'] as const;

export const sd15: ModelEntry = {
  id: 'sd15',
  name: 'Stable Diffusion 1.5',
  aliases: [
    'SD 1.5',
    'sd-1.5',
    'sd1.5',
    'stable-diffusion-v1-5',
    'runwayml/stable-diffusion-v1-5',
    'stable diffusion 1.5',
    'sd-v1-5',
  ],
  source: 'github CompVis/stable-diffusion configs/stable-diffusion/v1-inference.yaml',
  denoiser: {
    role: 'denoiser',
    name: 'UNet (SD 1.5)',
    arch: sd15Unet,
    published: {
      parameters: 859_520_964,
      source: '"860M UNet" (CompVis/stable-diffusion README); diffusers instantiation 859,520,964',
    },
  },
  textEncoders: [clipL],
  vae: sdVae,
  addons: [controlnetSd15],
  defaults: {
    width: 512,
    height: 512,
    steps: 50,
    guidance: { kind: 'cfg', scale: 7.5 },
    precision: 'fp16',
    precisions: [...SD_PRECISIONS],
  },
};

export const sd21: ModelEntry = {
  id: 'sd21',
  name: 'Stable Diffusion 2.1 (768-v)',
  aliases: [
    'SD 2.1',
    'sd2.1',
    'sd-2.1',
    'stable-diffusion-2-1',
    'stabilityai/stable-diffusion-2-1',
    'sd21-768',
    'sd 2.1 768',
  ],
  source: 'github Stability-AI/stablediffusion configs/stable-diffusion/v2-inference-v.yaml',
  denoiser: {
    role: 'denoiser',
    name: 'UNet (SD 2.1-v)',
    arch: { ...sd15Unet, heads: [5, 10, 20, 20], crossAttentionDim: 1024 },
    published: { parameters: 865_910_724, source: '"865M UNet" (Stability-AI/stablediffusion README)' },
  },
  textEncoders: [openClipH],
  vae: sdVae,
  addons: [],
  defaults: {
    width: 768,
    height: 768,
    steps: 50,
    guidance: { kind: 'cfg', scale: 7.5 },
    precision: 'fp16',
    precisions: [...SD_PRECISIONS],
  },
};

const sdxlDenoiser: Component<UNetArch> = {
  role: 'denoiser',
  name: 'UNet (SDXL)',
  arch: sdxlUnet,
  published: {
    parameters: 2_567_463_684,
    source: '2.6B UNet (SDXL paper); HF sdxl-base unet 5.14 GB fp16 = 2,567,463,684 × 2 B',
  },
};

export const sdxl: ModelEntry = {
  id: 'sdxl',
  name: 'Stable Diffusion XL base 1.0',
  aliases: [
    'SDXL',
    'sdxl-base',
    'sdxl 1.0',
    'stable-diffusion-xl-base-1.0',
    'stabilityai/stable-diffusion-xl-base-1.0',
    'sd-xl',
  ],
  source: 'github Stability-AI/generative-models configs/inference/sd_xl_base.yaml',
  denoiser: sdxlDenoiser,
  textEncoders: [clipL, openClipBigG],
  vae: sdxlVae,
  addons: [controlnetSdxl],
  defaults: {
    width: 1024,
    height: 1024,
    steps: 50,
    guidance: { kind: 'cfg', scale: 5.0 },
    precision: 'fp16',
    precisions: [...SD_PRECISIONS],
  },
};

export const sdxlRefiner: ModelEntry = {
  id: 'sdxl-refiner',
  name: 'Stable Diffusion XL refiner 1.0',
  aliases: [
    'SDXL refiner',
    'stable-diffusion-xl-refiner-1.0',
    'stabilityai/stable-diffusion-xl-refiner-1.0',
    'sdxl-refiner-1.0',
  ],
  source: 'github Stability-AI/generative-models configs/inference/sd_xl_refiner.yaml',
  denoiser: {
    role: 'denoiser',
    name: 'UNet (SDXL refiner)',
    arch: {
      ...sdxlUnet,
      blockOut: [384, 768, 1536, 1536],
      crossAttention: [false, true, true, false],
      transformerDepth: [0, 4, 4, 0],
      midTransformerDepth: 4,
      heads: [6, 12, 24, 24],
      crossAttentionDim: 1280,
      additionEmbedInput: 2560, // 1280 pooled bigG + 5 micro-conditions × 256
    },
    published: {
      parameters: 2_259_526_660,
      source: 'diffusers instantiation of sd_xl_refiner.yaml; HF refiner unet 4.52 GB fp16',
    },
  },
  textEncoders: [openClipBigG],
  vae: sdxlVae,
  addons: [],
  defaults: {
    width: 1024,
    height: 1024,
    // img2img at the diffusers default strength 0.3: 15 of 50 steps run.
    steps: 15,
    guidance: { kind: 'cfg', scale: 5.0 },
    precision: 'fp16',
    precisions: [...SD_PRECISIONS],
  },
  notes: 'img2img on base latents; steps = 50 × strength 0.3 (StableDiffusionXLImg2ImgPipeline default)',
};

export const sdxlTurbo: ModelEntry = {
  id: 'sdxl-turbo',
  name: 'SDXL-Turbo',
  aliases: ['SDXL Turbo', 'stabilityai/sdxl-turbo', 'sdxl_turbo'],
  source: 'HF stabilityai/sdxl-turbo model card (same architecture as SDXL base; ADD-distilled)',
  denoiser: sdxlDenoiser,
  textEncoders: [clipL, openClipBigG],
  vae: sdxlVae,
  addons: [],
  defaults: {
    width: 512,
    height: 512,
    steps: 1,
    guidance: { kind: 'none' },
    precision: 'fp16',
    precisions: [...SD_PRECISIONS],
  },
};
