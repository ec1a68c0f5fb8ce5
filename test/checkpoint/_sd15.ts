/**
 * The full tensor list of an SD 1.5 single-file checkpoint (v1-5-pruned-emaonly layout: LDM UNet
 * under model.diffusion_model., LDM VAE under first_stage_model., Hugging Face CLIP under
 * cond_stage_model.transformer., the DDPM schedule buffers), written out from the original modules
 * (CompVis/stable-diffusion ldm/modules/diffusionmodules/openaimodel.py UNetModel,
 * ldm/modules/attention.py SpatialTransformer, ldm/modules/diffusionmodules/model.py Encoder/Decoder,
 * transformers CLIPTextModel) independently of data/checkpoint/layouts.ts, so that the layouts are
 * tested against it rather than against themselves. Its totals are checked against the published
 * parameter counts (UNet 859,520,964; VAE 83,653,863; CLIP-L text 123,060,480).
 */
import type { DType } from '../../src/checkpoint/types.ts';

export interface Spec {
  name: string;
  shape: number[];
  dtype: DType;
}

export function sd15Tensors(dtype: DType = 'F16'): Spec[] {
  const out: Spec[] = [];
  const add = (name: string, ...shape: number[]) => out.push({ name, shape, dtype });
  const lin = (p: string, o: number, i: number, bias = true) => {
    add(`${p}.weight`, o, i);
    if (bias) add(`${p}.bias`, o);
  };
  const conv = (p: string, o: number, i: number, k: number) => {
    add(`${p}.weight`, o, i, k, k);
    add(`${p}.bias`, o);
  };
  const norm = (p: string, c: number) => {
    add(`${p}.weight`, c);
    add(`${p}.bias`, c);
  };

  // UNet
  const u = 'model.diffusion_model.';
  const res = (p: string, i: number, o: number) => {
    norm(`${p}.in_layers.0`, i);
    conv(`${p}.in_layers.2`, o, i, 3);
    lin(`${p}.emb_layers.1`, o, 1280);
    norm(`${p}.out_layers.0`, o);
    conv(`${p}.out_layers.3`, o, o, 3);
    if (i !== o) conv(`${p}.skip_connection`, o, i, 1);
  };
  const st = (p: string, c: number) => {
    norm(`${p}.norm`, c);
    conv(`${p}.proj_in`, c, c, 1);
    const b = `${p}.transformer_blocks.0`;
    for (const x of ['q', 'k', 'v']) lin(`${b}.attn1.to_${x}`, c, c, false);
    lin(`${b}.attn1.to_out.0`, c, c);
    lin(`${b}.ff.net.0.proj`, c * 8, c);
    lin(`${b}.ff.net.2`, c, c * 4);
    lin(`${b}.attn2.to_q`, c, c, false);
    lin(`${b}.attn2.to_k`, c, 768, false);
    lin(`${b}.attn2.to_v`, c, 768, false);
    lin(`${b}.attn2.to_out.0`, c, c);
    for (const n of [1, 2, 3]) norm(`${b}.norm${n}`, c);
    conv(`${p}.proj_out`, c, c, 1);
  };
  lin(`${u}time_embed.0`, 1280, 320);
  lin(`${u}time_embed.2`, 1280, 1280);
  conv(`${u}input_blocks.0.0`, 320, 4, 3);
  const mult = [1, 2, 4, 4];
  const chans = [320];
  let ch = 320;
  let n = 1;
  for (let l = 0; l < 4; l++) {
    const o = 320 * mult[l]!;
    for (let r = 0; r < 2; r++, n++) {
      res(`${u}input_blocks.${n}.0`, ch, o);
      ch = o;
      if (l < 3) st(`${u}input_blocks.${n}.1`, o);
      chans.push(ch);
    }
    if (l < 3) {
      conv(`${u}input_blocks.${n}.0.op`, ch, ch, 3);
      chans.push(ch);
      n++;
    }
  }
  res(`${u}middle_block.0`, 1280, 1280);
  st(`${u}middle_block.1`, 1280);
  res(`${u}middle_block.2`, 1280, 1280);
  n = 0;
  for (let l = 3; l >= 0; l--) {
    const o = 320 * mult[l]!;
    for (let i = 0; i < 3; i++, n++) {
      res(`${u}output_blocks.${n}.0`, ch + chans.pop()!, o);
      ch = o;
      let k = 1;
      if (l < 3) st(`${u}output_blocks.${n}.${k++}`, o);
      if (l > 0 && i === 2) conv(`${u}output_blocks.${n}.${k}.conv`, o, o, 3);
    }
  }
  norm(`${u}out.0`, 320);
  conv(`${u}out.2`, 4, 320, 3);

  out.push(...ldmVaeTensors('first_stage_model.', 4, dtype));

  // CLIP ViT-L/14 text
  const t = 'cond_stage_model.transformer.text_model.';
  add(`${t}embeddings.token_embedding.weight`, 49408, 768);
  add(`${t}embeddings.position_embedding.weight`, 77, 768);
  out.push({ name: `${t}embeddings.position_ids`, shape: [1, 77], dtype: 'I64' });
  for (let i = 0; i < 12; i++) {
    const p = `${t}encoder.layers.${i}`;
    for (const x of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) lin(`${p}.self_attn.${x}`, 768, 768);
    norm(`${p}.layer_norm1`, 768);
    lin(`${p}.mlp.fc1`, 3072, 768);
    lin(`${p}.mlp.fc2`, 768, 3072);
    norm(`${p}.layer_norm2`, 768);
  }
  norm(`${t}final_layer_norm`, 768);

  // DDPM schedule buffers (ldm/models/diffusion/ddpm.py register_schedule), fp32 in the files.
  for (const b of ['betas', 'alphas_cumprod', 'alphas_cumprod_prev', 'sqrt_alphas_cumprod', 'posterior_variance'])
    out.push({ name: b, shape: [1000], dtype: 'F32' });
  return out;
}

