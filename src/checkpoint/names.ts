/**
 * Name maps from the architecture description's graph tensors to the diffusers and LDM namings:
 * the rows of data/checkpoint/names.ts expanded over an architecture (levels, layers, transformer
 * depth), with each tensor's shape in the graph and in PyTorch. The graph builder binds a
 * checkpoint's tensors through these entries; `torchToGraph` says how each one is laid out.
 */
import {
  CLIP_LAYER,
  CLIP_PROJECTION,
  CLIP_TOP,
  type DitRow,
  FLUX_DOUBLE,
  FLUX_EMBEDDERS,
  FLUX_FINAL,
  FLUX_GUIDANCE,
  FLUX_INPUTS,
  FLUX_SINGLE,
  type FluxRow,
  MMDIT_BLOCK,
  MMDIT_FINAL,
  MMDIT_TOP,
  OPENCLIP_LAYER,
  OPENCLIP_TOP,
  type PartRow,
  PIXART_BLOCK,
  PIXART_FINAL,
  PIXART_TABLES,
  PIXART_TOP,
  type TensorKind,
  TRANSFORMER_BLOCK,
  TRANSFORMER_OUTER,
  UNET_BLOCKS,
  UNET_RESNET,
  UNET_RESNET_SHORTCUT,
  UNET_TOP,
  VAE_BLOCKS,
  VAE_MID_ATTENTION,
  VAE_RESNET,
  VAE_RESNET_SHORTCUT,
} from '../../data/checkpoint/names.ts';
import type {
  AutoencoderArch,
  ClipTextArch,
  CrossDiTArch,
  FluxArch,
  MMDiTArch,
  UNetArch,
} from '../catalog/models.types.ts';

export type Naming = 'diffusers' | 'ldm';

export interface NameEntry {
  graph: string;
  graphShape: number[];
  /** null where that naming splits what the graph fuses (diffusers' FLUX q/k/v): not loadable yet. */
  diffusers: string | null;
  /** The original single-file names: LDM for the UNet families, Black Forest Labs' for FLUX. */
  ldm: string;
  /** Layout of the tensor in each naming relative to the graph (see TensorKind). */
  kind: Record<Naming, TensorKind>;
  /** Shape of the tensor in the file (for a row slice: the whole fused tensor). */
  shape: Record<Naming, number[]>;
  /** Rows [start, end) of the file's tensor that hold this weight (OpenCLIP's fused q/k/v). */
  rows?: Partial<Record<Naming, [number, number]>>;
  /** The file's tensor holds the two halves of its first axis in the other order (BFL's shift, scale). */
  swapHalves?: Partial<Record<Naming, boolean>>;
}

/** PyTorch shape of a tensor of this kind whose graph shape is `g`. */
export function torchShape(kind: TensorKind, g: readonly number[]): number[] {
  switch (kind) {
    case 'linear':
      return g.length === 2 ? [g[1]!, g[0]!] : [...g];
    case 'conv1x1-linear':
      return g.length === 2 ? [g[1]!, g[0]!, 1, 1] : [...g];
    case 'groupnorm':
      return [g[0]!];
    case 'in-out':
      return [...g];
    default:
      return [...g];
  }
}

/** Shape of a part's weight (and bias) in the graph, by kind: linear [in, out], conv [out, in, k, k]. */
type Dims =
  | { kind: 'linear'; i: number; o: number }
  | { kind: 'conv'; o: number; i: number; k: number }
  | { kind: 'norm'; c: number; group: boolean }
  | { kind: 'embedding'; v: number; d: number };

function graphShapes(d: Dims): { weight: number[]; bias: number[] } {
  switch (d.kind) {
    case 'linear':
      return { weight: [d.i, d.o], bias: [d.o] };
    case 'conv':
      return { weight: [d.o, d.i, d.k, d.k], bias: [d.o] };
    case 'norm':
      return d.group ? { weight: [d.c, 1, 1], bias: [d.c, 1, 1] } : { weight: [d.c], bias: [d.c] };
    case 'embedding':
      return { weight: [d.v, d.d], bias: [] };
  }
}

const fill = (t: string, v: Record<string, string | number>) =>
  t.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (!(k in v)) throw new Error(`name map: no value for {${k}} in "${t}"`);
    return String(v[k]);
  });

