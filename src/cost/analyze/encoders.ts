/**
 * Walks the text encoders (CLIP text transformer, T5 encoder) and the autoencoder (encoder and decoder).
 */
import type { AutoencoderArch, ClipTextArch, T5EncoderArch } from '../../catalog/models.types.ts';
import { attention, conv, elementwise, linear, linParams, norm, Tracer } from './trace.ts';
import { resnet } from './unet.ts';

export function walkClipText(a: ClipTextArch): Tracer {
  const L = a.maxTokens;
  const d = a.width;
  const t = new Tracer(L);
  t.op('embedding', 'embeddings', { params: a.vocab * d + L * d, out: L * d });
  for (let i = 0; i < a.layers; i++) {
    t.in(`layer${i}`, () => {
      t.hold();
      norm(t, 'ln1', d, 2);
      attention(t, 'attn', { dim: d, heads: a.heads, queries: L, keys: L, kvDim: d, qkvBias: true, outBias: true });
      t.release();
      elementwise(t, 'residual1');
      t.hold();
      norm(t, 'ln2', d, 2);
      linear(t, 'fc1', d, a.ffn, L);
      elementwise(t, 'act');
      linear(t, 'fc2', a.ffn, d, L);
      t.release();
      elementwise(t, 'residual2');
    });
  }
  norm(t, 'final_ln', d, 2);
  if (a.projection > 0) t.param('linear', 'text_projection', linParams(d, a.projection, false), d * a.projection);
  return t;
}

export function walkT5Encoder(a: T5EncoderArch): Tracer {
  const L = a.maxTokens;
  const d = a.dModel;
  const inner = a.heads * a.dKv;
  const t = new Tracer(L);
  t.op('embedding', 'shared', { params: a.vocab * d, out: L * d });
  t.param('embedding', 'relative_attention_bias', a.relativeBuckets * a.heads, 0);
  for (let i = 0; i < a.layers; i++) {
    t.in(`layer${i}`, () => {
      t.hold();
      norm(t, 'ln1', d, 1);
      t.op('linear', 'attn.qkv', { params: 3 * d * inner, macs: 3 * L * d * inner, out: 3 * L * inner });
      t.op('attention', 'attn.sdpa', {
        macs: a.heads * L * L * 2 * a.dKv,
        out: L * inner,
        attention: { heads: a.heads, queries: L, keys: L, headDim: a.dKv },
      });
      linear(t, 'attn.o', inner, d, L, false);
      t.release();
      elementwise(t, 'residual1');
      t.hold();
      norm(t, 'ln2', d, 1);
      t.op('linear', 'ff.wi', { params: 2 * d * a.ffn, macs: 2 * L * d * a.ffn, out: 2 * L * a.ffn });
      elementwise(t, 'ff.gate', L * a.ffn);
      // transformers' T5 lists `wo` in `_keep_in_fp32_modules`: fp16 overflows in its output.
      t.op('linear', 'ff.wo', { params: a.ffn * d, macs: L * a.ffn * d, out: L * d, keptFp32: true });
      t.release();
      elementwise(t, 'residual2');
    });
  }
  norm(t, 'final_ln', d, 1);
  return t;
}

/** Mid block: resnet, single-head self-attention over every latent pixel, resnet. */
function vaeMid(t: Tracer, a: AutoencoderArch, ch: number, hw: number): void {
  t.in('mid', () => {
    resnet(t, 'res0', ch, ch, hw, null, a.normGroups);
    if (a.midAttention) {
      t.hold();
      norm(t, 'attn.norm', ch, 2, a.normGroups);
      attention(t, 'attn', { dim: ch, heads: 1, queries: hw, keys: hw, kvDim: ch, qkvBias: true, outBias: true });
      t.release();
      elementwise(t, 'attn.residual');
    }
    resnet(t, 'res1', ch, ch, hw, null, a.normGroups);
  });
}

export function walkVaeDecoder(a: AutoencoderArch, g: { latentHeight: number; latentWidth: number }): Tracer {
  let hw = g.latentHeight * g.latentWidth;
  const t = new Tracer(a.latentChannels * hw);
  if (a.quantConv) conv(t, 'post_quant_conv', a.latentChannels, a.latentChannels, 1, hw);
  const rev = [...a.blockOut].reverse();
  let ch = rev[0]!;
  conv(t, 'conv_in', a.latentChannels, ch, 3, hw);
  vaeMid(t, a, ch, hw);
  rev.forEach((out, i) => {
    t.in(`up${i}`, () => {
      for (let j = 0; j <= a.layersPerBlock; j++) {
        resnet(t, `res${j}`, ch, out, hw, null, a.normGroups);
        ch = out;
      }
      if (i < rev.length - 1) {
        hw *= 4;
        elementwise(t, 'upsample.interpolate', ch * hw);
        conv(t, 'upsample', ch, ch, 3, hw);
      }
    });
  });
  norm(t, 'norm_out', ch, 2, a.normGroups);
  elementwise(t, 'act_out');
  conv(t, 'conv_out', ch, a.imageChannels, 3, hw);
  return t;
}

export function walkVaeEncoder(a: AutoencoderArch, g: { height: number; width: number }): Tracer {
  let hw = g.height * g.width;
  const t = new Tracer(a.imageChannels * hw);
  let ch = a.blockOut[0]!;
  conv(t, 'conv_in', a.imageChannels, ch, 3, hw);
  a.blockOut.forEach((out, i) => {
    t.in(`down${i}`, () => {
      for (let j = 0; j < a.layersPerBlock; j++) {
        resnet(t, `res${j}`, ch, out, hw, null, a.normGroups);
        ch = out;
      }
      if (i < a.blockOut.length - 1) {
        hw = Math.ceil(hw / 4);
        conv(t, 'downsample', ch, ch, 3, hw);
      }
    });
  });
  vaeMid(t, a, ch, hw);
  norm(t, 'norm_out', ch, 2, a.normGroups);
  elementwise(t, 'act_out');
  conv(t, 'conv_out', ch, 2 * a.latentChannels, 3, hw);
  if (a.quantConv) conv(t, 'quant_conv', 2 * a.latentChannels, 2 * a.latentChannels, 1, hw);
  return t;
}
