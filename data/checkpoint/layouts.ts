/**
 * Checkpoint layouts, format version 1: how each component of each family is named and shaped in
 * the files people hold. A layout is recognised by its signature (a few tensors with their exact
 * shapes, relative to the component's prefix) and ruled out by tensors that only a sibling layout
 * has; `blocks` lists the numbered block lists whose indices must run 0…count-1 (what is missing or
 * extra shows there). Identification reads only these fields and never branches on a family name.
 *
 * Names and shapes: the original code that writes each naming —
 *   LDM:       github CompVis/stable-diffusion ldm/modules/diffusionmodules/openaimodel.py (UNetModel),
 *              ldm/models/autoencoder.py, configs/stable-diffusion/v1-inference.yaml; Stability-AI/stablediffusion
 *              configs/stable-diffusion/v2-inference-v.yaml; Stability-AI/generative-models configs/inference/
 *              sd_xl_base.yaml, sd_xl_refiner.yaml (conditioner.embedders.N); lllyasviel/ControlNet cldm/cldm.py
 *   diffusers: github huggingface/diffusers scripts/convert_original_stable_diffusion_to_diffusers.py,
 *              convert_sd3_to_diffusers.py, convert_flux_to_diffusers.py, convert_pixart_sigma_to_diffusers.py
 *   SD3 (SAI): github Stability-AI/sd3-ref (mmdit.py); single files put the text encoders under text_encoders.*
 *   FLUX (BFL): github black-forest-labs/flux src/flux/model.py, modules/layers.py
 *   PixArt:    github PixArt-alpha/PixArt-sigma diffusion/model/nets/PixArt.py
 *   CLIP / T5: Hugging Face transformers CLIPTextModel / T5EncoderModel state dicts; OpenCLIP
 *              (mlfoundations/open_clip) for the LDM files of SD 2.x and SDXL
 * Shapes follow from the catalog's architectures (data/models) and are checked against them by
 * test/checkpoint/layouts.test.ts; real headers' tensor lists are in test/fixtures/checkpoint.
 */
import type { ComponentRole } from '../../src/checkpoint/types.ts';

export const CHECKPOINT_LAYOUTS_VERSION = 1;

/** Architecture groups: two layouts of one group hold the same weights under different names. */
export type LayoutArch =
  | 'sd1-unet'
  | 'sd2-unet'
  | 'sdxl-unet'
  | 'sdxl-refiner-unet'
  | 'sd3-medium-mmdit'
  | 'sd35-medium-mmdit'
  | 'sd35-large-mmdit'
  | 'flux-dev'
  | 'flux-schnell'
  | 'pixart'
  | 'sd-vae'
  | 'vae16'
  | 'clip-l'
  | 'openclip-h'
  | 'openclip-bigg'
  | 't5xxl'
  | 'sd1-controlnet'
  | 'sd2-controlnet'
  | 'sdxl-controlnet';

export type Naming = 'ldm' | 'diffusers' | 'sai' | 'bfl' | 'pixart' | 'hf' | 'openclip';

export interface ComponentLayout {
  id: string;
  arch: LayoutArch;
  role: ComponentRole;
  name: string;
  naming: Naming;
  /** Where the component sits in a file: the tensors' name prefix ('' for a file of this component alone). */
  prefixes: readonly string[];
  /** Signature: tensors (relative to the prefix) and their exact shapes. */
  keys: Readonly<Record<string, readonly number[]>>;
  /** Tensors whose presence rules this layout out (they belong to a sibling layout). */
  absent?: readonly string[];
  /** Numbered blocks that must run 0…count-1, e.g. { 'double_blocks.': 19 }. */
  blocks?: Readonly<Record<string, number>>;
}