class Builder {
  readonly out: NameEntry[] = [];
  /** Emit a row's weight (and bias) under three scopes, with per-naming overrides of the kind. */
  emit(
    row: PartRow,
    scope: readonly [string, string, string],
    dims: Dims,
    vars: Record<string, string | number> = {},
    ldmKind?: TensorKind,
  ): void {
    const [g, dif, ldm, kind, bias] = row;
    const join = (a: string, b: string) => (a ? `${a}.${b}` : b);
    const names = [join(scope[0], fill(g, vars)), join(scope[1], fill(dif, vars)), join(scope[2], fill(ldm, vars))];
    const shapes = graphShapes(dims);
    const kinds = { diffusers: kind, ldm: ldmKind ?? kind };
    this.out.push(this.entry(names, 'weight', shapes.weight, kinds));
    if (bias) {
      const bk = kind === 'groupnorm' ? 'groupnorm' : 'vector';
      this.out.push(this.entry(names, 'bias', shapes.bias, { diffusers: bk, ldm: bk }));
    }
  }

  private entry(names: string[], leaf: string, g: number[], kind: Record<Naming, TensorKind>): NameEntry {
    return {
      graph: `${names[0]}.${leaf}`,
      graphShape: g,
      diffusers: `${names[1]}.${leaf}`,
      ldm: `${names[2]}.${leaf}`,
      kind,
      shape: { diffusers: torchShape(kind.diffusers, g), ldm: torchShape(kind.ldm, g) },
    };
  }
}

const lin = (i: number, o: number): Dims => ({ kind: 'linear', i, o });
const conv = (o: number, i: number, k: number): Dims => ({ kind: 'conv', o, i, k });
const gn = (c: number): Dims => ({ kind: 'norm', c, group: true });
const ln = (c: number): Dims => ({ kind: 'norm', c, group: false });

function unetResnet(b: Builder, scope: readonly [string, string, string], ci: number, co: number, temb: number) {
  const dims: Record<string, Dims> = {
    norm1: gn(ci),
    conv1: conv(co, ci, 3),
    time_emb_proj: lin(temb, co),
    norm2: gn(co),
    conv2: conv(co, co, 3),
  };
  for (const r of UNET_RESNET) b.emit(r, scope, dims[r[0]]!);
  if (ci !== co) b.emit(UNET_RESNET_SHORTCUT, scope, conv(co, ci, 1));
}

function transformer(
  b: Builder,
  scope: readonly [string, string, string],
  c: number,
  depth: number,
  ctx: number,
  convProjection: boolean,
) {
  const outer = TRANSFORMER_OUTER;
  b.emit(outer[0]!, scope, gn(c));
  // SD 1.x checkpoints hold proj_in/out as 1×1 convs in both namings (diffusers use_linear_projection=False).
  const projKind: TensorKind = convProjection ? 'conv1x1-linear' : 'linear';
  const proj = (row: PartRow) => b.emit([row[0], row[1], row[2], projKind, row[4]], scope, lin(c, c));
  proj(outer[1]!);
  for (let d = 0; d < depth; d++) {
    const dims: Record<string, Dims> = {
      norm1: ln(c),
      norm2: ln(c),
      norm3: ln(c),
      'attn1.to_q': lin(c, c),
      'attn1.to_k': lin(c, c),
      'attn1.to_v': lin(c, c),
      'attn1.to_out': lin(c, c),
      'attn2.to_q': lin(c, c),
      'attn2.to_k': lin(ctx, c),
      'attn2.to_v': lin(ctx, c),
      'attn2.to_out': lin(c, c),
      'ff.proj': lin(c, 8 * c),
      'ff.out': lin(4 * c, c),
    };
    for (const r of TRANSFORMER_BLOCK) b.emit(r, scope, dims[r[0].replace('block{d}.', '')]!, { d });
  }
  proj(outer[2]!);
}

const scope3 = (t: readonly [string, string, string], v: Record<string, string | number>) =>
  [fill(t[0], v), fill(t[1], v), fill(t[2], v)] as const;

/**
 * The UNet's tensors in graph order. `convProjection`: the checkpoint's transformer proj_in/out
 * are 1×1 convs (SD 1.x) rather than linear layers (SD 2.x, SDXL); the file says which.
 */
