/**
 * Walks a diffusers UNet2DConditionModel (and the ControlNet built from its encoder half).
 * Layout: conv_in → down blocks (resnets [+ transformers], downsample) → mid → up blocks
 * (resnets on [hidden ⊕ skip] [+ transformers], upsample) → norm, conv_out.
 */
import type { ControlNetArch, UNetArch } from '../../catalog/models.types.ts';
import { attention, conv, elementwise, linear, linParams, norm, Tracer } from './trace.ts';

export interface UNetGeometry {
  latentHeight: number;
  latentWidth: number;
  textTokens: number;
}

const timeEmbedDim = (a: UNetArch) => 4 * a.blockOut[0]!;

/** ResnetBlock2D with a time-embedding projection. The block input is held for the residual. */
export function resnet(
  t: Tracer,
  name: string,
  ci: number,
  co: number,
  hw: number,
  temb: number | null,
  groups: number,
): void {
  t.in(name, () => {
    t.hold();
    norm(t, 'norm1', ci, 2, groups);
    elementwise(t, 'act1');
    conv(t, 'conv1', ci, co, 3, hw);
    if (temb !== null) t.param('linear', 'time_emb_proj', linParams(temb, co), temb * co);
    norm(t, 'norm2', co, 2, groups);
    elementwise(t, 'act2');
    conv(t, 'conv2', co, co, 3, hw);
    const x = t.release();
    if (ci !== co) {
      // The 1×1 shortcut reads the held input: count it as an extra input of the op.
      t.op('conv', 'shortcut', { params: ci * co + co, macs: hw * ci * co, out: co * hw, extraIn: x });
    }
    elementwise(t, 'residual');
  });
}

/** Transformer2DModel: norm, proj_in, `depth` BasicTransformerBlocks (self-attn, cross-attn, GEGLU), proj_out. */
function transformer2d(
  t: Tracer,
  name: string,
  c: number,
  depth: number,
  heads: number,
  hw: number,
  ctxTokens: number,
  ctxDim: number,
  groups: number,
): void {
  t.in(name, () => {
    t.hold();
    norm(t, 'norm', c, 2, groups);
    linear(t, 'proj_in', c, c, hw);
    for (let d = 0; d < depth; d++) {
      t.in(`block${d}`, () => {
        t.hold();
        norm(t, 'norm1', c, 2);
        attention(t, 'attn1', { dim: c, heads, queries: hw, keys: hw, kvDim: c, qkvBias: false, outBias: true });
        t.release();
        elementwise(t, 'residual1');
        t.hold();
        norm(t, 'norm2', c, 2);
        attention(t, 'attn2', {
          dim: c,
          heads,
          queries: hw,
          keys: ctxTokens,
          kvDim: ctxDim,
          qkvBias: false,
          outBias: true,
        });
        t.release();
        elementwise(t, 'residual2');
        t.hold();
        norm(t, 'norm3', c, 2);
        linear(t, 'ff.geglu', c, 8 * c, hw);
        // GEGLU: value and gate are views of the projection, which stays alive until value × gelu(gate).
        t.hold();
        elementwise(t, 'ff.gelu', 4 * c * hw);
        elementwise(t, 'ff.gate', 4 * c * hw);
        t.release();
        linear(t, 'ff.out', 4 * c, c, hw);
        t.release();
        elementwise(t, 'residual3');
      });
    }
    linear(t, 'proj_out', c, c, hw);
    t.release();
    elementwise(t, 'residual');
  });
}

interface Level {
  ch: number;
  hw: number;
}

/** Embeddings that run on the timestep / pooled text: tiny inputs, real parameters. */
function embeddings(t: Tracer, a: UNetArch): void {
  const c0 = a.blockOut[0]!;
  const T = timeEmbedDim(a);
  t.param('linear', 'time_embedding', linParams(c0, T) + linParams(T, T), c0 * T + T * T);
  if (a.additionEmbedInput !== null) {
    t.param(
      'linear',
      'add_embedding',
      linParams(a.additionEmbedInput, T) + linParams(T, T),
      a.additionEmbedInput * T + T * T,
    );
  }
}