/** What a file whose denoiser (or ControlNet) has this architecture belongs to. */
export interface FamilyInfo {
  name: string;
  /** The catalog id (data/models) of the family's pipeline. */
  model: string;
  /** Other catalog models with the same layout (a file cannot tell them apart). */
  alsoMatches?: readonly string[];
  /** Components a whole single-file checkpoint of the family carries, by architecture. */
  pipeline?: { 'text-encoder': readonly LayoutArch[]; vae: LayoutArch };
  /** What the family's files may say about the prediction type, when the layout cannot. */
  predictionNote?: string;
}

export const FAMILIES: Readonly<Partial<Record<LayoutArch, FamilyInfo>>> = {
  'sd1-unet': {
    name: 'Stable Diffusion 1.x',
    model: 'sd15',
    pipeline: { 'text-encoder': ['clip-l'], vae: 'sd-vae' },
  },
  'sd2-unet': {
    name: 'Stable Diffusion 2.x',
    model: 'sd21',
    pipeline: { 'text-encoder': ['openclip-h'], vae: 'sd-vae' },
    predictionNote:
      '2.x 768-v files are v-prediction, 512-base files epsilon; the tensors are the same, so only metadata or the scheduler config can say',
  },
  'sdxl-unet': {
    name: 'Stable Diffusion XL base',
    model: 'sdxl',
    alsoMatches: ['sdxl-turbo'],
    pipeline: { 'text-encoder': ['clip-l', 'openclip-bigg'], vae: 'sd-vae' },
  },
  'sdxl-refiner-unet': {
    name: 'Stable Diffusion XL refiner',
    model: 'sdxl-refiner',
    pipeline: { 'text-encoder': ['openclip-bigg'], vae: 'sd-vae' },
  },
  'sd3-medium-mmdit': {
    name: 'Stable Diffusion 3 Medium',
    model: 'sd3-medium',
    pipeline: { 'text-encoder': ['clip-l', 'openclip-bigg', 't5xxl'], vae: 'vae16' },
  },
  'sd35-medium-mmdit': {
    name: 'Stable Diffusion 3.5 Medium',
    model: 'sd35-medium',
    pipeline: { 'text-encoder': ['clip-l', 'openclip-bigg', 't5xxl'], vae: 'vae16' },
  },
  'sd35-large-mmdit': {
    name: 'Stable Diffusion 3.5 Large',
    model: 'sd35-large',
    pipeline: { 'text-encoder': ['clip-l', 'openclip-bigg', 't5xxl'], vae: 'vae16' },
  },
  'flux-dev': {
    name: 'FLUX.1 dev',
    model: 'flux1-dev',
    pipeline: { 'text-encoder': ['clip-l', 't5xxl'], vae: 'vae16' },
  },
  'flux-schnell': {
    name: 'FLUX.1 schnell',
    model: 'flux1-schnell',
    pipeline: { 'text-encoder': ['clip-l', 't5xxl'], vae: 'vae16' },
  },
  pixart: { name: 'PixArt-Σ', model: 'pixart-sigma', pipeline: { 'text-encoder': ['t5xxl'], vae: 'sd-vae' } },
  'sd1-controlnet': { name: 'ControlNet for SD 1.x', model: 'sd15' },
  'sd2-controlnet': { name: 'ControlNet for SD 2.x', model: 'sd21' },
  'sdxl-controlnet': { name: 'ControlNet for SDXL', model: 'sdxl', alsoMatches: ['sdxl-turbo'] },
};

/** Catalog models whose pipelines hold a component of this architecture (model: null when several). */
export const SHARED_COMPONENTS: Readonly<Partial<Record<LayoutArch, readonly string[]>>> = {
  'sd-vae': ['sd15', 'sd21', 'sdxl', 'sdxl-refiner', 'sdxl-turbo', 'pixart-sigma'],
  vae16: ['sd3-medium', 'sd35-medium', 'sd35-large', 'flux1-dev', 'flux1-schnell'],
  'clip-l': ['sd15', 'sdxl', 'sdxl-turbo', 'sd3-medium', 'sd35-medium', 'sd35-large', 'flux1-dev', 'flux1-schnell'],
  'openclip-h': ['sd21'],
  'openclip-bigg': ['sdxl', 'sdxl-refiner', 'sdxl-turbo', 'sd3-medium', 'sd35-medium', 'sd35-large'],
  t5xxl: ['sd3-medium', 'sd35-medium', 'sd35-large', 'flux1-dev', 'flux1-schnell', 'pixart-sigma'],
};