export function unetNameMap(a: UNetArch, opts: { convProjection: boolean }): NameEntry[] {
  const b = new Builder();
  const c0 = a.blockOut[0]!;
  const T = 4 * c0;
  const [t1, t2] = UNET_TOP.timeEmbedding;
  b.emit(t1, ['', '', ''], lin(c0, T));
  b.emit(t2, ['', '', ''], lin(T, T));
  if (a.additionEmbedInput !== null) {
    const [a1, a2] = UNET_TOP.addEmbedding;
    b.emit(a1, ['', '', ''], lin(a.additionEmbedInput, T));
    b.emit(a2, ['', '', ''], lin(T, T));
  }
  b.emit(UNET_TOP.convIn, ['', '', ''], conv(c0, a.inChannels, 3));
  const L = a.layersPerBlock;
  const xf = (s: readonly [string, string, string], c: number, depth: number) =>
    transformer(b, s, c, depth, a.crossAttentionDim, opts.convProjection);
  let ch = c0;
  const skips: number[] = [ch];
  for (const [level, out] of a.blockOut.entries()) {
    for (let j = 0; j < L; j++) {
      const n = 1 + level * (L + 1) + j;
      unetResnet(b, scope3(UNET_BLOCKS.downResnet, { level, j, n }), ch, out, T);
      ch = out;
      if (a.crossAttention[level])
        xf(scope3(UNET_BLOCKS.downAttention, { level, j, n }), ch, a.transformerDepth[level]!);
      skips.push(ch);
    }
    if (level < a.blockOut.length - 1) {
      const n = (level + 1) * (L + 1);
      b.emit(['', '', '', 'conv', true], scope3(UNET_BLOCKS.downsample, { level, n }), conv(ch, ch, 3));
      skips.push(ch);
    }
  }
  unetResnet(b, scope3(UNET_BLOCKS.midResnet, { j: 0, m: 0 }), ch, ch, T);
  if (a.midAttention) xf(scope3(UNET_BLOCKS.midAttention, {}), ch, a.midTransformerDepth);
  unetResnet(b, scope3(UNET_BLOCKS.midResnet, { j: 1, m: a.midAttention ? 2 : 1 }), ch, ch, T);
  const levels = a.blockOut.length;
  for (let i = 0; i < levels; i++) {
    const lvl = levels - 1 - i;
    const out = a.blockOut[lvl]!;
    for (let j = 0; j <= L; j++) {
      const n = i * (L + 1) + j;
      unetResnet(b, scope3(UNET_BLOCKS.upResnet, { i, j, n }), ch + skips.pop()!, out, T);
      ch = out;
      if (a.crossAttention[lvl]) xf(scope3(UNET_BLOCKS.upAttention, { i, j, n }), ch, a.transformerDepth[lvl]!);
    }
    if (i < levels - 1) {
      const n = i * (L + 1) + L;
      const k = a.crossAttention[lvl] ? 2 : 1;
      b.emit(['', '', '', 'conv', true], scope3(UNET_BLOCKS.upsample, { i, n, k }), conv(ch, ch, 3));
    }
  }
  b.emit(UNET_TOP.normOut, ['', '', ''], gn(ch));
  b.emit(UNET_TOP.convOut, ['', '', ''], conv(a.outChannels, ch, 3));
  return fixEmpty(b.out);
}

/** Rows emitted with an empty part name carry the scope alone ("down0.downsample.weight"). */
function fixEmpty(entries: NameEntry[]): NameEntry[] {
  const clean = (s: string) => s.replace(/\.\./g, '.').replace(/^\./, '');
  return entries.map((e) => ({
    ...e,
    graph: clean(e.graph),
    diffusers: e.diffusers === null ? null : clean(e.diffusers),
    ldm: clean(e.ldm),
  }));
}