/** The encoder half shared by the UNet and its ControlNet. Returns the skip sizes (channels) in push order. */
function encoder(t: Tracer, a: UNetArch, g: UNetGeometry, onSkip: (ch: number, hw: number) => void): Level {
  const T = timeEmbedDim(a);
  let hw = g.latentHeight * g.latentWidth;
  let ch = a.blockOut[0]!;
  conv(t, 'conv_in', a.inChannels, ch, 3, hw);
  onSkip(ch, hw);
  a.blockOut.forEach((out, i) => {
    t.in(`down${i}`, () => {
      for (let j = 0; j < a.layersPerBlock; j++) {
        resnet(t, `res${j}`, ch, out, hw, T, a.normGroups);
        ch = out;
        if (a.crossAttention[i])
          transformer2d(
            t,
            `attn${j}`,
            ch,
            a.transformerDepth[i]!,
            a.heads[i]!,
            hw,
            g.textTokens,
            a.crossAttentionDim,
            a.normGroups,
          );
        onSkip(ch, hw);
      }
      if (i < a.blockOut.length - 1) {
        hw = Math.ceil(hw / 4);
        conv(t, 'downsample', ch, ch, 3, hw);
        onSkip(ch, hw);
      }
    });
  });
  t.in('mid', () => {
    resnet(t, 'res0', ch, ch, hw, T, a.normGroups);
    if (a.midAttention)
      transformer2d(
        t,
        'attn',
        ch,
        a.midTransformerDepth,
        a.heads[a.heads.length - 1]!,
        hw,
        g.textTokens,
        a.crossAttentionDim,
        a.normGroups,
      );
    resnet(t, 'res1', ch, ch, hw, T, a.normGroups);
  });
  return { ch, hw };
}

export function walkUNet(a: UNetArch, g: UNetGeometry): Tracer {
  const latent = g.latentHeight * g.latentWidth;
  const t = new Tracer(a.inChannels * latent);
  const T = timeEmbedDim(a);
  embeddings(t, a);
  const skips: { ch: number; hw: number }[] = [];
  let { ch, hw } = encoder(t, a, g, (c, h) => {
    t.hold();
    skips.push({ ch: c, hw: h });
  });
  const rev = [...a.blockOut].reverse();
  const revCross = [...a.crossAttention].reverse();
  const revDepth = [...a.transformerDepth].reverse();
  const revHeads = [...a.heads].reverse();
  rev.forEach((out, i) => {
    t.in(`up${i}`, () => {
      for (let j = 0; j <= a.layersPerBlock; j++) {
        const skip = skips.pop()!;
        const skipElems = t.release();
        // torch.cat([hidden, skip]) allocates the concatenation before the resnet reads it.
        elementwise(t, `cat${j}`, t.current + skipElems, skipElems);
        resnet(t, `res${j}`, ch + skip.ch, out, hw, T, a.normGroups);
        ch = out;
        if (revCross[i])
          transformer2d(
            t,
            `attn${j}`,
            ch,
            revDepth[i]!,
            revHeads[i]!,
            hw,
            g.textTokens,
            a.crossAttentionDim,
            a.normGroups,
          );
      }
      if (i < rev.length - 1) {
        hw = hw * 4;
        elementwise(t, 'upsample.interpolate', ch * hw);
        conv(t, 'upsample', ch, ch, 3, hw);
      }
    });
  });
  norm(t, 'norm_out', ch, 2, a.normGroups);
  elementwise(t, 'act_out');
  conv(t, 'conv_out', ch, a.outChannels, 3, hw);
  return t;
}

/** ControlNet: hint embedding at image resolution, the UNet encoder, and a zero 1×1 conv per skip. */
export function walkControlNet(
  a: ControlNetArch,
  g: UNetGeometry & { imageHeight: number; imageWidth: number },
): Tracer {
  const u = a.unet;
  const t = new Tracer(a.hintChannels * g.imageHeight * g.imageWidth);
  embeddings(t, u);
  t.in('cond_embedding', () => {
    let hw = g.imageHeight * g.imageWidth;
    const chans = a.condEmbedChannels;
    conv(t, 'conv_in', a.hintChannels, chans[0]!, 3, hw);
    for (let i = 0; i < chans.length - 1; i++) {
      conv(t, `block${2 * i}`, chans[i]!, chans[i]!, 3, hw);
      hw = Math.ceil(hw / 4);
      conv(t, `block${2 * i + 1}`, chans[i]!, chans[i + 1]!, 3, hw);
    }
    conv(t, 'conv_out', chans[chans.length - 1]!, u.blockOut[0]!, 3, hw);
  });
  let zero = 0;
  const skipOut: { ch: number; hw: number }[] = [];
  const { ch, hw } = encoder(t, u, g, (c, h) => skipOut.push({ ch: c, hw: h }));
  // Zero convs run on each down-block output (kept by the caller as residuals for the UNet).
  for (const s of skipOut) t.param('conv', `zero_convs.${zero++}`, s.ch * s.ch + s.ch, s.hw * s.ch * s.ch);
  t.param('conv', 'mid_zero_conv', ch * ch + ch, hw * ch * ch);
  return t;
}