const LDM_UNET = ['model.diffusion_model.', ''];
const DIT = ['model.diffusion_model.', ''];
const LDM_VAE = ['first_stage_model.', 'vae.', ''];

/** LDM UNet (openaimodel.py): input/middle/output blocks. */
function ldmUnet(
  id: string,
  arch: LayoutArch,
  name: string,
  k: { ch: number; ctx: number; linearProj: boolean; adm?: number; level1Depth?: number },
  blocks: number,
): ComponentLayout {
  const c = k.ch;
  const keys: Record<string, number[]> = {
    'input_blocks.0.0.weight': [c, 4, 3, 3],
    'time_embed.0.weight': [c * 4, c],
    'out.2.weight': [4, c, 3, 3],
  };
  if (k.adm) {
    // SDXL: no attention at level 0; level 1 (2c) has `level1Depth` transformer blocks.
    const d = k.level1Depth! - 1;
    keys['label_emb.0.0.weight'] = [c * 4, k.adm];
    keys['input_blocks.4.1.proj_in.weight'] = k.linearProj ? [2 * c, 2 * c] : [2 * c, 2 * c, 1, 1];
    keys[`input_blocks.4.1.transformer_blocks.${d}.attn2.to_k.weight`] = [2 * c, k.ctx];
  } else {
    keys['input_blocks.1.1.proj_in.weight'] = k.linearProj ? [c, c] : [c, c, 1, 1];
    keys['input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight'] = [c, k.ctx];
  }
  return {
    id,
    arch,
    role: 'denoiser',
    name,
    naming: 'ldm',
    prefixes: LDM_UNET,
    keys,
    ...(k.adm ? {} : { absent: ['label_emb.0.0.weight'] }),
    blocks: { 'input_blocks.': blocks, 'output_blocks.': blocks },
  };
}

/** diffusers UNet2DConditionModel. */
function diffusersUnet(
  id: string,
  arch: LayoutArch,
  name: string,
  k: { ch: number; ctx: number; linearProj: boolean; adm?: number; level1Depth?: number },
  levels: number,
): ComponentLayout {
  const c = k.ch;
  const keys: Record<string, number[]> = {
    'conv_in.weight': [c, 4, 3, 3],
    'time_embedding.linear_1.weight': [c * 4, c],
    'conv_out.weight': [4, c, 3, 3],
  };
  if (k.adm) {
    const d = k.level1Depth! - 1;
    keys['add_embedding.linear_1.weight'] = [c * 4, k.adm];
    keys['down_blocks.1.attentions.0.proj_in.weight'] = k.linearProj ? [2 * c, 2 * c] : [2 * c, 2 * c, 1, 1];
    keys[`down_blocks.1.attentions.0.transformer_blocks.${d}.attn2.to_k.weight`] = [2 * c, k.ctx];
  } else {
    keys['down_blocks.0.attentions.0.proj_in.weight'] = k.linearProj ? [c, c] : [c, c, 1, 1];
    keys['down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight'] = [c, k.ctx];
  }
  return {
    id,
    arch,
    role: 'denoiser',
    name,
    naming: 'diffusers',
    prefixes: [''],
    keys,
    absent: k.adm ? ['controlnet_mid_block.weight'] : ['add_embedding.linear_1.weight', 'controlnet_mid_block.weight'],
    blocks: { 'down_blocks.': levels, 'up_blocks.': levels },
  };
}

const SD1 = { ch: 320, ctx: 768, linearProj: false };
const SD2 = { ch: 320, ctx: 1024, linearProj: true };
const SDXL = { ch: 320, ctx: 2048, linearProj: true, adm: 2816, level1Depth: 2 };
const REFINER = { ch: 384, ctx: 1280, linearProj: true, adm: 2560, level1Depth: 4 };

