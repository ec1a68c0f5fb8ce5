/**
 * Pieces the transformer denoisers share: LayerNorm without affine, adaLN modulation, a 2-D sin-cos
 * position table computed in the graph for the actual token grid (no stored buffer, any size),
 * RMSNorm over the head dimension, head split and scaled dot-product attention, and
 * patchify/unpatchify with dynamic height and width.
 */

import { conv } from './_layers.ts';
import type { Graph } from './_onnx.ts';

const EPS = 1e-6;

/** LayerNorm without learned affine (elementwise_affine=False): the unit scale is a constant. */
export const plainNorm = (g: Graph, x: string, d: number) =>
  g.op('LayerNormalization', [x, g.f(new Array(d).fill(1))], { axis: -1, epsilon: { float: EPS } });

/** x · (1 + scale) + shift, the adaLN modulation. */
export const modulate = (g: Graph, x: string, shift: string, scale: string) =>
  g.op('Add', [g.op('Mul', [x, g.op('Add', [scale, g.f([1], [])])]), shift]);

/** A scalar dimension of `shape` as a 1-element int64 tensor. */
export const dim = (g: Graph, shape: string, i: number) => g.op('Gather', [shape, g.i64([i])], { axis: 0 });

/** Sin-cos embedding of positions 0..n-1 into [n, d/2] (d/4 frequencies, sin then cos), float32. */
function axisEmbedding(g: Graph, n: string, d: number): string {
  const q = d / 4;
  const omega = Float32Array.from({ length: q }, (_, i) => 1 / 10000 ** (i / q));
  const limit = g.op('Squeeze', [g.op('Cast', [n], { to: 1 })]);
  const pos = g.op('Range', [g.f32([0], []), limit, g.f32([1], [])]);
  const arg = g.op('Mul', [g.op('Unsqueeze', [pos, g.i64([1])]), g.f32(omega, [1, q])]);
  return g.op('Concat', [g.op('Sin', [arg]), g.op('Cos', [arg])], { axis: -1 });
}

/** The [1, h·w, d] position table for an h × w token grid (height half, width half). */
export function positionTable(g: Graph, h: string, w: string, d: number): string {
  const half = d / 2;
  const eh = g.op('Unsqueeze', [axisEmbedding(g, h, d), g.i64([1])]); // [h, 1, d/2]
  const ew = g.op('Unsqueeze', [axisEmbedding(g, w, d), g.i64([0])]); // [1, w, d/2]
  const grid = g.op('Concat', [h, w, g.i64([half])], { axis: 0 });
  const table = g.op('Concat', [g.op('Expand', [eh, grid]), g.op('Expand', [ew, grid])], { axis: -1 });
  const flat = g.op('Reshape', [table, g.i64([1, -1, d])]);
  return g.dtype === 'float32' ? flat : g.op('Cast', [flat], { to: 10 });
}

/** RMSNorm over the last axis with a learned scale (`dims` elements): x / √(mean(x²) + ε) · w. */
export function rmsNorm(g: Graph, name: string, x: string, dims: number, eps = 1e-6): string {
  const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
  const normed = g.op('Div', [x, g.op('Sqrt', [g.op('Add', [ms, g.f([eps], [])])])]);
  return g.op('Mul', [normed, g.weight(`${name}.weight`, [dims], { kind: 'constant', value: 1 })]);
}

/** Patch embedding (conv, stride = patch) into [B, h·w, d] tokens plus the position table; returns the grid dims for unpatchify. */
export function patchify(g: Graph, x: string, inChannels: number, d: number, p: number) {
  const patched = conv(g, 'pos_embed.proj', x, inChannels, d, p, { stride: p });
  const shape = g.op('Shape', [patched]);
  const grid = { B: dim(g, shape, 0), h: dim(g, shape, 2), w: dim(g, shape, 3) };
  const tokens = g.op('Transpose', [g.op('Reshape', [patched, g.i64([0, d, -1])])], { perm: [0, 2, 1] });
  return { tokens: g.op('Add', [tokens, positionTable(g, grid.h, grid.w, d)]), grid };
}

/** [B, h·w, p·p·C] → [B, h, w, p, p, C] → [B, C, h, p, w, p] → [B, C, h·p, w·p], named `output`. */
export function unpatchify(
  g: Graph,
  x: string,
  grid: { B: string; h: string; w: string },
  p: number,
  c: number,
  output: string,
): void {
  const six = g.op('Reshape', [x, g.op('Concat', [grid.B, grid.h, grid.w, g.i64([p, p, c])], { axis: 0 })]);
  const moved = g.op('Transpose', [six], { perm: [0, 5, 1, 3, 2, 4] });
  const side = (n: string) => g.op('Mul', [n, g.i64([p])]);
  g.op('Reshape', [moved, g.op('Concat', [grid.B, g.i64([c]), side(grid.h), side(grid.w)], { axis: 0 })], {}, output);
}

/** Split [B, k·d] modulation into k tensors of [B, 1, d]. */
export function chunks(g: Graph, x: string, k: number, d: number): string[] {
  const r = g.op('Reshape', [x, g.i64([-1, k, d])]);
  return g.node('Split', [r, g.i64(new Array(k).fill(1))], { axis: 1 }, { count: k });
}

/** [B, N, heads·hd] → [B, heads, N, hd], RMS-normed over hd when `norm` names the scale. */
export function toHeads(g: Graph, x: string, heads: number, hd: number, norm: string | null): string {
  let h = g.op('Reshape', [x, g.i64([0, 0, heads, hd])]);
  if (norm) h = rmsNorm(g, norm, h, hd);
  return g.op('Transpose', [h], { perm: [0, 2, 1, 3] });
}

/** Scaled dot-product attention on [B, H, L, hd] heads → [B, L, H·hd]. */
export function sdpa(g: Graph, q: string, k: string, v: string, hd: number): string {
  const scores = g.op('MatMul', [
    g.op('Mul', [q, g.f([1 / Math.sqrt(hd)], [])]),
    g.op('Transpose', [k], { perm: [0, 1, 3, 2] }),
  ]);
  const o = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
  return g.op('Reshape', [g.op('Transpose', [o], { perm: [0, 2, 1, 3] }), g.i64([0, 0, -1])]);
}
