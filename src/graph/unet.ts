/**
 * diffusers UNet2DConditionModel as an ONNX graph, from the same `UNetArch` the analyzer walks
 * (src/cost/analyze/unet.ts): conv_in → down blocks → mid → up blocks with skips → norm, conv_out.
 * IO follows the optimum/diffusers export: `sample`, `timestep` (float32), `encoder_hidden_states`
 * (+ `text_embeds`, `time_ids` for SDXL-style micro-conditioning) → `out_sample`.
 */
import type { UNetArch } from '../catalog/models.types.ts';
import {
  attention,
  conv,
  fromTokens,
  gelu,
  groupNorm,
  layerNorm,
  linear,
  resnet,
  silu,
  sinusoid,
  toTokens,
  upsample,
} from './_layers.ts';
import type { Graph } from './_onnx.ts';
import { GraphError } from './errors.ts';

/** diffusers `addition_time_embed_dim`: each SDXL micro-condition is a 256-wide sinusoid. */
const ADDITION_TIME_EMBED_DIM = 256;
/**
 * Width of the pooled text embedding SDXL-style UNets take (OpenCLIP bigG's projection, 1280, in
 * both SDXL base and refiner); the rest of `additionEmbedInput` is micro-conditions (6 base, 5 refiner).
 */
export const POOLED_TEXT_DIM = 1280;

const RESNET_EPS = 1e-5;
const TRANSFORMER_NORM_EPS = 1e-6;
const LAYER_NORM_EPS = 1e-5;

/** Number of micro-conditioning values (`time_ids` width) of an SDXL-style UNet. */
export function timeIdCount(a: UNetArch): number {
  if (a.additionEmbedInput === null) return 0;
  const n = (a.additionEmbedInput - POOLED_TEXT_DIM) / ADDITION_TIME_EMBED_DIM;
  if (!Number.isInteger(n) || n <= 0) {
    throw new GraphError(
      'unsupported-arch',
      `UNet additionEmbedInput ${a.additionEmbedInput} is not ${POOLED_TEXT_DIM} pooled + n × ${ADDITION_TIME_EMBED_DIM} micro-conditions`,
    );
  }
  return n;
}

function transformer2d(
  g: Graph,
  name: string,
  x: string,
  p: { c: number; depth: number; heads: number; groups: number; ctx: string; ctxDim: number },
): string {
  return g.in(name, () => {
    const { c } = p;
    let h = linear(g, 'proj_in', toTokens(g, groupNorm(g, 'norm', x, c, p.groups, TRANSFORMER_NORM_EPS), c), c, c);
    for (let d = 0; d < p.depth; d++) {
      h = g.in(`block${d}`, () => {
        let y = g.op('Add', [
          h,
          attention(g, 'attn1', layerNorm(g, 'norm1', h, c, LAYER_NORM_EPS), {
            dim: c,
            heads: p.heads,
            qkvBias: false,
            outBias: true,
          }),
        ]);
        const cross = attention(g, 'attn2', layerNorm(g, 'norm2', y, c, LAYER_NORM_EPS), {
          dim: c,
          heads: p.heads,
          context: { x: p.ctx, dim: p.ctxDim },
          qkvBias: false,
          outBias: true,
        });
        y = g.op('Add', [y, cross]);
        // GEGLU: one projection to 8c, split into value and gate halves.
        const proj = linear(g, 'ff.proj', layerNorm(g, 'norm3', y, c, LAYER_NORM_EPS), c, 8 * c);
        const [value, gate] = g.node('Split', [proj, g.i64([4 * c, 4 * c])], { axis: -1 }, { count: 2 }) as [
          string,
          string,
        ];
        const ff = linear(g, 'ff.out', g.op('Mul', [value, gelu(g, gate)]), 4 * c, c);
        return g.op('Add', [y, ff]);
      });
    }
    return g.op('Add', [x, fromTokens(g, linear(g, 'proj_out', h, c, c), x)]);
  });
}

