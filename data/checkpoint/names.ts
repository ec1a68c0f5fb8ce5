/**
 * Tensor-name maps, format version 1: each row names one weight of the architecture description's
 * graph (src/bench/graph, scope paths such as `down1.attn0.block0.attn2.to_k`) in the diffusers
 * naming and in the original LDM single-file naming, with its kind (how the tensor's layout differs
 * between the graph and PyTorch). `{d}` stands for a transformer block, `{i}` for a CLIP layer.
 * src/checkpoint/names.ts walks an architecture and expands these rows at the right indices.
 *
 * Sources: diffusers scripts/convert_original_stable_diffusion_to_diffusers.py and
 * src/diffusers/loaders/single_file_utils.py (convert_ldm_unet_checkpoint, convert_ldm_vae_checkpoint:
 * the resnet, attention and block-index renames); ldm/modules/diffusionmodules/openaimodel.py and
 * model.py for the LDM names; transformers CLIPTextModel for the text encoder.
 */

export const NAME_MAPS_VERSION = 1;

/**
 * How a tensor is laid out in the graph relative to PyTorch:
 * linear: graph [in, out] = torch [out, in]ᵀ; conv: same [out, in, k, k]; groupnorm: graph [c, 1, 1]
 * = torch [c]; vector, embedding: same; conv1x1-linear: torch [out, in, 1, 1] (a 1×1 conv in the
 * checkpoint) = graph [in, out] after squeeze and transpose; in-out: a matrix PyTorch already holds
 * as [in, out] (OpenCLIP's text_projection, used as x @ P).
 */
export type TensorKind = 'linear' | 'conv' | 'groupnorm' | 'vector' | 'embedding' | 'conv1x1-linear' | 'in-out';

/** [graph part, diffusers part, LDM part, kind of the weight]; biases are vectors named alike. */
export type PartRow = readonly [graph: string, diffusers: string, ldm: string, kind: TensorKind, bias: boolean];

/** UNet ResnetBlock2D (diffusers) / ResBlock (LDM openaimodel). conv_shortcut only when channels change. */
export const UNET_RESNET: readonly PartRow[] = [
  ['norm1', 'norm1', 'in_layers.0', 'groupnorm', true],
  ['conv1', 'conv1', 'in_layers.2', 'conv', true],
  ['time_emb_proj', 'time_emb_proj', 'emb_layers.1', 'linear', true],
  ['norm2', 'norm2', 'out_layers.0', 'groupnorm', true],
  ['conv2', 'conv2', 'out_layers.3', 'conv', true],
];
export const UNET_RESNET_SHORTCUT: PartRow = ['conv_shortcut', 'conv_shortcut', 'skip_connection', 'conv', true];

/** Transformer2DModel / SpatialTransformer outer parts; proj_in/out are 1×1 convs in SD 1.x. */
export const TRANSFORMER_OUTER: readonly PartRow[] = [
  ['norm', 'norm', 'norm', 'groupnorm', true],
  ['proj_in', 'proj_in', 'proj_in', 'linear', true],
  ['proj_out', 'proj_out', 'proj_out', 'linear', true],
];

