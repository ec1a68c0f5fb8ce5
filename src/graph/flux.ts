/**
 * FLUX.1 (diffusers FluxTransformer2DModel) as an ONNX graph, from the `FluxArch` the analyzer walks
 * (walkFlux): packed latents → img_in; timestep (+ guidance for dev) + pooled CLIP vector → vec;
 * T5 context → txt_in; double-stream blocks (fused qkv per stream, RMS qk-norm, RoPE, attention over
 * [text; image], adaLN-Zero per stream), then single-stream blocks on the concatenated sequence
 * (one linear for qkv + MLP input, attention and MLP in parallel, one linear for both outputs),
 * continuous adaLN out on the image tokens, proj_out to packed latents. Weight names follow Black
 * Forest Labs' reference modules (img_mod, img_attn.qkv, linear1, …); the counts are walkFlux's.
 *
 * IO as diffusers' export: `hidden_states` [batch, tokens, C·p²] (already 2×2-packed, as the
 * pipeline feeds it), `encoder_hidden_states`, `pooled_projections`, `timestep` (float32, 0..1, scaled
 * by 1000 inside as diffusers does), `img_ids` [tokens, 3] and `txt_ids` [sequence, 3] (float32
 * position ids; RoPE is computed from them in the graph), `guidance` when the architecture embeds it
 * → `out_hidden_states` [batch, tokens, C·p²]. The RoPE axis split is FLUX's (16, 56, 56 of 128) for
 * the real head width and a proportional even split for other widths: the cost is the same, the
 * rotation angles of tiny test configs are not FLUX's.
 */
import type { FluxArch } from '../catalog/models.types.ts';
import { chunks, dim, modulate, plainNorm, sdpa, toHeads } from './_dit.ts';
import { geluTanh, linear, silu, sinusoid } from './_layers.ts';
import type { Graph } from './_onnx.ts';

const ROPE_THETA = 10000;

/** Head-dimension split over the (text/index, row, column) id axes: FLUX uses 16 + 56 + 56 = 128. */
function ropeAxes(hd: number): [number, number, number] {
  const a = 2 * Math.floor((7 * hd) / 32);
  return [hd - 2 * a, a, a];
}

/**
 * cos and sin of the rotation angles as [L, hd/2, 1] for ids [L, 3]: angles = ids @ M, where row i
 * of M holds axis i's frequencies in its own columns (one MatMul instead of three gathers).
 */
function ropeTables(g: Graph, ids: string, hd: number): { cos: string; sin: string } {
  const axes = ropeAxes(hd);
  const half = hd / 2;
  const m = new Float32Array(3 * half);
  let col = 0;
  axes.forEach((a, i) => {
    for (let j = 0; j < a / 2; j++) m[i * half + col + j] = 1 / ROPE_THETA ** ((2 * j) / a);
    col += a / 2;
  });
  const angles = g.op('Unsqueeze', [g.op('MatMul', [ids, g.f32(m, [3, half])]), g.i64([-1])]);
  const cast = (x: string) => (g.dtype === 'float32' ? x : g.op('Cast', [x], { to: 10 }));
  return { cos: cast(g.op('Cos', [angles])), sin: cast(g.op('Sin', [angles])) };
}

/** Rotate consecutive pairs (x₂ⱼ, x₂ⱼ₊₁) of [B, H, L, hd] by the RoPE angles, as FLUX's apply_rope. */
function rope(g: Graph, x: string, t: { cos: string; sin: string }, hd: number): string {
  const pairs = g.op('Reshape', [x, g.i64([0, 0, 0, hd / 2, 2])]);
  const [x0, x1] = g.node('Split', [pairs, g.i64([1, 1])], { axis: -1 }, { count: 2 }) as [string, string];
  const r0 = g.op('Sub', [g.op('Mul', [x0, t.cos]), g.op('Mul', [x1, t.sin])]);
  const r1 = g.op('Add', [g.op('Mul', [x0, t.sin]), g.op('Mul', [x1, t.cos])]);
  return g.op('Reshape', [g.op('Concat', [r0, r1], { axis: -1 }), g.i64([0, 0, 0, hd])]);
}

/** Split the last axis into the given widths. */
const splitLast = (g: Graph, x: string, widths: number[]) =>
  g.node('Split', [x, g.i64(widths)], { axis: -1 }, { count: widths.length });

/** FLUX's MLPEmbedder: in_layer → SiLU → out_layer. */
const embedder = (g: Graph, name: string, x: string, i: number, d: number) =>
  g.in(name, () => linear(g, 'out_layer', silu(g, linear(g, 'in_layer', x, i, d)), d, d));

interface Ctx {
  d: number;
  heads: number;
  hd: number;
  mlp: number;
  vec: string;
  rope: { cos: string; sin: string };
}

/** Slices [B, L, d] at `at` along the token axis into ([0, at), [at, L)). */
function splitTokens(g: Graph, x: string, at: string): [string, string] {
  const end = dim(g, g.op('Shape', [x]), 1);
  return [g.op('Slice', [x, g.i64([0]), at, g.i64([1])]), g.op('Slice', [x, at, end, g.i64([1])])];
}

