/**
 * A tracer that turns an architecture walk into `Op`s and keeps the live-activation bookkeeping.
 *
 * The memory model is an eager framework's: each op allocates a fresh output while its input is
 * still referenced; tensors that a later op needs (UNet skips, residual inputs) stay "held". So the
 * activation peak of an op is held + current input + output (+ attention workspace, added later per
 * kernel). Norms and activations are not in place, which is what makes VAE decode at high resolution
 * so expensive (a GroupNorm and a SiLU output beside the held residual, each the size of the input).
 */
import type { AttentionShape, Op, OpKind } from '../types.ts';

export class Tracer {
  readonly ops: Op[] = [];
  private held: number[] = [];
  private heldSum = 0;
  /** Elements of the current activation, and whether it is the same tensor as the top held one. */
  private cur: number;
  private curHeld = false;
  private scope: string[] = [];

  constructor(inputElems: number) {
    this.cur = inputElems;
  }

  get current(): number {
    return this.cur;
  }

  /** Run `body` with `name` appended to the op path. */
  in<T>(name: string | number, body: () => T): T {
    this.scope.push(String(name));
    try {
      return body();
    } finally {
      this.scope.pop();
    }
  }

  /** Record one op producing `out` elements from the current activation. */
  op(
    kind: OpKind,
    name: string,
    p: {
      params?: number;
      macs?: number;
      out: number;
      extraIn?: number;
      extraLive?: number;
      attention?: AttentionShape;
      groups?: number;
      /** Extra activation elements read + written beyond input + output (several passes over one tensor). */
      extraIo?: number;
      launches?: number;
      keptFp32?: true;
    },
  ): void {
    const inElems = this.cur + (p.extraIn ?? 0);
    const live = this.heldSum + (this.curHeld ? 0 : this.cur) + (p.extraIn ?? 0) + (p.extraLive ?? 0) + p.out;
    const op: Op = {
      kind,
      name: [...this.scope, name].join('.'),
      params: p.params ?? 0,
      macs: p.macs ?? 0,
      ioElems: inElems + p.out + (p.extraIo ?? 0),
      liveElems: live,
    };
    if (p.launches && p.launches !== 1) op.launches = p.launches;
    if (p.attention) op.attention = p.attention;
    if (p.groups) op.groups = p.groups;
    if (p.keptFp32) op.keptFp32 = true;
    this.ops.push(op);
    this.cur = p.out;
    this.curHeld = false;
  }

  /**
   * Parameters that run once per forward on a tiny input (time/pooled embeddings, adaLN modulation):
   * no activation cost.
   */
  param(kind: OpKind, name: string, params: number, macs: number, flags: { modulation?: true } = {}): void {
    const op: Op = {
      kind,
      name: [...this.scope, name].join('.'),
      params,
      macs,
      ioElems: 0,
      liveElems: this.heldSum + this.cur,
    };
    if (flags.modulation) op.modulation = true;
    this.ops.push(op);
  }

  /** Keep the current activation alive (a skip connection or a residual input). */
  hold(): void {
    this.held.push(this.cur);
    this.heldSum += this.cur;
    this.curHeld = true;
  }

  /** Release the most recently held tensor; returns its size. */
  release(): number {
    const x = this.held.pop();
    if (x === undefined) throw new Error('tracer: release without hold');
    this.heldSum -= x;
    return x;
  }

  /** Replace the current activation without an op (a view / reshape). */
  set(elems: number): void {
    this.cur = elems;
    this.curHeld = false;
  }
}

// Parameter formulas shared by the walkers. conv(ci,co,k) = ci·co·k²/groups + co; lin(i,o) = i·o + o.
export const convParams = (ci: number, co: number, k: number, bias = true, groups = 1) =>
  (ci * co * k * k) / groups + (bias ? co : 0);
export const linParams = (i: number, o: number, bias = true) => i * o + (bias ? o : 0);