/** BasicTransformerBlock parts, per block {d}. */
export const TRANSFORMER_BLOCK: readonly PartRow[] = [
  ['block{d}.norm1', 'transformer_blocks.{d}.norm1', 'transformer_blocks.{d}.norm1', 'vector', true],
  ['block{d}.attn1.to_q', 'transformer_blocks.{d}.attn1.to_q', 'transformer_blocks.{d}.attn1.to_q', 'linear', false],
  ['block{d}.attn1.to_k', 'transformer_blocks.{d}.attn1.to_k', 'transformer_blocks.{d}.attn1.to_k', 'linear', false],
  ['block{d}.attn1.to_v', 'transformer_blocks.{d}.attn1.to_v', 'transformer_blocks.{d}.attn1.to_v', 'linear', false],
  [
    'block{d}.attn1.to_out',
    'transformer_blocks.{d}.attn1.to_out.0',
    'transformer_blocks.{d}.attn1.to_out.0',
    'linear',
    true,
  ],
  ['block{d}.norm2', 'transformer_blocks.{d}.norm2', 'transformer_blocks.{d}.norm2', 'vector', true],
  ['block{d}.attn2.to_q', 'transformer_blocks.{d}.attn2.to_q', 'transformer_blocks.{d}.attn2.to_q', 'linear', false],
  ['block{d}.attn2.to_k', 'transformer_blocks.{d}.attn2.to_k', 'transformer_blocks.{d}.attn2.to_k', 'linear', false],
  ['block{d}.attn2.to_v', 'transformer_blocks.{d}.attn2.to_v', 'transformer_blocks.{d}.attn2.to_v', 'linear', false],
  [
    'block{d}.attn2.to_out',
    'transformer_blocks.{d}.attn2.to_out.0',
    'transformer_blocks.{d}.attn2.to_out.0',
    'linear',
    true,
  ],
  ['block{d}.norm3', 'transformer_blocks.{d}.norm3', 'transformer_blocks.{d}.norm3', 'vector', true],
  ['block{d}.ff.proj', 'transformer_blocks.{d}.ff.net.0.proj', 'transformer_blocks.{d}.ff.net.0.proj', 'linear', true],
  ['block{d}.ff.out', 'transformer_blocks.{d}.ff.net.2', 'transformer_blocks.{d}.ff.net.2', 'linear', true],
];

/** UNet top-level parts. */
export const UNET_TOP = {
  timeEmbedding: [
    ['time_embedding.linear_1', 'time_embedding.linear_1', 'time_embed.0', 'linear', true],
    ['time_embedding.linear_2', 'time_embedding.linear_2', 'time_embed.2', 'linear', true],
  ],
  addEmbedding: [
    ['add_embedding.linear_1', 'add_embedding.linear_1', 'label_emb.0.0', 'linear', true],
    ['add_embedding.linear_2', 'add_embedding.linear_2', 'label_emb.0.2', 'linear', true],
  ],
  convIn: ['conv_in', 'conv_in', 'input_blocks.0.0', 'conv', true],
  normOut: ['norm_out', 'conv_norm_out', 'out.0', 'groupnorm', true],
  convOut: ['conv_out', 'conv_out', 'out.2', 'conv', true],
} as const satisfies Record<string, PartRow | readonly PartRow[]>;

/** Block containers: graph scope, diffusers module, LDM module (index arithmetic in src/checkpoint/names.ts). */
export const UNET_BLOCKS = {
  downResnet: ['down{level}.res{j}', 'down_blocks.{level}.resnets.{j}', 'input_blocks.{n}.0'],
  downAttention: ['down{level}.attn{j}', 'down_blocks.{level}.attentions.{j}', 'input_blocks.{n}.1'],
  downsample: ['down{level}.downsample', 'down_blocks.{level}.downsamplers.0.conv', 'input_blocks.{n}.0.op'],
  midResnet: ['mid.res{j}', 'mid_block.resnets.{j}', 'middle_block.{m}'],
  midAttention: ['mid.attn', 'mid_block.attentions.0', 'middle_block.1'],
  upResnet: ['up{i}.res{j}', 'up_blocks.{i}.resnets.{j}', 'output_blocks.{n}.0'],
  upAttention: ['up{i}.attn{j}', 'up_blocks.{i}.attentions.{j}', 'output_blocks.{n}.1'],
  upsample: ['up{i}.upsample.conv', 'up_blocks.{i}.upsamplers.0.conv', 'output_blocks.{n}.{k}.conv'],
} as const;

/** AutoencoderKL decoder ResnetBlock2D (diffusers) / ResnetBlock (LDM model.py). */
export const VAE_RESNET: readonly PartRow[] = [
  ['norm1', 'norm1', 'norm1', 'groupnorm', true],
  ['conv1', 'conv1', 'conv1', 'conv', true],
  ['norm2', 'norm2', 'norm2', 'groupnorm', true],
  ['conv2', 'conv2', 'conv2', 'conv', true],
];
export const VAE_RESNET_SHORTCUT: PartRow = ['conv_shortcut', 'conv_shortcut', 'nin_shortcut', 'conv', true];