/** The VAE decoder's tensors (what text-to-image runs), graph order. */
export function vaeDecoderNameMap(a: AutoencoderArch): NameEntry[] {
  const b = new Builder();
  const none = ['', '', ''] as const;
  const groups = (c: number) => gn(c);
  if (a.quantConv) b.emit(VAE_BLOCKS.postQuantConv, none, conv(a.latentChannels, a.latentChannels, 1));
  const rev = [...a.blockOut].reverse();
  let ch = rev[0]!;
  b.emit(VAE_BLOCKS.convIn, none, conv(ch, a.latentChannels, 3));
  const res = (s: readonly [string, string, string], ci: number, co: number) => {
    const dims: Record<string, Dims> = {
      norm1: groups(ci),
      conv1: conv(co, ci, 3),
      norm2: groups(co),
      conv2: conv(co, co, 3),
    };
    for (const r of VAE_RESNET) b.emit(r, s, dims[r[0]]!);
    if (ci !== co) b.emit(VAE_RESNET_SHORTCUT, s, conv(co, ci, 1));
  };
  res(scope3(VAE_BLOCKS.midResnet, { j: 0, j1: 1 }), ch, ch);
  if (a.midAttention)
    for (const [g, dif, ldm, kind, ldmKind] of VAE_MID_ATTENTION)
      b.emit([g, dif, ldm, kind, true], none, kind === 'groupnorm' ? groups(ch) : lin(ch, ch), {}, ldmKind);
  res(scope3(VAE_BLOCKS.midResnet, { j: 1, j1: 2 }), ch, ch);
  for (const [i, out] of rev.entries()) {
    const r = rev.length - 1 - i;
    for (let j = 0; j <= a.layersPerBlock; j++) {
      res(scope3(VAE_BLOCKS.upResnet, { i, j, r }), ch, out);
      ch = out;
    }
    if (i < rev.length - 1) b.emit(['', '', '', 'conv', true], scope3(VAE_BLOCKS.upsample, { i, r }), conv(ch, ch, 3));
  }
  b.emit(VAE_BLOCKS.normOut, none, groups(ch));
  b.emit(VAE_BLOCKS.convOut, none, conv(a.imageChannels, ch, 3));
  return fixEmpty(b.out);
}

/** The CLIP text transformer's tensors (transformers' names; LDM SD 1.x files prefix them). */
export function clipTextNameMap(a: ClipTextArch): NameEntry[] {
  const b = new Builder();
  const none = ['', '', ''] as const;
  const d = a.width;
  b.emit(CLIP_TOP[0]!, none, { kind: 'embedding', v: a.vocab, d });
  b.emit(CLIP_TOP[1]!, none, { kind: 'embedding', v: a.maxTokens, d });
  for (let i = 0; i < a.layers; i++) {
    const dims: Record<string, Dims> = {
      layer_norm1: ln(d),
      layer_norm2: ln(d),
      'self_attn.to_q': lin(d, d),
      'self_attn.to_k': lin(d, d),
      'self_attn.to_v': lin(d, d),
      'self_attn.to_out': lin(d, d),
      'mlp.fc1': lin(d, a.ffn),
      'mlp.fc2': lin(a.ffn, d),
    };
    for (const r of CLIP_LAYER) b.emit(r, none, dims[r[0].replace('layer{i}.', '')]!, { i });
  }
  b.emit(CLIP_TOP[2]!, none, ln(d));
  if (a.projection > 0) b.emit(CLIP_PROJECTION, none, lin(d, a.projection));
  return b.out;
}

/**
 * The CLIP text transformer with the LDM column in OpenCLIP's names (SD 2.x and SDXL single files):
 * the graph and diffusers names of clipTextNameMap, q/k/v read as row thirds of the fused in_proj.
 * Files that hold more layers than the architecture uses (SD 2.x keeps all 24 of ViT-H, uses 23)
 * simply have tensors no entry reads.
 */
export function openClipTextNameMap(a: ClipTextArch): NameEntry[] {
  const hf = clipTextNameMap(a);
  const d = a.width;
  const byGraph = new Map<string, { ldm: string; kind: TensorKind; rows?: [number, number] }>();
  const top = OPENCLIP_TOP;
  byGraph.set(top.token[0], { ldm: top.token[1], kind: 'embedding' });
  byGraph.set(top.position[0], { ldm: top.position[1], kind: 'embedding' });
  byGraph.set(`${top.finalNorm[0]}.weight`, { ldm: `${top.finalNorm[1]}.weight`, kind: 'vector' });
  byGraph.set(`${top.finalNorm[0]}.bias`, { ldm: `${top.finalNorm[1]}.bias`, kind: 'vector' });
  byGraph.set(top.projection[0], { ldm: top.projection[1], kind: 'in-out' });
  for (let i = 0; i < a.layers; i++)
    for (const [g, o, kind, third] of OPENCLIP_LAYER) {
      const graph = fill(g, { i });
      const part = fill(o, { i });
      for (const leaf of ['weight', 'bias'] as const) {
        const rows: [number, number] | undefined = third === null ? undefined : [third * d, (third + 1) * d];
        byGraph.set(`${graph}.${leaf}`, {
          // PyTorch's MultiheadAttention names the fused projection in_proj_weight / in_proj_bias.
          ldm: third === null ? `${part}.${leaf}` : `${part}_${leaf}`,
          kind: leaf === 'bias' ? 'vector' : kind,
          ...(rows ? { rows } : {}),
        });
      }
    }
  return hf.map((e) => {
    const o = byGraph.get(e.graph);
    if (!o) throw new Error(`name map: no OpenCLIP name for ${e.graph}`);
    const part = torchShape(o.kind, e.graphShape);
    const shape = o.rows ? [3 * d, ...part.slice(1)] : part;
    return {
      ...e,
      ldm: o.ldm,
      kind: { ...e.kind, ldm: o.kind },
      shape: { ...e.shape, ldm: shape },
      ...(o.rows ? { rows: { ldm: o.rows } } : {}),
    };
  });
}