/** SD3-family MMDiT in SAI's naming (sd3-ref mmdit.py). */
function saiMmdit(
  id: string,
  arch: LayoutArch,
  name: string,
  k: { hidden: number; depth: number; pos: number; qkNorm: boolean; dual: boolean },
): ComponentLayout {
  const h = k.hidden;
  const keys: Record<string, number[]> = {
    'x_embedder.proj.weight': [h, 16, 2, 2],
    pos_embed: [1, k.pos, h],
    'context_embedder.weight': [h, 4096],
    'y_embedder.mlp.0.weight': [h, 2048],
    [`joint_blocks.${k.depth - 1}.x_block.attn.qkv.weight`]: [3 * h, h],
    'final_layer.linear.weight': [64, h],
  };
  const absent: string[] = [];
  if (k.qkNorm) keys['joint_blocks.0.x_block.attn.ln_q.weight'] = [64];
  else absent.push('joint_blocks.0.x_block.attn.ln_q.weight');
  if (k.dual) keys['joint_blocks.0.x_block.attn2.qkv.weight'] = [3 * h, h];
  else absent.push('joint_blocks.0.x_block.attn2.qkv.weight');
  return {
    id,
    arch,
    role: 'denoiser',
    name,
    naming: 'sai',
    prefixes: DIT,
    keys,
    absent,
    blocks: { 'joint_blocks.': k.depth },
  };
}

function diffusersMmdit(
  id: string,
  arch: LayoutArch,
  name: string,
  k: { hidden: number; depth: number; pos: number; qkNorm: boolean; dual: boolean },
): ComponentLayout {
  const h = k.hidden;
  const keys: Record<string, number[]> = {
    'pos_embed.proj.weight': [h, 16, 2, 2],
    'pos_embed.pos_embed': [1, k.pos, h],
    'context_embedder.weight': [h, 4096],
    'time_text_embed.text_embedder.linear_1.weight': [h, 2048],
    [`transformer_blocks.${k.depth - 1}.attn.to_q.weight`]: [h, h],
    'proj_out.weight': [64, h],
  };
  const absent: string[] = [];
  if (k.qkNorm) keys['transformer_blocks.0.attn.norm_q.weight'] = [64];
  else absent.push('transformer_blocks.0.attn.norm_q.weight');
  if (k.dual) keys['transformer_blocks.0.attn2.to_q.weight'] = [h, h];
  else absent.push('transformer_blocks.0.attn2.to_q.weight');
  return {
    id,
    arch,
    role: 'denoiser',
    name,
    naming: 'diffusers',
    prefixes: [''],
    keys,
    absent,
    blocks: { 'transformer_blocks.': k.depth },
  };
}

const SD3M = { hidden: 1536, depth: 24, pos: 192 * 192, qkNorm: false, dual: false };
const SD35M = { hidden: 1536, depth: 24, pos: 384 * 384, qkNorm: true, dual: true };
const SD35L = { hidden: 2432, depth: 38, pos: 192 * 192, qkNorm: true, dual: false };

function bflFlux(id: string, arch: LayoutArch, name: string, guidance: boolean): ComponentLayout {
  const keys: Record<string, number[]> = {
    'img_in.weight': [3072, 64],
    'txt_in.weight': [3072, 4096],
    'time_in.in_layer.weight': [3072, 256],
    'vector_in.in_layer.weight': [3072, 768],
    'double_blocks.0.img_attn.qkv.weight': [9216, 3072],
    'single_blocks.0.linear1.weight': [21504, 3072],
    'final_layer.linear.weight': [64, 3072],
  };
  if (guidance) keys['guidance_in.in_layer.weight'] = [3072, 256];
  return {
    id,
    arch,
    role: 'denoiser',
    name,
    naming: 'bfl',
    prefixes: DIT,
    keys,
    ...(guidance ? {} : { absent: ['guidance_in.in_layer.weight'] }),
    blocks: { 'double_blocks.': 19, 'single_blocks.': 38 },
  };
}