/** The decoder's single-head mid attention: linear in diffusers, 1×1 convs in LDM files. */
export const VAE_MID_ATTENTION: readonly (readonly [string, string, string, TensorKind, TensorKind])[] = [
  ['mid.attn.norm', 'decoder.mid_block.attentions.0.group_norm', 'decoder.mid.attn_1.norm', 'groupnorm', 'groupnorm'],
  ['mid.attn.to_q', 'decoder.mid_block.attentions.0.to_q', 'decoder.mid.attn_1.q', 'linear', 'conv1x1-linear'],
  ['mid.attn.to_k', 'decoder.mid_block.attentions.0.to_k', 'decoder.mid.attn_1.k', 'linear', 'conv1x1-linear'],
  ['mid.attn.to_v', 'decoder.mid_block.attentions.0.to_v', 'decoder.mid.attn_1.v', 'linear', 'conv1x1-linear'],
  [
    'mid.attn.to_out',
    'decoder.mid_block.attentions.0.to_out.0',
    'decoder.mid.attn_1.proj_out',
    'linear',
    'conv1x1-linear',
  ],
];

export const VAE_BLOCKS = {
  postQuantConv: ['post_quant_conv', 'post_quant_conv', 'post_quant_conv', 'conv', true],
  convIn: ['conv_in', 'decoder.conv_in', 'decoder.conv_in', 'conv', true],
  normOut: ['norm_out', 'decoder.conv_norm_out', 'decoder.norm_out', 'groupnorm', true],
  convOut: ['conv_out', 'decoder.conv_out', 'decoder.conv_out', 'conv', true],
  midResnet: ['mid.res{j}', 'decoder.mid_block.resnets.{j}', 'decoder.mid.block_{j1}'],
  upResnet: ['up{i}.res{j}', 'decoder.up_blocks.{i}.resnets.{j}', 'decoder.up.{r}.block.{j}'],
  upsample: ['up{i}.upsample.conv', 'decoder.up_blocks.{i}.upsamplers.0.conv', 'decoder.up.{r}.upsample.conv'],
} as const;

/** CLIP text transformer: the graph's names and transformers' CLIPTextModel names, which LDM SD 1.x files keep under cond_stage_model.transformer. */
export const CLIP_TOP: readonly PartRow[] = [
  ['embeddings.token_embedding', 'text_model.embeddings.token_embedding', 'text_model.embeddings.token_embedding', 'embedding', false],
  ['embeddings.position_embedding', 'text_model.embeddings.position_embedding', 'text_model.embeddings.position_embedding', 'embedding', false],
  ['final_layer_norm', 'text_model.final_layer_norm', 'text_model.final_layer_norm', 'vector', true],
];
export const CLIP_LAYER: readonly PartRow[] = [
  ['layer{i}.layer_norm1', 'text_model.encoder.layers.{i}.layer_norm1', 'text_model.encoder.layers.{i}.layer_norm1', 'vector', true],
  ['layer{i}.self_attn.to_q', 'text_model.encoder.layers.{i}.self_attn.q_proj', 'text_model.encoder.layers.{i}.self_attn.q_proj', 'linear', true],
  ['layer{i}.self_attn.to_k', 'text_model.encoder.layers.{i}.self_attn.k_proj', 'text_model.encoder.layers.{i}.self_attn.k_proj', 'linear', true],
  ['layer{i}.self_attn.to_v', 'text_model.encoder.layers.{i}.self_attn.v_proj', 'text_model.encoder.layers.{i}.self_attn.v_proj', 'linear', true],
  ['layer{i}.self_attn.to_out', 'text_model.encoder.layers.{i}.self_attn.out_proj', 'text_model.encoder.layers.{i}.self_attn.out_proj', 'linear', true],
  ['layer{i}.layer_norm2', 'text_model.encoder.layers.{i}.layer_norm2', 'text_model.encoder.layers.{i}.layer_norm2', 'vector', true],
  ['layer{i}.mlp.fc1', 'text_model.encoder.layers.{i}.mlp.fc1', 'text_model.encoder.layers.{i}.mlp.fc1', 'linear', true],
  ['layer{i}.mlp.fc2', 'text_model.encoder.layers.{i}.mlp.fc2', 'text_model.encoder.layers.{i}.mlp.fc2', 'linear', true],
];
export const CLIP_PROJECTION: PartRow = ['text_projection', 'text_projection', 'text_projection', 'linear', false];

