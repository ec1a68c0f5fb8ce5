/**
 * Model domain model: a pipeline is a set of components, each described by its published
 * architecture config. The analyzer (src/cost/analyze) reads only these structural fields; nothing
 * downstream branches on a model id.
 */

/** Weight storage formats. Compute runs in 16-bit for every quantized format (weight-only quantization). */
export type Precision =
  | 'fp32'
  | 'fp16'
  | 'bf16'
  | 'fp8'
  | 'int8'
  | 'q8_0'
  | 'nf4'
  | 'int4'
  | 'q4_0'
  | 'q4_1'
  | 'q4_k'
  | 'q2_k';

export type Role = 'denoiser' | 'text-encoder' | 'vae' | 'controlnet';

/** diffusers UNet2DConditionModel (SD 1.x/2.x, SDXL). */
export interface UNetArch {
  kind: 'unet';
  inChannels: number;
  outChannels: number;
  /** Channels per resolution level, e.g. [320, 640, 1280, 1280]. */
  blockOut: number[];
  layersPerBlock: number;
  /** Per level: does the down block carry cross-attention transformers? Up blocks mirror it. */
  crossAttention: boolean[];
  /** Transformer depth per level (BasicTransformerBlocks per Transformer2D). */
  transformerDepth: number[];
  midTransformerDepth: number;
  /** Per level: attention heads (head dim = channels / heads). */
  heads: number[];
  crossAttentionDim: number;
  /** Micro-conditioning embedding (SDXL "text_time"): input width of the projection; null if absent. */
  additionEmbedInput: number | null;
  normGroups: number;
  /** Mid block with attention (all SD UNets have one). */
  midAttention: boolean;
}

/** ControlNet built from a UNet's encoder half (diffusers `ControlNetModel.from_unet`). */
export interface ControlNetArch {
  kind: 'controlnet';
  unet: UNetArch;
  /** Conditioning-image embedding channels: 3 → … → blockOut[0]. */
  condEmbedChannels: number[];
  hintChannels: number;
}

/** SD3-family MMDiT (joint attention over [image; text], separate weights per stream). */
export interface MMDiTArch {
  kind: 'mmdit';
  patchSize: number;
  inChannels: number;
  outChannels: number;
  depth: number;
  heads: number;
  headDim: number;
  jointAttentionDim: number;
  pooledProjectionDim: number;
  mlpRatio: number;
  qkNorm: boolean;
  /** Layers (from 0) that carry an extra image-only self-attention (MMDiT-X). */
  dualAttentionLayers: number;
  /** Fixed sin-cos position table side (persistent buffer, not a parameter). */
  posEmbedMaxSize: number;
}

/** FLUX.1 transformer: double-stream blocks then single-stream blocks, RoPE, 2×2 latent packing. */
export interface FluxArch {
  kind: 'flux';
  /** Latent channels before packing (16); tokens carry channels × patch². */
  latentChannels: number;
  patchSize: number;
  hidden: number;
  heads: number;
  doubleBlocks: number;
  singleBlocks: number;
  mlpRatio: number;
  contextDim: number;
  vecInDim: number;
  guidanceEmbed: boolean;
  timeEmbedDim: number;
}

/** PixArt-style DiT: self-attention on image tokens, cross-attention to text, adaLN-single. */
export interface CrossDiTArch {
  kind: 'cross-dit';
  patchSize: number;
  inChannels: number;
  outChannels: number;
  depth: number;
  heads: number;
  headDim: number;
  captionChannels: number;
  mlpRatio: number;
  timeEmbedDim: number;
}

/** CLIP text transformer (optionally with the projection head). */
export interface ClipTextArch {
  kind: 'clip-text';
  vocab: number;
  maxTokens: number;
  width: number;
  layers: number;
  heads: number;
  ffn: number;
  /** Projection width (CLIPTextModelWithProjection); 0 if none. */
  projection: number;
  /**
   * The MLP's activation (transformers' `hidden_act`): OpenAI's CLIP ViT-L uses `quick_gelu`
   * (x·σ(1.702x)), OpenCLIP's ViT-H and ViT-bigG exact (erf) `gelu`. Absent: quick_gelu.
   */
  activation?: 'quick_gelu' | 'gelu';
}

/** T5 v1.1 encoder stack (gated-GELU FFN, RMSNorm, relative position buckets). */
export interface T5EncoderArch {
  kind: 't5-encoder';
  vocab: number;
  /** Tokens the pipeline feeds (max_sequence_length). */
  maxTokens: number;
  dModel: number;
  layers: number;
  heads: number;
  dKv: number;
  ffn: number;
  relativeBuckets: number;
}

/** AutoencoderKL (SD/SDXL 4-channel and SD3/FLUX 16-channel). */
export interface AutoencoderArch {
  kind: 'autoencoder-kl';
  blockOut: number[];
  layersPerBlock: number;
  latentChannels: number;
  imageChannels: number;
  normGroups: number;
  quantConv: boolean;
  midAttention: boolean;
}

export type Architecture =
  | UNetArch
  | ControlNetArch
  | MMDiTArch
  | FluxArch
  | CrossDiTArch
  | ClipTextArch
  | T5EncoderArch
  | AutoencoderArch;

export type DenoiserArch = UNetArch | MMDiTArch | FluxArch | CrossDiTArch;

export interface Published {
  /** Parameter count as published or as obtained by instantiating the reference implementation. */
  parameters: number;
  source: string;
}

export interface Component<A extends Architecture = Architecture> {
  role: Role;
  name: string;
  arch: A;
  published: Published;
  /** Extra persistent buffers stored with the weights (SD3 position table), in elements. */
  buffers?: number;
  /**
   * A format the reference pipelines force for this component whatever the model's default: SDXL's
   * VAE overflows in fp16, so diffusers decodes it in fp32 (`force_upcast`) and A1111 users run
   * `--no-half-vae`. Only in place of fp16: a bf16 pipeline decodes in bf16 (diffusers upcasts when
   * `vae.dtype == torch.float16`). An explicit per-component precision still wins.
   */
  forcedPrecision?: Precision;
}

/** How a sampler step uses the denoiser. */
export type Guidance =
  | { kind: 'cfg'; scale: number } // two passes (uncond + cond) per step
  | { kind: 'distilled'; scale: number } // guidance value enters as an embedding: one pass
  | { kind: 'none' }; // turbo / schnell: one pass, no guidance

export interface ModelDefaults {
  width: number;
  height: number;
  steps: number;
  guidance: Guidance;
  precision: Precision;
  /** Precisions the model is commonly run in. */
  precisions: Precision[];
}

export interface ModelEntry {
  id: string;
  name: string;
  aliases: string[];
  source: string;
  denoiser: Component<DenoiserArch>;
  textEncoders: Component<ClipTextArch | T5EncoderArch>[];
  vae: Component<AutoencoderArch>;
  /** Optional add-ons that run beside the denoiser when asked for (ControlNet). */
  addons: Component<ControlNetArch>[];
  defaults: ModelDefaults;
  /** Multiple the image side must be of (VAE downscale × denoiser patch). Derived on load. */
  notes?: string;
}