function diffusersFlux(id: string, arch: LayoutArch, name: string, guidance: boolean): ComponentLayout {
  const keys: Record<string, number[]> = {
    'x_embedder.weight': [3072, 64],
    'context_embedder.weight': [3072, 4096],
    'time_text_embed.timestep_embedder.linear_1.weight': [3072, 256],
    'time_text_embed.text_embedder.linear_1.weight': [3072, 768],
    'transformer_blocks.0.attn.to_q.weight': [3072, 3072],
    'single_transformer_blocks.0.proj_mlp.weight': [12288, 3072],
    'proj_out.weight': [64, 3072],
  };
  const g = 'time_text_embed.guidance_embedder.linear_1.weight';
  if (guidance) keys[g] = [3072, 256];
  return {
    id,
    arch,
    role: 'denoiser',
    name,
    naming: 'diffusers',
    prefixes: [''],
    keys,
    ...(guidance ? {} : { absent: [g] }),
    blocks: { 'transformer_blocks.': 19, 'single_transformer_blocks.': 38 },
  };
}

function ldmControlNet(
  id: string,
  arch: LayoutArch,
  name: string,
  k: { ch: number; ctx: number; linearProj: boolean; adm?: number; level1Depth?: number },
  blocks: number,
): ComponentLayout {
  const unet = ldmUnet(id, arch, name, k, blocks);
  const keys: Record<string, readonly number[]> = { ...unet.keys };
  delete keys['out.2.weight'];
  return {
    ...unet,
    role: 'controlnet',
    prefixes: ['control_model.', ''],
    keys: {
      ...keys,
      'input_hint_block.0.weight': [16, 3, 3, 3],
      'zero_convs.0.0.weight': [k.ch, k.ch, 1, 1],
      'middle_block_out.0.weight': [k.ch * 4, k.ch * 4, 1, 1],
    },
    blocks: { 'input_blocks.': blocks, 'zero_convs.': blocks },
  };
}

function diffusersControlNet(
  id: string,
  arch: LayoutArch,
  name: string,
  k: { ch: number; ctx: number; linearProj: boolean; adm?: number; level1Depth?: number },
  levels: number,
): ComponentLayout {
  const unet = diffusersUnet(id, arch, name, k, levels);
  const keys: Record<string, readonly number[]> = { ...unet.keys };
  delete keys['conv_out.weight'];
  return {
    ...unet,
    role: 'controlnet',
    keys: {
      ...keys,
      'controlnet_cond_embedding.conv_in.weight': [16, 3, 3, 3],
      'controlnet_down_blocks.0.weight': [k.ch, k.ch, 1, 1],
      'controlnet_mid_block.weight': [k.ch * 4, k.ch * 4, 1, 1],
    },
    absent: k.adm ? [] : ['add_embedding.linear_1.weight'],
    blocks: { 'down_blocks.': levels, 'controlnet_down_blocks.': levels * 3 },
  };
}

function vae(id: string, arch: LayoutArch, naming: 'ldm' | 'diffusers', latent: 4 | 16): ComponentLayout {
  const keys: Record<string, number[]> = {
    'encoder.conv_in.weight': [128, 3, 3, 3],
    [naming === 'ldm' ? 'encoder.down.0.block.0.conv1.weight' : 'encoder.down_blocks.0.resnets.0.conv1.weight']: [
      128, 128, 3, 3,
    ],
    'encoder.conv_out.weight': [2 * latent, 512, 3, 3],
    'decoder.conv_in.weight': [512, latent, 3, 3],
    'decoder.conv_out.weight': [3, 128, 3, 3],
  };
  if (latent === 4) keys['quant_conv.weight'] = [8, 8, 1, 1];
  return {
    id,
    arch,
    role: 'vae',
    name: latent === 4 ? 'SD VAE (4 latent channels, f8)' : '16-channel VAE (SD3 / FLUX.1, f8)',
    naming,
    prefixes: naming === 'ldm' ? LDM_VAE : [''],
    keys,
    ...(latent === 16 ? { absent: ['quant_conv.weight'] } : {}),
    blocks: naming === 'ldm' ? { 'encoder.down.': 4, 'decoder.up.': 4 } : { 'encoder.down_blocks.': 4 },
  };
}