/**
 * OpenCLIP text tower as the LDM files of SD 2.x (cond_stage_model.model.) and SDXL
 * (conditioner.embedders.N.model.) hold it: q, k and v fused in one in_proj ([3d, d], rows q then k
 * then v, as diffusers' convert_open_clip_checkpoint splits them). [graph part, OpenCLIP part, kind,
 * bias, rows third (0 q, 1 k, 2 v) or null].
 */
export const OPENCLIP_TOP = {
  token: ['embeddings.token_embedding.weight', 'token_embedding.weight'],
  position: ['embeddings.position_embedding.weight', 'positional_embedding'],
  finalNorm: ['final_layer_norm', 'ln_final'],
  projection: ['text_projection.weight', 'text_projection'],
} as const;
export const OPENCLIP_LAYER: readonly (readonly [string, string, TensorKind, number | null])[] = [
  ['layer{i}.layer_norm1', 'transformer.resblocks.{i}.ln_1', 'vector', null],
  ['layer{i}.self_attn.to_q', 'transformer.resblocks.{i}.attn.in_proj', 'linear', 0],
  ['layer{i}.self_attn.to_k', 'transformer.resblocks.{i}.attn.in_proj', 'linear', 1],
  ['layer{i}.self_attn.to_v', 'transformer.resblocks.{i}.attn.in_proj', 'linear', 2],
  ['layer{i}.self_attn.to_out', 'transformer.resblocks.{i}.attn.out_proj', 'linear', null],
  ['layer{i}.layer_norm2', 'transformer.resblocks.{i}.ln_2', 'vector', null],
  ['layer{i}.mlp.fc1', 'transformer.resblocks.{i}.mlp.c_fc', 'linear', null],
  ['layer{i}.mlp.fc2', 'transformer.resblocks.{i}.mlp.c_proj', 'linear', null],
];

/**
 * FLUX.1 transformer: the graph follows Black Forest Labs' module names (src/bench/graph/flux.ts),
 * so the original single-file column is BFL's (github black-forest-labs/flux src/flux/modules/
 * layers.py); diffusers' names from scripts/convert_flux_to_diffusers.py, null where diffusers
 * splits what BFL and the graph fuse (qkv; single blocks' linear1). The RMS norms' parameter is
 * `scale` in BFL files. The final adaLN: BFL's LastLayer chunks (shift, scale), diffusers'
 * AdaLayerNormContinuous and the graph (scale, shift), so BFL's halves are swapped.
 * [graph part, diffusers part | null, BFL part, kind, bias, swap halves in BFL].
 */
