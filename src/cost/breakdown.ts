/**
 * The device-independent breakdown of a workload: per component its parameters, weight bytes in
 * every format, FLOPs per forward, how often it runs per image, and its activation peak under each
 * attention kernel. Pure: a workload in, numbers out.
 */

import { components } from '../catalog/models.ts';
import type { Component, Precision, Role } from '../catalog/models.types.ts';
import { sumMacs, walk } from './analyze/index.ts';
import {
  computeBytes,
  isQuantized,
  keepsFp32Modules,
  keepsModulation16,
  PRECISION_NAMES,
  PRECISIONS,
} from './precision.ts';
import type { AttentionKernel, Geometry, Op, Phase } from './types.ts';
import type { Workload } from './workload.ts';

/** Tile edge in pixels for tiled VAE decode (ComfyUI VAEDecodeTiled default 512, overlap 64 → stride 448). */
export const VAE_TILE_PX = 512;
export const VAE_TILE_OVERLAP_PX = 64;

export interface ComponentBreakdown {
  role: Role;
  name: string;
  phase: Phase;
  parameters: number;
  /** Persistent buffers stored with the weights (not parameters). */
  buffers: number;
  precision: Precision;
  weightBytes: number;
  weightBytesByPrecision: Record<Precision, number>;
  /** Parameters stored in float32 in `precision` because the loader keeps them there (T5's `wo` in fp16 or under bitsandbytes); 0 otherwise. */
  fp32KeptParameters: number;
  /** The layers its library keeps out of `precision` (the time model runs them unquantized). */
  kept: KeptLayers;
  /** FLOPs of one forward of one sample (2 × MACs). */
  flopsPerForward: number;
  /** Forwards per pipeline call, as samples: text encoders 1–2 prompts, denoiser steps × passes, VAE 1 per image. */
  samplesPerCall: number;
  /** Samples in one forward (the batch the op runs on). */
  forwardBatch: number;
  forwardsPerCall: number;
  /** Activation peak bytes of one forward at `forwardBatch`, per attention kernel. */
  activationBytes: Record<AttentionKernel, number>;
  /** The ops of one forward (one sample), for the time model. */
  ops: Op[];
  /** The same ops with identical cost merged (repeated blocks): what the time model iterates. */
  opGroups: { op: Op; count: number }[];
}

