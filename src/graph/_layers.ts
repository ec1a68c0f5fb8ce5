/**
 * The layers the catalog's architectures are made of, as ONNX subgraphs with the same parameter
 * layout as diffusers / transformers (weights transposed for MatMul, which changes no count).
 * Initialisation is PyTorch's default (uniform ±1/√fan_in for weights and biases; norms scale 1,
 * shift 0), which keeps random-weight activations finite and near unit scale through any depth.
 */
import type { Graph } from './_onnx.ts';

const uniform = (fanIn: number) => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) }) as const;
const ONES = { kind: 'constant', value: 1 } as const;
const ZEROS = { kind: 'constant', value: 0 } as const;

/** x @ W (+ b) on the last axis. */
export function linear(g: Graph, name: string, x: string, i: number, o: number, bias = true): string {
  return g.in(name, () => {
    const y = g.op('MatMul', [x, g.weight('weight', [i, o], uniform(i))]);
    return bias ? g.op('Add', [y, g.weight('bias', [o], uniform(i))]) : y;
  });
}

/** 2-D convolution, "same" padding, optional stride. */
export function conv(
  g: Graph,
  name: string,
  x: string,
  ci: number,
  co: number,
  k: number,
  opts: { stride?: number } = {},
): string {
  return g.in(name, () => {
    const fan = ci * k * k;
    const p = (k - 1) >> 1;
    const s = opts.stride ?? 1;
    return g.op('Conv', [x, g.weight('weight', [co, ci, k, k], uniform(fan)), g.weight('bias', [co], uniform(fan))], {
      kernel_shape: [k, k],
      pads: [p, p, p, p],
      strides: [s, s],
    });
  });
}

/**
 * GroupNorm on NCHW as the standard ONNX export writes it (opset 17 has no GroupNormalization):
 * InstanceNormalization over [N, groups, rest] with unit constants, then the learned per-channel
 * affine. The unit constants are not parameters; the affine is (2 × channels, as in PyTorch).
 */
export function groupNorm(g: Graph, name: string, x: string, c: number, groups: number, eps: number): string {
  return g.in(name, () => {
    const grouped = g.op('Reshape', [x, g.i64([0, groups, -1])]);
    const normed = g.op(
      'InstanceNormalization',
      [grouped, g.f(new Array(groups).fill(1)), g.f(new Array(groups).fill(0))],
      { epsilon: { float: eps } },
    );
    const back = g.op('Reshape', [normed, g.op('Shape', [x])]);
    const scaled = g.op('Mul', [back, g.weight('weight', [c, 1, 1], ONES)]);
    return g.op('Add', [scaled, g.weight('bias', [c, 1, 1], ZEROS)]);
  });
}

export function layerNorm(g: Graph, name: string, x: string, d: number, eps: number): string {
  return g.in(name, () =>
    g.op('LayerNormalization', [x, g.weight('weight', [d], ONES), g.weight('bias', [d], ZEROS)], {
      axis: -1,
      epsilon: { float: eps },
    }),
  );
}

export const silu = (g: Graph, x: string) => g.op('Mul', [x, g.op('Sigmoid', [x])]);

/** Exact (erf) GELU, the pattern onnxruntime fuses into one kernel. */
export function gelu(g: Graph, x: string): string {
  const inner = g.op('Add', [g.op('Erf', [g.op('Div', [x, g.f([Math.SQRT2], [])])]), g.f([1], [])]);
  return g.op('Mul', [g.op('Mul', [x, g.f([0.5], [])]), inner]);
}

/**
 * GELU with the tanh approximation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): what the DiT
 * families' feed-forwards were trained with (diffusers' `gelu-approximate` in SD3's and PixArt's
 * blocks and PixArt's caption projection, `GELU(approximate="tanh")` in FLUX), so real weights need
 * it rather than the exact form. Written out: opset 17 has no `approximate` attribute.
 */
export function geluTanh(g: Graph, x: string): string {
  const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const arg = g.op('Mul', [
    g.op('Add', [x, g.op('Mul', [cube, g.f([0.044715], [])])]),
    g.f([Math.sqrt(2 / Math.PI)], []),
  ]);
  return g.op('Mul', [g.op('Mul', [x, g.f([0.5], [])]), g.op('Add', [g.op('Tanh', [arg]), g.f([1], [])])]);
}

/** CLIP's quick_gelu: x · σ(1.702 x). */
export const quickGelu = (g: Graph, x: string) =>
  g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, g.f([1.702], [])])])]);

/**
 * Multi-head attention on [B, N, dim] queries and a [B, M, kvDim] context (`null`: self-attention),
 * separate q/k/v/out projections as diffusers' Attention; `mask` is added to the scores.
 */