export type FluxRow = readonly [
  graph: string,
  diffusers: string | null,
  bfl: string,
  kind: TensorKind,
  bias: boolean,
  swapInBfl: boolean,
];
export const FLUX_EMBEDDERS: readonly FluxRow[] = [
  ['time_in.in_layer', 'time_text_embed.timestep_embedder.linear_1', 'time_in.in_layer', 'linear', true, false],
  ['time_in.out_layer', 'time_text_embed.timestep_embedder.linear_2', 'time_in.out_layer', 'linear', true, false],
  ['vector_in.in_layer', 'time_text_embed.text_embedder.linear_1', 'vector_in.in_layer', 'linear', true, false],
  ['vector_in.out_layer', 'time_text_embed.text_embedder.linear_2', 'vector_in.out_layer', 'linear', true, false],
];
export const FLUX_GUIDANCE: readonly FluxRow[] = [
  ['guidance_in.in_layer', 'time_text_embed.guidance_embedder.linear_1', 'guidance_in.in_layer', 'linear', true, false],
  ['guidance_in.out_layer', 'time_text_embed.guidance_embedder.linear_2', 'guidance_in.out_layer', 'linear', true, false],
];
export const FLUX_INPUTS: readonly FluxRow[] = [
  ['img_in', 'x_embedder', 'img_in', 'linear', true, false],
  ['txt_in', 'context_embedder', 'txt_in', 'linear', true, false],
];
/** Per double block {b}: the graph's order. */
export const FLUX_DOUBLE: readonly FluxRow[] = [
  ['img_mod.lin', 'norm1.linear', 'img_mod.lin', 'linear', true, false],
  ['txt_mod.lin', 'norm1_context.linear', 'txt_mod.lin', 'linear', true, false],
  ['img_attn.qkv', null, 'img_attn.qkv', 'linear', true, false],
  ['img_attn.norm.query_norm', 'attn.norm_q', 'img_attn.norm.query_norm', 'vector', false, false],
  ['img_attn.norm.key_norm', 'attn.norm_k', 'img_attn.norm.key_norm', 'vector', false, false],
  ['txt_attn.qkv', null, 'txt_attn.qkv', 'linear', true, false],
  ['txt_attn.norm.query_norm', 'attn.norm_added_q', 'txt_attn.norm.query_norm', 'vector', false, false],
  ['txt_attn.norm.key_norm', 'attn.norm_added_k', 'txt_attn.norm.key_norm', 'vector', false, false],
  ['img_attn.proj', 'attn.to_out.0', 'img_attn.proj', 'linear', true, false],
  ['img_mlp.0', 'ff.net.0.proj', 'img_mlp.0', 'linear', true, false],
  ['img_mlp.2', 'ff.net.2', 'img_mlp.2', 'linear', true, false],
  ['txt_attn.proj', 'attn.to_add_out', 'txt_attn.proj', 'linear', true, false],
  ['txt_mlp.0', 'ff_context.net.0.proj', 'txt_mlp.0', 'linear', true, false],
  ['txt_mlp.2', 'ff_context.net.2', 'txt_mlp.2', 'linear', true, false],
];
/** Per single block {b}. */
export const FLUX_SINGLE: readonly FluxRow[] = [
  ['modulation.lin', 'norm.linear', 'modulation.lin', 'linear', true, false],
  ['linear1', null, 'linear1', 'linear', true, false],
  ['norm.query_norm', 'attn.norm_q', 'norm.query_norm', 'vector', false, false],
  ['norm.key_norm', 'attn.norm_k', 'norm.key_norm', 'vector', false, false],
  ['linear2', 'proj_out', 'linear2', 'linear', true, false],
];
export const FLUX_FINAL: readonly FluxRow[] = [
  ['final_layer.adaLN_modulation', 'norm_out.linear', 'final_layer.adaLN_modulation.1', 'linear', true, true],
  ['final_layer.linear', 'proj_out', 'final_layer.linear', 'linear', true, false],
];

/**
 * A DiT row: [graph part, diffusers part, original part, kind, bias, rows of a fused original
 * tensor as [part, of parts] or null, halves swapped in the original]. Used by SD3's MMDiT and PixArt.
 */
export type DitRow = readonly [
  graph: string,
  diffusers: string,
  original: string,
  kind: TensorKind,
  bias: boolean,
  fused: readonly [part: number, of: number] | null,
  swapInOriginal: boolean,
];

/**
 * SD3 / SD3.5 MMDiT: graph (src/graph/mmdit.ts) ↔ diffusers SD3Transformer2DModel ↔ Stability AI's
 * single files (github Stability-AI/sd3-ref mmdit.py, under model.diffusion_model.), as diffusers'
 * scripts/convert_sd3_to_diffusers.py and single_file_utils.convert_sd3_transformer_checkpoint_to_diffusers
 * convert them: q, k and v fused in one qkv per stream (row thirds), qk RMS norms `ln_q`/`ln_k`, and
 * the two-way adaLN of the last context block and of the final layer in (shift, scale) order where
 * diffusers and the graph hold (scale, shift) (their swap_scale_shift).
 */