/** Time (+ micro-conditioning) embedding, returned after SiLU as every resnet consumes it. */
function embedding(
  g: Graph,
  a: UNetArch,
  timestep: string,
  extra: { textEmbeds: string; timeIds: string } | null,
): { x: string; dim: number } {
  const c0 = a.blockOut[0]!;
  const T = 4 * c0;
  let emb = g.in('time_embedding', () =>
    linear(g, 'linear_2', silu(g, linear(g, 'linear_1', sinusoid(g, timestep, c0), c0, T)), T, T),
  );
  if (extra) {
    const aug = g.in('add_embedding', () => {
      const ids = g.dtype === 'float32' ? extra.timeIds : g.op('Cast', [extra.timeIds], { to: 1 });
      const flat = g.op('Reshape', [ids, g.i64([-1])]);
      const n = timeIdCount(a);
      const timeEmb = g.op('Reshape', [
        sinusoid(g, flat, ADDITION_TIME_EMBED_DIM),
        g.i64([-1, n * ADDITION_TIME_EMBED_DIM]),
      ]);
      const input = g.op('Concat', [extra.textEmbeds, timeEmb], { axis: -1 });
      return linear(g, 'linear_2', silu(g, linear(g, 'linear_1', input, a.additionEmbedInput!, T)), T, T);
    });
    emb = g.op('Add', [emb, aug]);
  }
  return { x: silu(g, emb), dim: T };
}

export function buildUNet(g: Graph, a: UNetArch): void {
  const dt = g.dtype;
  const sample = g.input('sample', dt, ['batch', a.inChannels, 'height', 'width']);
  const timestep = g.input('timestep', 'float32', ['batch']);
  const ctx = g.input('encoder_hidden_states', dt, ['batch', 'sequence', a.crossAttentionDim]);
  let extra: { textEmbeds: string; timeIds: string } | null = null;
  if (a.additionEmbedInput !== null) {
    const n = timeIdCount(a);
    extra = {
      textEmbeds: g.input('text_embeds', dt, ['batch', POOLED_TEXT_DIM]),
      timeIds: g.input('time_ids', dt, ['batch', n]),
    };
  }
  const temb = embedding(g, a, timestep, extra);
  const groups = a.normGroups;
  const res = (name: string, x: string, ci: number, co: number) =>
    resnet(g, name, x, { ci, co, groups, eps: RESNET_EPS, temb });
  const xf = (name: string, x: string, c: number, depth: number, heads: number) =>
    transformer2d(g, name, x, { c, depth, heads, groups, ctx, ctxDim: a.crossAttentionDim });

  let ch = a.blockOut[0]!;
  let h = conv(g, 'conv_in', sample, a.inChannels, ch, 3);
  const skips: { x: string; ch: number }[] = [{ x: h, ch }];
  for (const [i, out] of a.blockOut.entries())
    g.in(`down${i}`, () => {
      for (let j = 0; j < a.layersPerBlock; j++) {
        h = res(`res${j}`, h, ch, out);
        ch = out;
        if (a.crossAttention[i]) h = xf(`attn${j}`, h, ch, a.transformerDepth[i]!, a.heads[i]!);
        skips.push({ x: h, ch });
      }
      if (i < a.blockOut.length - 1) {
        h = conv(g, 'downsample', h, ch, ch, 3, { stride: 2 });
        skips.push({ x: h, ch });
      }
    });
  g.in('mid', () => {
    h = res('res0', h, ch, ch);
    if (a.midAttention) h = xf('attn', h, ch, a.midTransformerDepth, a.heads[a.heads.length - 1]!);
    h = res('res1', h, ch, ch);
  });
  const levels = a.blockOut.length;
  for (let i = 0; i < levels; i++) {
    const lvl = levels - 1 - i;
    const out = a.blockOut[lvl]!;
    g.in(`up${i}`, () => {
      for (let j = 0; j <= a.layersPerBlock; j++) {
        const skip = skips.pop()!;
        h = res(`res${j}`, g.op('Concat', [h, skip.x], { axis: 1 }), ch + skip.ch, out);
        ch = out;
        if (a.crossAttention[lvl]) h = xf(`attn${j}`, h, ch, a.transformerDepth[lvl]!, a.heads[lvl]!);
      }
      if (i < levels - 1) h = upsample(g, 'upsample', h, ch);
    });
  }
  h = silu(g, groupNorm(g, 'norm_out', h, ch, groups, RESNET_EPS));
  // Identity names the graph output without special-casing the conv helper; onnxruntime removes it.
  g.op('Identity', [conv(g, 'conv_out', h, ch, a.outChannels, 3)], {}, 'out_sample');
  g.output('out_sample', dt, ['batch', a.outChannels, 'height', 'width']);
}