/** Hugging Face CLIPTextModel(WithProjection). */
function hfClip(id: string, arch: LayoutArch, name: string, width: number, layers: number, prefixes: string[]) {
  return {
    id,
    arch,
    role: 'text-encoder',
    name,
    naming: 'hf',
    prefixes,
    keys: {
      'text_model.embeddings.token_embedding.weight': [49408, width],
      'text_model.embeddings.position_embedding.weight': [77, width],
      [`text_model.encoder.layers.${layers - 1}.self_attn.q_proj.weight`]: [width, width],
      'text_model.final_layer_norm.weight': [width],
    },
    blocks: { 'text_model.encoder.layers.': layers },
  } satisfies ComponentLayout;
}

/** OpenCLIP text tower as the LDM files of SD 2.x and SDXL hold it. */
function openClip(id: string, arch: LayoutArch, name: string, width: number, layers: number, prefixes: string[]) {
  return {
    id,
    arch,
    role: 'text-encoder',
    name,
    naming: 'openclip',
    prefixes,
    keys: {
      'token_embedding.weight': [49408, width],
      positional_embedding: [77, width],
      [`transformer.resblocks.${layers - 1}.attn.in_proj_weight`]: [3 * width, width],
      'ln_final.weight': [width],
    },
    blocks: { 'transformer.resblocks.': layers },
  } satisfies ComponentLayout;
}