export const SD15_PUBLISHED = { unet: 859_520_964, vae: 83_653_863, text: 123_060_480 };

/** LDM AutoencoderKL (ldm/modules/diffusionmodules/model.py; FLUX's autoencoder.py has the same names). */
export function ldmVaeTensors(v: string, latent: 4 | 16, dtype: DType = 'F16'): Spec[] {
  const out: Spec[] = [];
  const add = (name: string, ...shape: number[]) => out.push({ name, shape, dtype });
  const conv = (p: string, o: number, i: number, k: number) => {
    add(`${p}.weight`, o, i, k, k);
    add(`${p}.bias`, o);
  };
  const norm = (p: string, c: number) => {
    add(`${p}.weight`, c);
    add(`${p}.bias`, c);
  };
  const mult = [1, 2, 4, 4];
  const vres = (p: string, i: number, o: number) => {
    norm(`${p}.norm1`, i);
    conv(`${p}.conv1`, o, i, 3);
    norm(`${p}.norm2`, o);
    conv(`${p}.conv2`, o, o, 3);
    if (i !== o) conv(`${p}.nin_shortcut`, o, i, 1);
  };
  const mid = (p: string) => {
    vres(`${p}.mid.block_1`, 512, 512);
    norm(`${p}.mid.attn_1.norm`, 512);
    for (const x of ['q', 'k', 'v', 'proj_out']) conv(`${p}.mid.attn_1.${x}`, 512, 512, 1);
    vres(`${p}.mid.block_2`, 512, 512);
  };
  conv(`${v}encoder.conv_in`, 128, 3, 3);
  const inMult = [1, 1, 2, 4];
  for (let i = 0; i < 4; i++) {
    let c = 128 * inMult[i]!;
    const o = 128 * mult[i]!;
    for (let j = 0; j < 2; j++) {
      vres(`${v}encoder.down.${i}.block.${j}`, c, o);
      c = o;
    }
    if (i < 3) conv(`${v}encoder.down.${i}.downsample.conv`, o, o, 3);
  }
  mid(`${v}encoder`);
  norm(`${v}encoder.norm_out`, 512);
  conv(`${v}encoder.conv_out`, 2 * latent, 512, 3);
  conv(`${v}decoder.conv_in`, 512, latent, 3);
  mid(`${v}decoder`);
  let c = 512;
  for (let i = 3; i >= 0; i--) {
    const o = 128 * mult[i]!;
    for (let j = 0; j < 3; j++) {
      vres(`${v}decoder.up.${i}.block.${j}`, c, o);
      c = o;
    }
    if (i > 0) conv(`${v}decoder.up.${i}.upsample.conv`, o, o, 3);
  }
  norm(`${v}decoder.norm_out`, 128);
  conv(`${v}decoder.conv_out`, 3, 128, 3);
  // SD3 and FLUX autoencoders have no quant convs (use_quant_conv false).
  if (latent === 4) {
    conv(`${v}quant_conv`, 8, 8, 1);
    conv(`${v}post_quant_conv`, 4, 4, 1);
  }

  return out;
}
