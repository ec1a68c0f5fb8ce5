/**
 * Shared pipeline components: text encoders and autoencoders, from their published configs.
 * Parameter figures: closed form / instantiation as collected in shared/reference/architectures.md §1.2, §2.
 */
import type { AutoencoderArch, ClipTextArch, Component, T5EncoderArch } from '../../src/catalog/models.types.ts';

const OPENCLIP_CONFIGS = 'github mlfoundations/open_clip src/open_clip/model_configs/';

export const clipL: Component<ClipTextArch> = {
  role: 'text-encoder',
  name: 'CLIP ViT-L/14 text',
  arch: {
    kind: 'clip-text',
    vocab: 49408,
    maxTokens: 77,
    width: 768,
    layers: 12,
    heads: 12,
    ffn: 3072,
    projection: 0,
    // openai/clip-vit-large-patch14 config.json: "hidden_act": "quick_gelu".
    activation: 'quick_gelu',
  },
  published: {
    parameters: 123_060_480,
    source: `${OPENCLIP_CONFIGS}ViT-L-14.json; 123M text encoder (CompVis/stable-diffusion README)`,
  },
};

/** SD3 feeds CLIP-L through CLIPTextModelWithProjection (adds a 768×768 projection). */
export const clipLWithProjection: Component<ClipTextArch> = {
  ...clipL,
  name: 'CLIP ViT-L/14 text + projection',
  arch: { ...clipL.arch, projection: 768 },
  published: { parameters: 123_650_304, source: `${OPENCLIP_CONFIGS}ViT-L-14.json (+589,824 projection)` },
};

/** SD 2.x keeps 23 of the 24 OpenCLIP-H layers ("penultimate" hidden state). */
export const openClipH: Component<ClipTextArch> = {
  role: 'text-encoder',
  name: 'OpenCLIP ViT-H/14 text (23 layers)',
  arch: {
    kind: 'clip-text',
    vocab: 49408,
    maxTokens: 77,
    width: 1024,
    layers: 23,
    heads: 16,
    ffn: 4096,
    projection: 0,
    // OpenCLIP configs without "quick_gelu": nn.GELU; stabilityai/stable-diffusion-2-1 text_encoder/config.json "hidden_act": "gelu".
    activation: 'gelu',
  },
  published: {
    parameters: 340_387_840,
    source: `${OPENCLIP_CONFIGS}ViT-H-14.json; HF stabilityai/stable-diffusion-2-1-base text_encoder 1.36 GB fp32`,
  },
};

export const openClipBigG: Component<ClipTextArch> = {
  role: 'text-encoder',
  name: 'OpenCLIP ViT-bigG/14 text + projection',
  arch: {
    kind: 'clip-text',
    vocab: 49408,
    maxTokens: 77,
    width: 1280,
    layers: 32,
    heads: 20,
    ffn: 5120,
    projection: 1280,
    // stabilityai/stable-diffusion-xl-base-1.0 text_encoder_2/config.json: "hidden_act": "gelu".
    activation: 'gelu',
  },
  published: {
    parameters: 694_659_840,
    source: `${OPENCLIP_CONFIGS}ViT-bigG-14.json; HF SDXL text_encoder_2 model.fp16.safetensors 1.39 GB`,
  },
};

/** T5 v1.1 XXL encoder; the token count is what each pipeline feeds (max_sequence_length). */
export function t5xxl(maxTokens: number): Component<T5EncoderArch> {
  return {
    role: 'text-encoder',
    name: `T5 v1.1 XXL encoder (${maxTokens} tokens)`,
    arch: {
      kind: 't5-encoder',
      vocab: 32128,
      maxTokens,
      dModel: 4096,
      layers: 24,
      heads: 64,
      dKv: 64,
      ffn: 10240,
      relativeBuckets: 32,
    },
    published: {
      parameters: 4_762_310_656,
      source: 'HF google/t5-v1_1-xxl config.json; diffusers text_encoder_3 shards 4.99+4.53 GB fp16',
    },
  };
}

const sdVaeArch: AutoencoderArch = {
  kind: 'autoencoder-kl',
  blockOut: [128, 256, 512, 512],
  layersPerBlock: 2,
  latentChannels: 4,
  imageChannels: 3,
  normGroups: 32,
  quantConv: true,
  midAttention: true,
};

export const sdVae: Component<AutoencoderArch> = {
  role: 'vae',
  name: 'AutoencoderKL 4-ch (SD/SDXL)',
  arch: sdVaeArch,
  published: {
    parameters: 83_653_863,
    source:
      'CompVis/stable-diffusion v1-inference.yaml first_stage_config; diffusers AutoencoderKL instantiation (vae 167 MB fp16)',
  },
};

/** The same VAE as SDXL's pipelines run it: decoded in fp32 in place of fp16 (its fp16 activations overflow). */
export const sdxlVae: Component<AutoencoderArch> = {
  ...sdVae,
  name: 'AutoencoderKL 4-ch (SDXL, fp32 decode)',
  forcedPrecision: 'fp32',
  published: {
    ...sdVae.published,
    source: `${sdVae.published.source}; SDXL vae/config.json force_upcast true — diffusers' StableDiffusionXLPipeline upcasts the VAE to float32 before decoding when it is float16 (needs_upcasting = vae.dtype == torch.float16 and force_upcast)`,
  },
};

export const vae16: Component<AutoencoderArch> = {
  role: 'vae',
  name: 'AutoencoderKL 16-ch (SD3/FLUX)',
  arch: { ...sdVaeArch, latentChannels: 16, quantConv: false },
  published: {
    parameters: 83_819_683,
    source: 'black-forest-labs/flux src/flux/util.py AE params (z_channels 16); SD3 vae config (use_quant_conv false)',
  },
};