/**
 * FLUX.1's transformer: graph names (BFL's modules), BFL file names in the `ldm` column (the
 * original single file), diffusers names where they are one tensor each (null where diffusers
 * splits a fused tensor). Norm scales are `.weight` in the graph and diffusers, `.scale` in BFL.
 */
export function fluxNameMap(a: FluxArch): NameEntry[] {
  const d = a.hidden;
  const hd = d / a.heads;
  const mlp = a.mlpRatio * d;
  const packed = a.latentChannels * a.patchSize * a.patchSize;
  const out: NameEntry[] = [];
  const emit = (row: FluxRow, scope: { graph: string; diffusers: string; bfl: string }, i: number, o: number) => {
    const [g, dif, bfl, kind, bias, swap] = row;
    const at = (s: string, p: string) => (s ? `${s}.${p}` : p);
    const isNorm = kind === 'vector';
    const leaves: ['weight' | 'bias', number[], TensorKind][] = isNorm
      ? [['weight', [o], 'vector']]
      : [['weight', [i, o], kind], ...(bias ? ([['bias', [o], 'vector']] as ['bias', number[], TensorKind][]) : [])];
    for (const [leaf, gShape, k] of leaves) {
      const bflLeaf = isNorm ? 'scale' : leaf;
      out.push({
        graph: `${at(scope.graph, g)}.${leaf}`,
        graphShape: gShape,
        diffusers: dif === null ? null : `${at(scope.diffusers, dif)}.${leaf}`,
        ldm: `${at(scope.bfl, bfl)}.${bflLeaf}`,
        kind: { diffusers: k, ldm: k },
        shape: { diffusers: torchShape(k, gShape), ldm: torchShape(k, gShape) },
        ...(swap ? { swapHalves: { ldm: true } } : {}),
      });
    }
  };
  const top = { graph: '', diffusers: '', bfl: '' };
  const [timeIn, timeOut, vecIn, vecOut] = FLUX_EMBEDDERS as [FluxRow, FluxRow, FluxRow, FluxRow];
  emit(timeIn, top, a.timeEmbedDim, d);
  emit(timeOut, top, d, d);
  emit(vecIn, top, a.vecInDim, d);
  emit(vecOut, top, d, d);
  if (a.guidanceEmbed) {
    emit(FLUX_GUIDANCE[0]!, top, a.timeEmbedDim, d);
    emit(FLUX_GUIDANCE[1]!, top, d, d);
  }
  emit(FLUX_INPUTS[0]!, top, packed, d);
  emit(FLUX_INPUTS[1]!, top, a.contextDim, d);
  const doubleDims: Record<string, [number, number]> = {
    'img_mod.lin': [d, 6 * d],
    'txt_mod.lin': [d, 6 * d],
    'img_attn.qkv': [d, 3 * d],
    'txt_attn.qkv': [d, 3 * d],
    'img_attn.proj': [d, d],
    'txt_attn.proj': [d, d],
    'img_mlp.0': [d, mlp],
    'txt_mlp.0': [d, mlp],
    'img_mlp.2': [mlp, d],
    'txt_mlp.2': [mlp, d],
  };
  for (let b = 0; b < a.doubleBlocks; b++)
    for (const row of FLUX_DOUBLE) {
      const [i, o] = doubleDims[row[0]] ?? [hd, hd];
      emit(row, { graph: `double_blocks.${b}`, diffusers: `transformer_blocks.${b}`, bfl: `double_blocks.${b}` }, i, o);
    }
  const singleDims: Record<string, [number, number]> = {
    'modulation.lin': [d, 3 * d],
    linear1: [d, 3 * d + mlp],
    linear2: [d + mlp, d],
  };
  for (let b = 0; b < a.singleBlocks; b++)
    for (const row of FLUX_SINGLE) {
      const [i, o] = singleDims[row[0]] ?? [hd, hd];
      emit(
        row,
        { graph: `single_blocks.${b}`, diffusers: `single_transformer_blocks.${b}`, bfl: `single_blocks.${b}` },
        i,
        o,
      );
    }
  emit(FLUX_FINAL[0]!, top, d, 2 * d);
  emit(FLUX_FINAL[1]!, top, d, packed);
  return out;
}

