/** Tiny configurations with the same layer kinds as the catalog's (few channels), shared by the bench tests. */
import type {
  AutoencoderArch,
  ClipTextArch,
  CrossDiTArch,
  FluxArch,
  MMDiTArch,
  UNetArch,
} from '../../src/catalog/models.types.ts';

export const tinyUNet: UNetArch = {
  kind: 'unet',
  inChannels: 4,
  outChannels: 4,
  blockOut: [32, 64, 64],
  layersPerBlock: 1,
  crossAttention: [true, true, false],
  transformerDepth: [1, 2, 0],
  midTransformerDepth: 1,
  heads: [2, 4, 4],
  crossAttentionDim: 24,
  additionEmbedInput: null,
  normGroups: 8,
  midAttention: true,
};

/** SDXL-style: micro-conditioning (pooled text + 6 time ids) and no attention at the first level. */
export const tinyUNetXL: UNetArch = {
  ...tinyUNet,
  blockOut: [16, 32],
  crossAttention: [false, true],
  transformerDepth: [0, 2],
  heads: [2, 2],
  additionEmbedInput: 1280 + 6 * 256,
  midTransformerDepth: 2,
};

export const tinyVae: AutoencoderArch = {
  kind: 'autoencoder-kl',
  blockOut: [16, 32, 32],
  layersPerBlock: 1,
  latentChannels: 4,
  imageChannels: 3,
  normGroups: 8,
  quantConv: true,
  midAttention: true,
};

export const tinyClip: ClipTextArch = {
  kind: 'clip-text',
  vocab: 100,
  maxTokens: 8,
  width: 32,
  layers: 2,
  heads: 4,
  ffn: 64,
  projection: 0,
};
export const tinyClipProjected: ClipTextArch = { ...tinyClip, projection: 16 };

/** PixArt-style: patch 2, learned-sigma output (2 × input channels), captions wider than the model. */
export const tinyCrossDiT: CrossDiTArch = {
  kind: 'cross-dit',
  patchSize: 2,
  inChannels: 4,
  outChannels: 8,
  depth: 2,
  heads: 2,
  headDim: 8,
  captionChannels: 24,
  mlpRatio: 4,
  timeEmbedDim: 32,
};

/** SD3-style MMDiT (no qk-norm, no extra attention) and an SD3.5-style one (RMS qk-norm, one MMDiT-X block). */
export const tinyMMDiT: MMDiTArch = {
  kind: 'mmdit',
  patchSize: 2,
  inChannels: 4,
  outChannels: 4,
  depth: 3,
  heads: 2,
  headDim: 8,
  jointAttentionDim: 12,
  pooledProjectionDim: 10,
  mlpRatio: 4,
  qkNorm: false,
  dualAttentionLayers: 0,
  posEmbedMaxSize: 16,
};
export const tinyMMDiTX: MMDiTArch = { ...tinyMMDiT, qkNorm: true, dualAttentionLayers: 2 };

/** FLUX-style: 2 double-stream then 2 single-stream blocks, head width 16 (RoPE split 4 + 6 + 6), with and without guidance. */
export const tinyFlux: FluxArch = {
  kind: 'flux',
  latentChannels: 4,
  patchSize: 2,
  hidden: 32,
  heads: 2,
  doubleBlocks: 2,
  singleBlocks: 2,
  mlpRatio: 4,
  contextDim: 12,
  vecInDim: 10,
  guidanceEmbed: true,
  timeEmbedDim: 32,
};
export const tinyFluxSchnell: FluxArch = { ...tinyFlux, guidanceEmbed: false };