/**
 * 2-D convolution on the current activation; `hw` is the output pixel count. Frameworks keep images
 * channels-first (NCHW) while tensor-core convolution kernels work channels-last, so cuDNN runs a
 * spatial convolution through a workspace holding NHWC copies of its input and output. Measured on an
 * H100 (data/eval/own-gpu): the SD VAE decoder's activation peak is that of its largest 3×3
 * convolution plus exactly input + output. A 1×1 convolution runs as a matrix product in place.
 */
export function conv(
  t: Tracer,
  name: string,
  ci: number,
  co: number,
  k: number,
  hw: number,
  opts: { bias?: boolean; groups?: number } = {},
): void {
  const groups = opts.groups ?? 1;
  const workspace = k > 1 ? t.current + co * hw : 0;
  t.op('conv', name, {
    params: convParams(ci, co, k, opts.bias ?? true, groups),
    macs: (hw * co * ci * k * k) / groups,
    out: co * hw,
    extraLive: workspace,
  });
}

/** Linear layer applied to `tokens` rows of the current activation. */
export function linear(t: Tracer, name: string, i: number, o: number, tokens: number, bias = true): void {
  t.op('linear', name, { params: linParams(i, o, bias), macs: tokens * i * o, out: tokens * o });
}

/** A normalisation: `paramsPerChannel` × channels learned (GroupNorm/LayerNorm 2, RMSNorm 1, none 0); `groups` for a GroupNorm. */
export function norm(t: Tracer, name: string, channels: number, paramsPerChannel: number, groups?: number): void {
  t.op('norm', name, { params: channels * paramsPerChannel, out: t.current, ...(groups ? { groups } : {}) });
}

/** An elementwise op that allocates its output (activation, add, interpolate). */
export function elementwise(t: Tracer, name: string, out = t.current, extraIn = 0): void {
  t.op('elementwise', name, { out, extraIn });
}

/**
 * Eager elementwise kernels over the current activation that leave its size unchanged (adaLN
 * modulation, gates, RoPE, q/k RMSNorm, concatenations): `bytesPerElem` is what all of them read and
 * write together per element of `elems`, in bytes at 16-bit activations (fp32 intermediates count
 * double), and `kernels` how many launches they take. One op, so the memory walk sees one output
 * the size of the input, as for any elementwise op (their temporaries are freed one by one).
 */
export function eagerPasses(t: Tracer, name: string, elems: number, bytesPerElem: number, kernels: number): void {
  // ioElems counts elements at the activation width (2 bytes here): input + output is one pass, 4 bytes.
  const io = (elems * bytesPerElem) / 2;
  const cur = t.current;
  t.op('elementwise', name, { out: cur, extraIo: Math.max(0, io - 2 * cur), launches: kernels });
}

/**
 * Multi-head attention on the current (normed) activation of `queries` tokens × `dim`.
 * `kv` is the key/value source: self (same tokens) or a context of `keys` tokens × `kvDim`.
 * Projections are separate linears (q, k, v, out) as in diffusers' Attention.
 */
export function attention(
  t: Tracer,
  name: string,
  p: {
    dim: number;
    heads: number;
    queries: number;
    keys: number;
    kvDim: number;
    qkvBias: boolean;
    outBias: boolean;
    qkNormParams?: number;
    outProj?: boolean;
  },
): void {
  const headDim = p.dim / p.heads;
  const inner = p.dim;
  const qkv = p.queries * inner + 2 * p.keys * inner;
  const params = linParams(p.dim, inner, p.qkvBias) + 2 * linParams(p.kvDim, inner, p.qkvBias) + (p.qkNormParams ?? 0);
  t.op('linear', `${name}.qkv`, {
    params,
    macs: p.queries * p.dim * inner + 2 * p.keys * p.kvDim * inner,
    out: qkv,
  });
  // diffusers' Attention copies q, k and v into (batch·heads, tokens, head_dim) layout before SDPA,
  // so the projections and their reshaped copies are alive together.
  t.op('attention', `${name}.sdpa`, {
    macs: p.heads * p.queries * p.keys * 2 * headDim,
    out: p.queries * inner,
    extraLive: qkv,
    attention: { heads: p.heads, queries: p.queries, keys: p.keys, headDim },
  });
  if (p.outProj ?? true) linear(t, `${name}.out`, inner, p.dim, p.queries, p.outBias);
}