export const LAYOUTS: readonly ComponentLayout[] = [
  ldmUnet('sd1-unet-ldm', 'sd1-unet', 'SD 1.x UNet', SD1, 12),
  ldmUnet('sd2-unet-ldm', 'sd2-unet', 'SD 2.x UNet', SD2, 12),
  ldmUnet('sdxl-unet-ldm', 'sdxl-unet', 'SDXL base UNet', SDXL, 9),
  ldmUnet('sdxl-refiner-unet-ldm', 'sdxl-refiner-unet', 'SDXL refiner UNet', REFINER, 12),
  diffusersUnet('sd1-unet-diffusers', 'sd1-unet', 'SD 1.x UNet', SD1, 4),
  diffusersUnet('sd2-unet-diffusers', 'sd2-unet', 'SD 2.x UNet', SD2, 4),
  diffusersUnet('sdxl-unet-diffusers', 'sdxl-unet', 'SDXL base UNet', SDXL, 3),
  diffusersUnet('sdxl-refiner-unet-diffusers', 'sdxl-refiner-unet', 'SDXL refiner UNet', REFINER, 4),
  saiMmdit('sd3-medium-sai', 'sd3-medium-mmdit', 'SD3 Medium MMDiT', SD3M),
  saiMmdit('sd35-medium-sai', 'sd35-medium-mmdit', 'SD3.5 Medium MMDiT-X', SD35M),
  saiMmdit('sd35-large-sai', 'sd35-large-mmdit', 'SD3.5 Large MMDiT', SD35L),
  diffusersMmdit('sd3-medium-diffusers', 'sd3-medium-mmdit', 'SD3 Medium MMDiT', SD3M),
  diffusersMmdit('sd35-medium-diffusers', 'sd35-medium-mmdit', 'SD3.5 Medium MMDiT-X', SD35M),
  diffusersMmdit('sd35-large-diffusers', 'sd35-large-mmdit', 'SD3.5 Large MMDiT', SD35L),
  bflFlux('flux-dev-bfl', 'flux-dev', 'FLUX.1 dev transformer', true),
  bflFlux('flux-schnell-bfl', 'flux-schnell', 'FLUX.1 schnell transformer', false),
  diffusersFlux('flux-dev-diffusers', 'flux-dev', 'FLUX.1 dev transformer', true),
  diffusersFlux('flux-schnell-diffusers', 'flux-schnell', 'FLUX.1 schnell transformer', false),
  {
    id: 'pixart-original',
    arch: 'pixart',
    role: 'denoiser',
    name: 'PixArt transformer (XL/2)',
    naming: 'pixart',
    prefixes: [''],
    keys: {
      'x_embedder.proj.weight': [1152, 4, 2, 2],
      't_embedder.mlp.0.weight': [1152, 256],
      't_block.1.weight': [6912, 1152],
      'y_embedder.y_proj.fc1.weight': [1152, 4096],
      'blocks.0.attn.qkv.weight': [3456, 1152],
      'blocks.0.cross_attn.kv_linear.weight': [2304, 1152],
      'final_layer.linear.weight': [32, 1152],
    },
    blocks: { 'blocks.': 28 },
  },
  {
    id: 'pixart-diffusers',
    arch: 'pixart',
    role: 'denoiser',
    name: 'PixArt transformer (XL/2)',
    naming: 'diffusers',
    prefixes: [''],
    keys: {
      'pos_embed.proj.weight': [1152, 4, 2, 2],
      'adaln_single.emb.timestep_embedder.linear_1.weight': [1152, 256],
      'adaln_single.linear.weight': [6912, 1152],
      'caption_projection.linear_1.weight': [1152, 4096],
      'transformer_blocks.0.attn1.to_q.weight': [1152, 1152],
      'transformer_blocks.0.attn2.to_k.weight': [1152, 1152],
      'proj_out.weight': [32, 1152],
    },
    blocks: { 'transformer_blocks.': 28 },
  },
  ldmControlNet('sd1-controlnet-ldm', 'sd1-controlnet', 'ControlNet (SD 1.x)', SD1, 12),
  ldmControlNet('sd2-controlnet-ldm', 'sd2-controlnet', 'ControlNet (SD 2.x)', SD2, 12),
  ldmControlNet('sdxl-controlnet-ldm', 'sdxl-controlnet', 'ControlNet (SDXL)', SDXL, 9),
  diffusersControlNet('sd1-controlnet-diffusers', 'sd1-controlnet', 'ControlNet (SD 1.x)', SD1, 4),
  diffusersControlNet('sd2-controlnet-diffusers', 'sd2-controlnet', 'ControlNet (SD 2.x)', SD2, 4),
  diffusersControlNet('sdxl-controlnet-diffusers', 'sdxl-controlnet', 'ControlNet (SDXL)', SDXL, 3),
  vae('sd-vae-ldm', 'sd-vae', 'ldm', 4),
  vae('sd-vae-diffusers', 'sd-vae', 'diffusers', 4),
  vae('vae16-ldm', 'vae16', 'ldm', 16),
  vae('vae16-diffusers', 'vae16', 'diffusers', 16),
  hfClip('clip-l-hf', 'clip-l', 'CLIP ViT-L/14 text', 768, 12, [
    'cond_stage_model.transformer.',
    'conditioner.embedders.0.transformer.',
    'text_encoders.clip_l.transformer.',
    'text_encoders.clip_l.',
    '',
  ]),
  hfClip('openclip-h-hf', 'openclip-h', 'OpenCLIP ViT-H/14 text (23 layers)', 1024, 23, ['']),
  openClip('openclip-h-openclip', 'openclip-h', 'OpenCLIP ViT-H/14 text', 1024, 24, ['cond_stage_model.model.']),
  hfClip('openclip-bigg-hf', 'openclip-bigg', 'OpenCLIP ViT-bigG/14 text', 1280, 32, [
    'text_encoders.clip_g.transformer.',
    'text_encoders.clip_g.',
    '',
  ]),
  openClip('openclip-bigg-openclip', 'openclip-bigg', 'OpenCLIP ViT-bigG/14 text', 1280, 32, [
    'conditioner.embedders.1.model.',
    'conditioner.embedders.0.model.',
  ]),
  {
    id: 't5xxl-hf',
    arch: 't5xxl',
    role: 'text-encoder',
    name: 'T5 v1.1 XXL encoder',
    naming: 'hf',
    prefixes: ['text_encoders.t5xxl.transformer.', 'text_encoders.t5xxl.', ''],
    keys: {
      'encoder.block.0.layer.0.SelfAttention.q.weight': [4096, 4096],
      'encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight': [32, 64],
      'encoder.block.0.layer.1.DenseReluDense.wi_0.weight': [10240, 4096],
      'encoder.final_layer_norm.weight': [4096],
    },
    blocks: { 'encoder.block.': 24 },
  },
];