/** Merge ops whose cost inputs are identical; a 38-block transformer becomes a few dozen groups. */
export function groupOps(ops: readonly Op[]): { op: Op; count: number }[] {
  const groups = new Map<string, { op: Op; count: number }>();
  for (const op of ops) {
    const a = op.attention;
    const key = `${op.kind}|${op.macs}|${op.ioElems}|${op.params}|${op.launches ?? 1}|${a ? `${a.heads},${a.queries},${a.keys},${a.headDim}` : ''}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { op, count: 1 });
  }
  return [...groups.values()];
}

const KERNELS: AttentionKernel[] = ['naive', 'sliced', 'flash', 'math'];

/** Scratch memory an attention op needs beyond q, k, v and output, for `batch` samples. */
export function attentionWorkspace(op: Op, batch: number, kernel: AttentionKernel, bytes: number): number {
  const a = op.attention;
  if (!a) return 0;
  const scores = a.queries * a.keys;
  switch (kernel) {
    // Materialised scores and their softmax, both alive at once.
    case 'naive':
      return 2 * batch * a.heads * scores * bytes;
    // The same in fp32 (its fp32 copies of q, k and v are small beside the scores).
    case 'math':
      return 2 * batch * a.heads * scores * 4;
    // diffusers "auto" slicing: half the heads of one sample at a time.
    case 'sliced':
      return 2 * Math.max(1, Math.floor(a.heads / 2)) * scores * bytes;
    // Fused kernels keep only a float32 log-sum-exp per query row.
    case 'flash':
      return batch * a.heads * a.queries * 4;
  }
}

export function activationPeak(ops: readonly Op[], batch: number, kernel: AttentionKernel, bytes: number): number {
  let peak = 0;
  for (const op of ops)
    peak = Math.max(peak, op.liveElems * batch * bytes + attentionWorkspace(op, batch, kernel, bytes));
  return peak;
}

/** Which layers a library keeps out of a component's storage format (src/cost/precision.ts). */
export interface KeptLayers {
  /** `Op.keptFp32` layers in float32. */
  fp32: boolean;
  /** `Op.modulation` layers in the 16-bit compute type. */
  modulation: boolean;
}

const NONE_KEPT: KeptLayers = { fp32: false, modulation: false };

/** Whether an op's weights are stored in the component's (quantized) format, not kept out of it. */
export function storedQuantized(op: Op, kept: KeptLayers): boolean {
  if (kept.fp32 && op.keptFp32) return false;
  return (op.kind === 'linear' || op.kind === 'conv') && !(kept.modulation && op.modulation);
}

/**
 * Stored bytes of a component's weights in a format: matmul/conv weights quantized, the rest 16-bit;
 * the layers the library keeps (`kept`) in float32 or 16-bit.
 */
export function weightBytes(ops: readonly Op[], buffers: number, p: Precision, kept: KeptLayers = NONE_KEPT): number {
  const info = PRECISIONS[p];
  const plain = isQuantized(p) ? 2 : info.bytesPerParam;
  let bytes = buffers * plain;
  for (const op of ops)
    bytes += op.params * (kept.fp32 && op.keptFp32 ? 4 : storedQuantized(op, kept) ? info.bytesPerParam : plain);
  return bytes;
}

function keptLayers(role: Role, p: Precision, w: Workload): KeptLayers {
  return {
    fp32: keepsFp32Modules(role, p, w.quantBackend),
    modulation: keepsModulation16(role, p, w.quantBackend, w.software.frontend === 'script'),
  };
}

function geometryFor(w: Workload, width: number, height: number): Geometry {
  const down = 2 ** (w.model.vae.arch.blockOut.length - 1);
  return { width, height, latentWidth: width / down, latentHeight: height / down, textTokens: contextTokens(w) };
}

/** Context tokens the denoiser attends to: CLIP encoders share one 77-token context; T5 tokens add to it in joint models. */
export function contextTokens(w: Workload): number {
  const encs = w.model.textEncoders;
  const t5 = encs.find((e) => e.arch.kind === 't5-encoder')?.arch.maxTokens ?? 0;
  const clip = encs.some((e) => e.arch.kind === 'clip-text') ? 77 : 0;
  // FLUX uses CLIP only as a pooled vector; SD3 concatenates CLIP and T5 tokens; PixArt has T5 only.
  const arch = w.model.denoiser.arch.kind;
  if (arch === 'flux' || arch === 'cross-dit') return t5;
  if (arch === 'mmdit') return clip + t5;
  return clip;
}

function phaseOf(role: Role): Phase {
  return role === 'text-encoder' ? 'text-encoding' : role === 'vae' ? 'vae-decode' : 'denoising';
}

/**
 * Walks are pure in (architecture, geometry) and planners ask for the same ones thousands of times
 * (every device × batch × strategy), so each architecture keeps its walks and their derived sums.
 */
const walks = new WeakMap<object, Map<string, Op[]>>();
const derived = new WeakMap<
  readonly Op[],
  {
    groups: { op: Op; count: number }[];
    macs: number;
    params: number;
    keptFp32Params: number;
    weights: Map<string, number>;
  }
>();

function walkCached(arch: Component['arch'], geom: ReturnType<typeof geometryFor>): Op[] {
  let byGeom = walks.get(arch);
  if (!byGeom) walks.set(arch, (byGeom = new Map()));
  const key = JSON.stringify(geom);
  let ops = byGeom.get(key);
  if (!ops) {
    ops = walk(arch, geom);
    if (byGeom.size > 64) byGeom.clear(); // bounded: sweeps over many sizes should not grow without end
    byGeom.set(key, ops);
  }
  return ops;
}

function sums(ops: readonly Op[]) {
  let d = derived.get(ops);
  if (!d)
    derived.set(
      ops,
      (d = {
        groups: groupOps(ops),
        macs: sumMacs(ops),
        params: ops.reduce((s, o) => s + o.params, 0),
        keptFp32Params: ops.reduce((s, o) => s + (o.keptFp32 ? o.params : 0), 0),
        weights: new Map(),
      }),
    );
  return d;
}

export function breakdown(w: Workload): ComponentBreakdown[] {
  const list = components(w.model).filter((c) => c.role !== 'controlnet' || w.controlnet);
  return list.map((c) => {
    const geom = geometryFor(w, w.width, w.height);
    const ops = walkCached(c.arch, geom);
    const precision = w.precision[c.role];
    const kept = keptLayers(c.role, precision, w);
    const bytes = computeBytes(precision);
    const buffers = c.buffers ?? 0;
    const opSums = sums(ops);
    const byPrecision = Object.fromEntries(
      PRECISION_NAMES.map((p) => {
        const kept = keptLayers(c.role, p, w);
        const key = `${p}:${buffers}:${kept.fp32}:${kept.modulation}`;
        let b = opSums.weights.get(key);
        if (b === undefined) opSums.weights.set(key, (b = weightBytes(ops, buffers, p, kept)));
        return [p, b];
      }),
    ) as Record<Precision, number>;
    let forwardBatch: number;
    let forwardsPerCall: number;
    let actOps = ops;
    if (c.role === 'text-encoder') {
      // The negative prompt is encoded too under CFG; prompts are encoded once per call.
      forwardBatch = w.passes;
      forwardsPerCall = 1;
    } else if (c.role === 'vae') {
      forwardBatch = w.vaeTiling ? 1 : w.batch;
      forwardsPerCall = w.vaeTiling ? w.batch * vaeTiles(w.width, w.height) : 1;
      if (w.vaeTiling)
        actOps = walkCached(c.arch, geometryFor(w, Math.min(VAE_TILE_PX, w.width), Math.min(VAE_TILE_PX, w.height)));
    } else {
      forwardBatch = w.batch * w.passes;
      forwardsPerCall = w.steps;
    }
    const activationBytes = Object.fromEntries(
      KERNELS.map((k) => [k, activationPeak(actOps, forwardBatch, k, bytes)]),
    ) as Record<AttentionKernel, number>;
    if (c.role === 'vae' && w.vaeTiling) {
      // The decoded images are assembled in one full-size output buffer.
      for (const k of KERNELS) activationBytes[k] += w.batch * 3 * w.width * w.height * bytes;
    }
    return {
      role: c.role,
      name: c.name,
      phase: phaseOf(c.role),
      parameters: opSums.params,
      buffers,
      precision,
      weightBytes: byPrecision[precision],
      fp32KeptParameters: kept.fp32 ? opSums.keptFp32Params : 0,
      kept,
      weightBytesByPrecision: byPrecision,
      flopsPerForward: 2 * sums(actOps).macs,
      samplesPerCall: forwardBatch * forwardsPerCall,
      forwardBatch,
      forwardsPerCall,
      activationBytes,
      ops: actOps,
      opGroups: sums(actOps).groups,
    };
  });
}

/** Tiles of a tiled decode (stride = tile − overlap). */
export function vaeTiles(width: number, height: number): number {
  const stride = VAE_TILE_PX - VAE_TILE_OVERLAP_PX;
  const n = (side: number) => (side <= VAE_TILE_PX ? 1 : Math.ceil((side - VAE_TILE_OVERLAP_PX) / stride));
  return n(width) * n(height);
}