export function attention(
  g: Graph,
  name: string,
  x: string,
  p: {
    dim: number;
    heads: number;
    context?: { x: string; dim: number };
    qkvBias: boolean;
    outBias: boolean;
    mask?: string;
  },
): string {
  return g.in(name, () => {
    const hd = p.dim / p.heads;
    const ctx = p.context ?? { x, dim: p.dim };
    const split = g.i64([0, 0, p.heads, hd]);
    // Scaling q before QKᵀ touches N·dim elements instead of N·M scores.
    const q = g.op('Mul', [linear(g, 'to_q', x, p.dim, p.dim, p.qkvBias), g.f([1 / Math.sqrt(hd)], [])]);
    const k = linear(g, 'to_k', ctx.x, ctx.dim, p.dim, p.qkvBias);
    const v = linear(g, 'to_v', ctx.x, ctx.dim, p.dim, p.qkvBias);
    const qh = g.op('Transpose', [g.op('Reshape', [q, split])], { perm: [0, 2, 1, 3] });
    const kh = g.op('Transpose', [g.op('Reshape', [k, split])], { perm: [0, 2, 3, 1] });
    const vh = g.op('Transpose', [g.op('Reshape', [v, split])], { perm: [0, 2, 1, 3] });
    let scores = g.op('MatMul', [qh, kh]);
    if (p.mask) scores = g.op('Add', [scores, p.mask]);
    const o = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), vh]);
    const merged = g.op('Reshape', [g.op('Transpose', [o], { perm: [0, 2, 1, 3] }), g.i64([0, 0, p.dim])]);
    return linear(g, 'to_out', merged, p.dim, p.dim, p.outBias);
  });
}

/**
 * ResnetBlock2D: norm, SiLU, conv, (+ time embedding projection), norm, SiLU, conv, 1×1 shortcut
 * when the channel count changes. `temb` is SiLU(time embedding), shared by all blocks.
 */
export function resnet(
  g: Graph,
  name: string,
  x: string,
  p: { ci: number; co: number; groups: number; eps: number; temb: { x: string; dim: number } | null },
): string {
  return g.in(name, () => {
    let h = conv(g, 'conv1', silu(g, groupNorm(g, 'norm1', x, p.ci, p.groups, p.eps)), p.ci, p.co, 3);
    if (p.temb) {
      const t = linear(g, 'time_emb_proj', p.temb.x, p.temb.dim, p.co);
      h = g.op('Add', [h, g.op('Unsqueeze', [t, g.i64([2, 3])])]);
    }
    h = conv(g, 'conv2', silu(g, groupNorm(g, 'norm2', h, p.co, p.groups, p.eps)), p.co, p.co, 3);
    const skip = p.ci === p.co ? x : conv(g, 'conv_shortcut', x, p.ci, p.co, 1);
    return g.op('Add', [skip, h]);
  });
}

/** Nearest-neighbour ×2 then a 3×3 conv (diffusers Upsample2D). */
export function upsample(g: Graph, name: string, x: string, c: number): string {
  return g.in(name, () => {
    const up = g.op('Resize', [x, '', g.f32([1, 1, 2, 2])], {
      mode: 'nearest',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
    });
    return conv(g, 'conv', up, c, c, 3);
  });
}

/** [B, C, H, W] → [B, H·W, C] tokens. */
export const toTokens = (g: Graph, x: string, c: number) =>
  g.op('Transpose', [g.op('Reshape', [x, g.i64([0, c, -1])])], { perm: [0, 2, 1] });

/** [B, H·W, C] tokens → the shape of `like` ([B, C, H, W]). */
export const fromTokens = (g: Graph, t: string, like: string) =>
  g.op('Reshape', [g.op('Transpose', [t], { perm: [0, 2, 1] }), g.op('Shape', [like])]);

/**
 * Sinusoidal embedding of a float32 [B] tensor into [B, dim] (diffusers get_timestep_embedding with
 * flip_sin_to_cos=True, shift 0: cos first). Computed in float32, cast to the graph dtype.
 */
export function sinusoid(g: Graph, t: string, dim: number): string {
  const half = dim / 2;
  const freqs = new Float32Array(half).map((_, i) => Math.exp((-Math.log(10000) * i) / half));
  const arg = g.op('Mul', [g.op('Unsqueeze', [t, g.i64([-1])]), g.f32(freqs, [1, half])]);
  const emb = g.op('Concat', [g.op('Cos', [arg]), g.op('Sin', [arg])], { axis: -1 });
  return g.dtype === 'float32' ? emb : g.op('Cast', [emb], { to: 10 });
}