/**
 * Tensors of the LDM single-file format that belong to no component: the training scheduler's
 * buffers (ldm/models/diffusion/ddpm.py register_schedule), EMA bookkeeping, CLIP's position ids.
 */
export const KNOWN_EXTRAS: readonly RegExp[] = [
  /^(betas|alphas_cumprod|alphas_cumprod_prev|sqrt_alphas_cumprod|sqrt_one_minus_alphas_cumprod|log_one_minus_alphas_cumprod|sqrt_recip_alphas_cumprod|sqrt_recipm1_alphas_cumprod|posterior_variance|posterior_log_variance_clipped|posterior_mean_coef1|posterior_mean_coef2|logvar|model_ema\.decay|model_ema\.num_updates)$/,
  /(^|\.)position_ids$/,
  /^cond_stage_model\.(model\.)?logit_scale$/,
  /^(conditioner\.embedders\.\d\.model\.)logit_scale$/,
];

/** EMA copies of the weights (LDM `model_ema.*`: the UNet's names with the dots removed). */
export const EMA_PREFIX = 'model_ema.';

/** LoRA: tensor-name markers and, for kohya's names, the family by the cross-attention context width. */
export const LORA = {
  markers: /\.(lora_down|lora_up|lora_A|lora_B|lora\.down|lora\.up|hada_w1_a|lokr_w1)(\.weight)?$|\.alpha$/,
  /**
   * The down projection of a cross-attention key has the context width as its input: kohya's
   * `…attn2_to_k.lora_down.weight`, diffusers/PEFT's `…attn2.to_k.lora_A.weight` (or `.lora.down`).
   */
  contextKey: /^lora_unet_.*attn2_to_k\.lora_down\.weight$|attn2\.to_k\.(lora_A|lora\.down)\.weight$/,
  byContext: { 768: 'sd1-unet', 1024: 'sd2-unet', 2048: 'sdxl-unet', 1280: 'sdxl-refiner-unet' } as Readonly<
    Record<number, LayoutArch>
  >,
  /** kohya names of the transformer families (no cross-attention key to measure). */
  byName: [
    { pattern: /^lora_unet_(double|single)_blocks_/, family: 'FLUX.1', arch: null },
    { pattern: /^(transformer\.)?(single_)?transformer_blocks\.\d+\.(attn\.to_q|proj_mlp)/, family: 'FLUX.1 or SD3 (diffusers names)', arch: null },
    { pattern: /^lora_unet_joint_blocks_/, family: 'SD3', arch: null },
  ] as const,
  /** Text-encoder-only LoRAs: the CLIP width of lora_te_'s first query. */
  teKey: /^lora_te1?_text_model_encoder_layers_0_self_attn_q_proj\.lora_down\.weight$/,
  teByWidth: { 768: 'sd1-unet', 1024: 'sd2-unet' } as Readonly<Record<number, LayoutArch>>,
  /** kohya's training metadata (ss_base_model_version) values, as the trainer writes them. */
  metadataBase: [
    { pattern: /^sdxl/, arch: 'sdxl-unet' },
    { pattern: /^sd_v2/, arch: 'sd2-unet' },
    { pattern: /^sd_v1/, arch: 'sd1-unet' },
  ] as const,
};
