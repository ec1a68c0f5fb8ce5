/**
 * The pipelines genready builds from a checkpoint, one per catalog family, as data: which
 * architecture each part has (the catalog's, the one the cost model counts), where each part sits
 * in an LDM single file and in a diffusers folder, how each text encoder is tokenized and which of
 * its layers conditions the UNet, and the family's noise schedule and latent scale.
 *
 * SD 1.x, SD 2.x and SDXL base are here; other families (SDXL refiner, SD3, FLUX, PixArt) have no
 * row and are refused by name.
 */

import { resolveModel } from '../catalog/models.ts';
import type { AutoencoderArch, ClipTextArch, UNetArch } from '../catalog/models.types.ts';
import type { ClipPad } from './tokenizer.ts';

export interface TextEncoderPart {
  arch: ClipTextArch;
  /** Prefix in an LDM single file, and whether the names under it are transformers' or OpenCLIP's. */
  ldm: { prefix: string; naming: 'hf' | 'openclip' };
  /** Sub-folder in a diffusers folder (its tokenizer sits in `tokenizer` / `tokenizer_2`). */
  folder: 'text_encoder' | 'text_encoder_2';
  /** Padding token of the family's tokenizer (CLIP ViT-L: the end token; OpenCLIP: "!" = id 0). */
  pad: ClipPad;
  /**
   * `last`: the final layer after its LayerNorm (SD 1.x; SD 2.x, whose catalog encoder already
   * stops one layer early as the LDM FrozenOpenCLIPEmbedder's "penultimate" does, then normalises);
   * `penultimate`: the second-to-last layer's output without the final LayerNorm (SDXL, both
   * encoders: sgm's FrozenCLIPEmbedder layer "hidden" 11 and FrozenOpenCLIPEmbedder2 "penultimate";
   * diffusers' `hidden_states[-2]`).
   */
  hidden: 'last' | 'penultimate';
}

export interface CheckpointPipeline {
  /** Catalog model id (what inspect names the family). */
  model: string;
  unet: UNetArch;
  vae: AutoencoderArch;
  text: TextEncoderPart[];
  /** diffusers' scheduler_config.json of the family's reference pipeline. */
  scheduler: Record<string, unknown>;
  /** Latents × this after encoding; the decoder gets latents / this (diffusers vae/config.json scaling_factor). */
  scalingFactor: number;
}

/** runwayml/stable-diffusion-v1-5 scheduler/scheduler_config.json (PNDMScheduler). */
export const SD15_SCHEDULER = {
  _class_name: 'PNDMScheduler',
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  clip_sample: false,
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
};

/**
 * stabilityai/stable-diffusion-2-1 scheduler/scheduler_config.json (DDIMScheduler, v-prediction:
 * the 768 model the catalog's sd21 is). A file that says otherwise (modelspec, kohya's
 * ss_v_parameterization) gets its own prediction type; 2.x-base files say nothing and need a
 * diffusers folder or that metadata to run as epsilon models.
 */
const SD21_SCHEDULER = {
  ...SD15_SCHEDULER,
  _class_name: 'DDIMScheduler',
  prediction_type: 'v_prediction',
};

/** stabilityai/stable-diffusion-xl-base-1.0 scheduler/scheduler_config.json (EulerDiscreteScheduler). */
const SDXL_SCHEDULER = {
  _class_name: 'EulerDiscreteScheduler',
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  steps_offset: 1,
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
};

function arch<T>(model: string, part: 'denoiser' | 'vae' | number): T {
  const m = resolveModel(model);
  const c = part === 'denoiser' ? m.denoiser : part === 'vae' ? m.vae : m.textEncoders[part]!;
  return c.arch as T;
}

/** Built on first use (the catalog is data; resolving it is cheap but not free). */
export function checkpointPipelines(): Record<string, CheckpointPipeline> {
  return {
    sd15: {
      model: 'sd15',
      unet: arch('sd15', 'denoiser'),
      vae: arch('sd15', 'vae'),
      text: [
        {
          arch: arch('sd15', 0),
          ldm: { prefix: 'cond_stage_model.transformer.', naming: 'hf' },
          folder: 'text_encoder',
          pad: 'end',
          hidden: 'last',
        },
      ],
      scheduler: SD15_SCHEDULER,
      scalingFactor: 0.18215,
    },
    sd21: {
      model: 'sd21',
      unet: arch('sd21', 'denoiser'),
      vae: arch('sd21', 'vae'),
      text: [
        {
          arch: arch('sd21', 0),
          ldm: { prefix: 'cond_stage_model.model.', naming: 'openclip' },
          folder: 'text_encoder',
          pad: 'zero',
          hidden: 'last',
        },
      ],
      scheduler: SD21_SCHEDULER,
      scalingFactor: 0.18215,
    },
    sdxl: {
      model: 'sdxl',
      unet: arch('sdxl', 'denoiser'),
      vae: arch('sdxl', 'vae'),
      text: [
        {
          arch: arch('sdxl', 0),
          ldm: { prefix: 'conditioner.embedders.0.transformer.', naming: 'hf' },
          folder: 'text_encoder',
          pad: 'end',
          hidden: 'penultimate',
        },
        {
          arch: arch('sdxl', 1),
          ldm: { prefix: 'conditioner.embedders.1.model.', naming: 'openclip' },
          folder: 'text_encoder_2',
          pad: 'zero',
          hidden: 'penultimate',
        },
      ],
      scheduler: SDXL_SCHEDULER,
      // stabilityai/stable-diffusion-xl-base-1.0 vae/config.json.
      scalingFactor: 0.13025,
    },
  };
}

/** The families `run` builds from a checkpoint, for messages. */
export const SUPPORTED_FAMILIES = 'SD 1.x (sd15), SD 2.x (sd21) and SDXL base (sdxl)';