function doubleBlock(g: Graph, img: string, txt: string, c: Ctx): { img: string; txt: string } {
  const { d, heads, hd } = c;
  const im = chunks(g, linear(g, 'img_mod.lin', c.vec, d, 6 * d), 6, d);
  const tm = chunks(g, linear(g, 'txt_mod.lin', c.vec, d, 6 * d), 6, d);
  const qkv = (x: string, m: string[], s: string) => {
    const [q, k, v] = splitLast(
      g,
      linear(g, `${s}_attn.qkv`, modulate(g, plainNorm(g, x, d), m[0]!, m[1]!), d, 3 * d),
      [d, d, d],
    ) as [string, string, string];
    return {
      q: toHeads(g, q, heads, hd, `${s}_attn.norm.query_norm`),
      k: toHeads(g, k, heads, hd, `${s}_attn.norm.key_norm`),
      v: toHeads(g, v, heads, hd, null),
    };
  };
  const i = qkv(img, im, 'img');
  const t = qkv(txt, tm, 'txt');
  // FLUX orders the joint sequence text first, as its position ids are.
  const cat = (a: string, b: string) => g.op('Concat', [a, b], { axis: 2 });
  const att = sdpa(g, rope(g, cat(t.q, i.q), c.rope, hd), rope(g, cat(t.k, i.k), c.rope, hd), cat(t.v, i.v), hd);
  const [txtAtt, imgAtt] = splitTokens(g, att, dim(g, g.op('Shape', [txt]), 1));
  const stream = (x: string, a: string, m: string[], s: string) => {
    const y = g.op('Add', [x, g.op('Mul', [m[2]!, linear(g, `${s}_attn.proj`, a, d, d)])]);
    const ff = g.in(`${s}_mlp`, () =>
      linear(g, '2', geluTanh(g, linear(g, '0', modulate(g, plainNorm(g, y, d), m[3]!, m[4]!), d, c.mlp)), c.mlp, d),
    );
    return g.op('Add', [y, g.op('Mul', [m[5]!, ff])]);
  };
  return { img: stream(img, imgAtt, im, 'img'), txt: stream(txt, txtAtt, tm, 'txt') };
}

function singleBlock(g: Graph, x: string, c: Ctx): string {
  const { d, heads, hd } = c;
  const [shift, scale, gate] = chunks(g, linear(g, 'modulation.lin', c.vec, d, 3 * d), 3, d) as [
    string,
    string,
    string,
  ];
  const h = linear(g, 'linear1', modulate(g, plainNorm(g, x, d), shift, scale), d, 3 * d + c.mlp);
  const [q, k, v, mlpIn] = splitLast(g, h, [d, d, d, c.mlp]) as [string, string, string, string];
  const att = sdpa(
    g,
    rope(g, toHeads(g, q, heads, hd, 'norm.query_norm'), c.rope, hd),
    rope(g, toHeads(g, k, heads, hd, 'norm.key_norm'), c.rope, hd),
    toHeads(g, v, heads, hd, null),
    hd,
  );
  const out = linear(g, 'linear2', g.op('Concat', [att, geluTanh(g, mlpIn)], { axis: -1 }), d + c.mlp, d);
  return g.op('Add', [x, g.op('Mul', [gate, out])]);
}

export function buildFlux(g: Graph, a: FluxArch): void {
  const dt = g.dtype;
  const d = a.hidden;
  const hd = d / a.heads;
  const packed = a.latentChannels * a.patchSize * a.patchSize;
  const x = g.input('hidden_states', dt, ['batch', 'tokens', packed]);
  const context = g.input('encoder_hidden_states', dt, ['batch', 'sequence', a.contextDim]);
  const pooled = g.input('pooled_projections', dt, ['batch', a.vecInDim]);
  const timestep = g.input('timestep', 'float32', ['batch']);
  const imgIds = g.input('img_ids', 'float32', ['tokens', 3]);
  const txtIds = g.input('txt_ids', 'float32', ['sequence', 3]);
  const guidance = a.guidanceEmbed ? g.input('guidance', 'float32', ['batch']) : null;

  const scaled = (t: string) => sinusoid(g, g.op('Mul', [t, g.f32([1000], [])]), a.timeEmbedDim);
  let vec = g.op('Add', [
    embedder(g, 'time_in', scaled(timestep), a.timeEmbedDim, d),
    embedder(g, 'vector_in', pooled, a.vecInDim, d),
  ]);
  if (guidance) vec = g.op('Add', [vec, embedder(g, 'guidance_in', scaled(guidance), a.timeEmbedDim, d)]);
  const c: Ctx = {
    d,
    heads: a.heads,
    hd,
    mlp: a.mlpRatio * d,
    vec: silu(g, vec),
    rope: ropeTables(g, g.op('Concat', [txtIds, imgIds], { axis: 0 }), hd),
  };

  let img = linear(g, 'img_in', x, packed, d);
  let txt = linear(g, 'txt_in', context, a.contextDim, d);
  for (let i = 0; i < a.doubleBlocks; i++)
    ({ img, txt } = g.in(`double_blocks.${i}`, () => doubleBlock(g, img, txt, c)));
  let joint = g.op('Concat', [txt, img], { axis: 1 });
  for (let i = 0; i < a.singleBlocks; i++) joint = g.in(`single_blocks.${i}`, () => singleBlock(g, joint, c));
  const [, imgOut] = splitTokens(g, joint, dim(g, g.op('Shape', [txt]), 1));

  // AdaLayerNormContinuous: scale first, then shift.
  const [scale, shift] = chunks(g, linear(g, 'final_layer.adaLN_modulation', c.vec, d, 2 * d), 2, d) as [
    string,
    string,
  ];
  const out = linear(g, 'final_layer.linear', modulate(g, plainNorm(g, imgOut, d), shift, scale), d, packed);
  g.op('Identity', [out], {}, 'out_hidden_states');
  g.output('out_hidden_states', dt, ['batch', 'tokens', packed]);
}