export const MMDIT_TOP: readonly DitRow[] = [
  ['pos_embed.proj', 'pos_embed.proj', 'x_embedder.proj', 'conv', true, null, false],
  [
    'time_text_embed.timestep_embedder.linear_1',
    'time_text_embed.timestep_embedder.linear_1',
    't_embedder.mlp.0',
    'linear',
    true,
    null,
    false,
  ],
  [
    'time_text_embed.timestep_embedder.linear_2',
    'time_text_embed.timestep_embedder.linear_2',
    't_embedder.mlp.2',
    'linear',
    true,
    null,
    false,
  ],
  [
    'time_text_embed.text_embedder.linear_1',
    'time_text_embed.text_embedder.linear_1',
    'y_embedder.mlp.0',
    'linear',
    true,
    null,
    false,
  ],
  [
    'time_text_embed.text_embedder.linear_2',
    'time_text_embed.text_embedder.linear_2',
    'y_embedder.mlp.2',
    'linear',
    true,
    null,
    false,
  ],
  ['context_embedder', 'context_embedder', 'context_embedder', 'linear', true, null, false],
];
/** Per joint block (graph `block{i}`, diffusers `transformer_blocks.{i}`, SAI `joint_blocks.{i}`), in the graph's order. */
export const MMDIT_BLOCK = {
  norm1: ['norm1.linear', 'norm1.linear', 'x_block.adaLN_modulation.1', 'linear', true, null, false],
  norm1Context: [
    'norm1_context.linear',
    'norm1_context.linear',
    'context_block.adaLN_modulation.1',
    'linear',
    true,
    null,
    false,
  ],
  toQ: ['attn.to_q', 'attn.to_q', 'x_block.attn.qkv', 'linear', true, [0, 3], false],
  normQ: ['attn.norm_q', 'attn.norm_q', 'x_block.attn.ln_q', 'vector', false, null, false],
  addQ: ['attn.add_q_proj', 'attn.add_q_proj', 'context_block.attn.qkv', 'linear', true, [0, 3], false],
  normAddedQ: ['attn.norm_added_q', 'attn.norm_added_q', 'context_block.attn.ln_q', 'vector', false, null, false],
  toK: ['attn.to_k', 'attn.to_k', 'x_block.attn.qkv', 'linear', true, [1, 3], false],
  normK: ['attn.norm_k', 'attn.norm_k', 'x_block.attn.ln_k', 'vector', false, null, false],
  addK: ['attn.add_k_proj', 'attn.add_k_proj', 'context_block.attn.qkv', 'linear', true, [1, 3], false],
  normAddedK: ['attn.norm_added_k', 'attn.norm_added_k', 'context_block.attn.ln_k', 'vector', false, null, false],
  toV: ['attn.to_v', 'attn.to_v', 'x_block.attn.qkv', 'linear', true, [2, 3], false],
  addV: ['attn.add_v_proj', 'attn.add_v_proj', 'context_block.attn.qkv', 'linear', true, [2, 3], false],
  toOut: ['attn.to_out', 'attn.to_out.0', 'x_block.attn.proj', 'linear', true, null, false],
  toAddOut: ['attn.to_add_out', 'attn.to_add_out', 'context_block.attn.proj', 'linear', true, null, false],
  /** MMDiT-X's image-only attention (SD3.5 Medium); the graph scopes it `attn2` (`attn2.self` without qk-norm). */
  attn2: [
    ['to_q', 'attn2.to_q', 'x_block.attn2.qkv', 'linear', true, [0, 3], false],
    ['norm_q', 'attn2.norm_q', 'x_block.attn2.ln_q', 'vector', false, null, false],
    ['to_k', 'attn2.to_k', 'x_block.attn2.qkv', 'linear', true, [1, 3], false],
    ['norm_k', 'attn2.norm_k', 'x_block.attn2.ln_k', 'vector', false, null, false],
    ['to_v', 'attn2.to_v', 'x_block.attn2.qkv', 'linear', true, [2, 3], false],
    ['to_out', 'attn2.to_out.0', 'x_block.attn2.proj', 'linear', true, null, false],
  ],
  ffUp: ['ff.up', 'ff.net.0.proj', 'x_block.mlp.fc1', 'linear', true, null, false],
  ffDown: ['ff.down', 'ff.net.2', 'x_block.mlp.fc2', 'linear', true, null, false],
  ffContextUp: ['ff_context.up', 'ff_context.net.0.proj', 'context_block.mlp.fc1', 'linear', true, null, false],
  ffContextDown: ['ff_context.down', 'ff_context.net.2', 'context_block.mlp.fc2', 'linear', true, null, false],
} as const satisfies Record<string, DitRow | readonly DitRow[]>;
export const MMDIT_FINAL: readonly DitRow[] = [
  ['norm_out.linear', 'norm_out.linear', 'final_layer.adaLN_modulation.1', 'linear', true, null, true],
  ['proj_out', 'proj_out', 'final_layer.linear', 'linear', true, null, false],
];
/** Stored position tables: in the files, not graph weights (the graph computes its table for the actual size). */
export const MMDIT_BUFFERS = { diffusers: 'pos_embed.pos_embed', ldm: 'pos_embed' } as const;