/**
 * Emits a DiT row's weight (and bias) under three scopes. `i`, `o`: a linear layer's in and out
 * widths (a conv: `o` out channels, `i` in channels, `k` its kernel); a vector row has `o` elements.
 * A fused original tensor holds `of` such parts stacked on its first axis; this entry reads part `part`.
 */
function ditEmit(
  out: NameEntry[],
  row: DitRow,
  scope: { graph: string; diffusers: string; ldm: string },
  dims: { i?: number; o: number; k?: number; table?: boolean },
): void {
  const [g, dif, orig, kind, bias, fused, swap] = row;
  const at = (s: string, p: string) => (s ? `${s}.${p}` : p);
  const wShape =
    kind === 'conv'
      ? [dims.o, dims.i!, dims.k!, dims.k!]
      : kind === 'linear'
        ? [dims.i!, dims.o]
        : dims.table
          ? [dims.i!, dims.o]
          : [dims.o];
  const leaves: ['weight' | 'bias' | '', number[], TensorKind][] = dims.table
    ? [['', wShape, 'embedding']]
    : [['weight', wShape, kind], ...(bias ? ([['bias', [dims.o], 'vector']] as ['bias', number[], TensorKind][]) : [])];
  for (const [leaf, gShape, k] of leaves) {
    const name = (s: string, p: string) => (leaf ? `${at(s, p)}.${leaf}` : at(s, p));
    const torch = torchShape(k, gShape);
    const part = torch[0]!;
    out.push({
      graph: name(scope.graph, g),
      graphShape: gShape,
      diffusers: name(scope.diffusers, dif),
      ldm: name(scope.ldm, orig),
      kind: { diffusers: k, ldm: k },
      shape: { diffusers: torch, ldm: fused ? [fused[1] * part, ...torch.slice(1)] : torch },
      ...(fused ? { rows: { ldm: [fused[0] * part, (fused[0] + 1) * part] as [number, number] } } : {}),
      ...(swap ? { swapHalves: { ldm: true } } : {}),
    });
  }
}

/**
 * SD3 / SD3.5's MMDiT: graph names (src/graph/mmdit.ts), diffusers' SD3Transformer2DModel names, and
 * Stability AI's single-file names in the `ldm` column (fused per-stream qkv read as row thirds; the
 * last context block's and the final layer's (shift, scale) halves swapped). The stored position
 * table (MMDIT_BUFFERS) is in the files but is no graph weight.
 */
export function mmditNameMap(a: MMDiTArch): NameEntry[] {
  const d = a.heads * a.headDim;
  const hd = a.headDim;
  const hidden = a.mlpRatio * d;
  const p = a.patchSize;
  const out: NameEntry[] = [];
  const top = { graph: '', diffusers: '', ldm: '' };
  const [posEmbed, t1, t2, y1, y2, ctx] = MMDIT_TOP as [DitRow, DitRow, DitRow, DitRow, DitRow, DitRow];
  ditEmit(out, posEmbed, top, { o: d, i: a.inChannels, k: p });
  ditEmit(out, t1, top, { i: 256, o: d });
  ditEmit(out, t2, top, { i: d, o: d });
  ditEmit(out, y1, top, { i: a.pooledProjectionDim, o: d });
  ditEmit(out, y2, top, { i: d, o: d });
  ditEmit(out, ctx, top, { i: a.jointAttentionDim, o: d });
  const B = MMDIT_BLOCK;
  for (let i = 0; i < a.depth; i++) {
    const last = i === a.depth - 1;
    const dual = i < a.dualAttentionLayers;
    const s = { graph: `block${i}`, diffusers: `transformer_blocks.${i}`, ldm: `joint_blocks.${i}` };
    const lin = (row: DitRow, o = d, inW = d) => ditEmit(out, row, s, { i: inW, o });
    const norm = (row: DitRow) => {
      if (a.qkNorm) ditEmit(out, row, s, { o: hd });
    };
    lin(B.norm1, (dual ? 9 : 6) * d);
    // The last context block only supplies keys and values: a two-way adaLN, (shift, scale) in SAI's files.
    const nc = B.norm1Context;
    lin(last ? [nc[0], nc[1], nc[2], nc[3], nc[4], nc[5], true] : nc, (last ? 2 : 6) * d);
    lin(B.toQ);
    norm(B.normQ);
    lin(B.addQ);
    norm(B.normAddedQ);
    lin(B.toK);
    norm(B.normK);
    lin(B.addK);
    norm(B.normAddedK);
    lin(B.toV);
    lin(B.addV);
    lin(B.toOut);
    if (!last) lin(B.toAddOut);
    if (dual)
      for (const r of B.attn2) {
        if (r[3] === 'vector' && !a.qkNorm) continue;
        // Without qk-norm the graph builds this attention with the shared helper, scoped `attn2.self`.
        const g = a.qkNorm ? `attn2.${r[0]}` : `attn2.self.${r[0]}`;
        const row: DitRow = [g, r[1], r[2], r[3], r[4], r[5], r[6]];
        if (r[3] === 'vector') ditEmit(out, row, s, { o: hd });
        else lin(row);
      }
    lin(B.ffUp, hidden);
    lin(B.ffDown, d, hidden);
    if (!last) {
      lin(B.ffContextUp, hidden);
      lin(B.ffContextDown, d, hidden);
    }
  }
  ditEmit(out, MMDIT_FINAL[0]!, top, { i: d, o: 2 * d });
  ditEmit(out, MMDIT_FINAL[1]!, top, { i: d, o: p * p * a.outChannels });
  return out;
}

/**
 * PixArt's DiT (cross-dit): graph names (src/graph/cross-dit.ts), diffusers' PixArtTransformer2DModel
 * names, and the original checkpoints' names in the `ldm` column (fused self-attention qkv and
 * cross-attention kv read as row parts). The original files' position table and null caption
 * (PIXART_BUFFERS) are no graph weights.
 */
export function crossDitNameMap(a: CrossDiTArch): NameEntry[] {
  const d = a.heads * a.headDim;
  const hidden = a.mlpRatio * d;
  const p = a.patchSize;
  const out: NameEntry[] = [];
  const top = { graph: '', diffusers: '', ldm: '' };
  const [posEmbed, t1, t2, tBlock, c1, c2] = PIXART_TOP as [DitRow, DitRow, DitRow, DitRow, DitRow, DitRow];
  ditEmit(out, posEmbed, top, { o: d, i: a.inChannels, k: p });
  ditEmit(out, t1, top, { i: a.timeEmbedDim, o: d });
  ditEmit(out, t2, top, { i: d, o: d });
  ditEmit(out, tBlock, top, { i: d, o: 6 * d });
  ditEmit(out, c1, top, { i: a.captionChannels, o: d });
  ditEmit(out, c2, top, { i: d, o: d });
  const table = (names: readonly [string, string, string]) =>
    [names[0], names[1], names[2], 'embedding', false, null, false] as DitRow;
  for (let i = 0; i < a.depth; i++) {
    const s = { graph: `block${i}`, diffusers: `transformer_blocks.${i}`, ldm: `blocks.${i}` };
    ditEmit(out, table(PIXART_TABLES.block), s, { i: 6, o: d, table: true });
    for (const row of PIXART_BLOCK) {
      const [inW, o] = row[0] === 'ff.up' ? [d, hidden] : row[0] === 'ff.down' ? [hidden, d] : [d, d];
      ditEmit(out, row, s, { i: inW, o });
    }
  }
  ditEmit(out, table(PIXART_TABLES.final), top, { i: 2, o: d, table: true });
  ditEmit(out, PIXART_FINAL, top, { i: d, o: p * p * a.outChannels });
  return out;
}