/**
 * PixArt-α/Σ DiT: graph (src/graph/cross-dit.ts) ↔ diffusers PixArtTransformer2DModel ↔ the original
 * checkpoints (github PixArt-alpha/PixArt-sigma diffusion/model/nets/PixArt.py), as diffusers'
 * scripts/convert_pixart_sigma_to_diffusers.py converts them: self-attention q/k/v fused in `attn.qkv`
 * (row thirds), cross-attention k/v fused in `cross_attn.kv_linear` (row halves).
 */
export const PIXART_TOP: readonly DitRow[] = [
  ['pos_embed.proj', 'pos_embed.proj', 'x_embedder.proj', 'conv', true, null, false],
  [
    'adaln_single.emb.linear_1',
    'adaln_single.emb.timestep_embedder.linear_1',
    't_embedder.mlp.0',
    'linear',
    true,
    null,
    false,
  ],
  [
    'adaln_single.emb.linear_2',
    'adaln_single.emb.timestep_embedder.linear_2',
    't_embedder.mlp.2',
    'linear',
    true,
    null,
    false,
  ],
  ['adaln_single.linear', 'adaln_single.linear', 't_block.1', 'linear', true, null, false],
  ['caption_projection.linear_1', 'caption_projection.linear_1', 'y_embedder.y_proj.fc1', 'linear', true, null, false],
  ['caption_projection.linear_2', 'caption_projection.linear_2', 'y_embedder.y_proj.fc2', 'linear', true, null, false],
];
/** Per block (graph `block{i}`, diffusers `transformer_blocks.{i}`, original `blocks.{i}`). */
export const PIXART_BLOCK: readonly DitRow[] = [
  ['attn1.to_q', 'attn1.to_q', 'attn.qkv', 'linear', true, [0, 3], false],
  ['attn1.to_k', 'attn1.to_k', 'attn.qkv', 'linear', true, [1, 3], false],
  ['attn1.to_v', 'attn1.to_v', 'attn.qkv', 'linear', true, [2, 3], false],
  ['attn1.to_out', 'attn1.to_out.0', 'attn.proj', 'linear', true, null, false],
  ['attn2.to_q', 'attn2.to_q', 'cross_attn.q_linear', 'linear', true, null, false],
  ['attn2.to_k', 'attn2.to_k', 'cross_attn.kv_linear', 'linear', true, [0, 2], false],
  ['attn2.to_v', 'attn2.to_v', 'cross_attn.kv_linear', 'linear', true, [1, 2], false],
  ['attn2.to_out', 'attn2.to_out.0', 'cross_attn.proj', 'linear', true, null, false],
  ['ff.up', 'ff.net.0.proj', 'mlp.fc1', 'linear', true, null, false],
  ['ff.down', 'ff.net.2', 'mlp.fc2', 'linear', true, null, false],
];
/** The learned modulation tables: [6, d] per block, [2, d] at the end; the same layout everywhere. */
export const PIXART_TABLES = {
  block: ['scale_shift_table', 'scale_shift_table', 'scale_shift_table'],
  final: ['scale_shift_table', 'scale_shift_table', 'final_layer.scale_shift_table'],
} as const;
export const PIXART_FINAL: DitRow = ['proj_out', 'proj_out', 'final_layer.linear', 'linear', true, null, false];
/** In the original files, not graph weights: the position table and the learned null caption (y_embedding). */
export const PIXART_BUFFERS = { ldm: ['pos_embed', 'y_embedder.y_embedding'] } as const;
