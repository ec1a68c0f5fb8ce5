/**
 * Walks the transformer denoisers: SD3-family MMDiT, FLUX double/single-stream, PixArt cross-DiT.
 * Image tokens = (latent side / patch)²; every block works on a residual stream that is held while
 * its norm → attention/MLP → gated add runs. Text streams are held alongside the image stream.
 */
import type { CrossDiTArch, FluxArch, MMDiTArch } from '../../catalog/models.types.ts';
import { attention, conv, eagerPasses, elementwise, linear, linParams, norm, Tracer } from './trace.ts';

/** Marks an adaLN modulation projection (in PixArt, the whole adaln_single with its timestep MLP). */
const MOD = { modulation: true } as const;

/**
 * The eager elementwise kernels of the diffusers transformer blocks (transformer_flux.py,
 * transformer_sd3.py / attention_processor.py, pixart's BasicTransformerBlock) that the walk's norm,
 * linear and attention ops do not cover, as bytes read + written per element of the tensor they run
 * over at 16-bit activations (fp32 temporaries count 4 bytes) and kernels launched. Counted from the
 * code, not fitted: at 4096 image tokens they stream several GB per block and are why a FLUX or
 * SD3.5 step runs well below the GEMM rate on an H100 (own runs, data/eval/own-gpu).
 */
export const EAGER = {
  /** adaLN `norm(x) * (1 + scale) + shift`: a multiply and an add (and the tiny 1 + scale). */
  modulate: { bytes: 8, kernels: 3 },
  /** `gate * x` before a residual add. */
  gate: { bytes: 4, kernels: 1 },
  /**
   * diffusers RMSNorm on q or k: to(float32) 6, pow 8, mean 4, x·rsqrt (16-bit in, fp32 out) 6,
   * to(dtype) 6, ·weight 4 bytes; plus the eps add and rsqrt on the row statistics.
   */
  rmsNorm: { bytes: 34, kernels: 8 },
  /**
   * apply_rotary_emb (use_real) on q or k: neg of half 2, stack 4, x.float() 6, ·cos 8,
   * x_rotated.float() 6, ·sin 8, add 12, to(dtype) 6 bytes.
   */
  rope: { bytes: 52, kernels: 8 },
  /** A copy into a new tensor: torch.cat, or the transpose back to (tokens, heads·dim) after SDPA. */
  copy: { bytes: 4, kernels: 1 },
} as const;

type Pass = { bytes: number; kernels: number };
/** Several eager kernel groups over one tensor of `elems` elements, as one op. */
function passes(t: Tracer, name: string, elems: number, list: readonly (readonly [Pass, number])[]): void {
  const bytes = list.reduce((s, [p, n]) => s + p.bytes * n, 0);
  const kernels = list.reduce((s, [p, n]) => s + p.kernels * n, 0);
  eagerPasses(t, name, elems, bytes, kernels);
}

export interface DiTGeometry {
  latentHeight: number;
  latentWidth: number;
  textTokens: number;
}

const tokensOf = (g: DiTGeometry, patch: number) =>
  Math.ceil(g.latentHeight / patch) * Math.ceil(g.latentWidth / patch);

/** Pre-norm MLP with a residual: norm → up → activation → down → add. */
function mlp(t: Tracer, name: string, d: number, hidden: number, tokens: number): void {
  t.in(name, () => {
    t.hold();
    norm(t, 'norm', d, 0);
    linear(t, 'up', d, hidden, tokens);
    elementwise(t, 'act');
    linear(t, 'down', hidden, d, tokens);
    t.release();
    elementwise(t, 'residual');
  });
}

/**
 * Joint attention over [image; text] with separate projections per stream (MMDiT / FLUX double blocks).
 * `textOut` false for SD3's last block, where the text stream only supplies keys and values.
 */
function jointAttention(
  t: Tracer,
  name: string,
  p: { d: number; heads: number; img: number; txt: number; qkNorm: number; textOut: boolean; fusedQkv: boolean },
): void {
  const { d, heads, img, txt } = p;
  const L = img + txt;
  const hd = d / heads;
  t.in(name, () => {
    // Both streams' q, k, v (and the concatenated sequence) are alive together.
    const qkvParams = p.fusedQkv ? 2 * linParams(d, 3 * d) : 6 * linParams(d, d);
    t.op('linear', 'qkv', { params: qkvParams + p.qkNorm, macs: 3 * L * d * d, out: 3 * L * d });
    t.op('attention', 'sdpa', {
      macs: heads * L * L * 2 * hd,
      out: L * d,
      attention: { heads, queries: L, keys: L, headDim: hd },
    });
    linear(t, 'out.img', d, d, img);
    if (p.textOut) t.op('linear', 'out.txt', { params: linParams(d, d), macs: txt * d * d, out: txt * d, extraIn: 0 });
  });
}

export function walkMMDiT(a: MMDiTArch, g: DiTGeometry): Tracer {
  const d = a.heads * a.headDim;
  const img = tokensOf(g, a.patchSize);
  const txt = g.textTokens;
  const t = new Tracer(a.inChannels * g.latentHeight * g.latentWidth);
  conv(t, 'pos_embed.proj', a.inChannels, d, a.patchSize, img);
  t.param(
    'linear',
    'time_text_embed',
    linParams(256, d) + linParams(d, d) + linParams(a.pooledProjectionDim, d) + linParams(d, d),
    256 * d + 2 * d * d + a.pooledProjectionDim * d,
  );
  t.hold(); // image stream while the context is embedded
  t.set(txt * a.jointAttentionDim);
  linear(t, 'context_embedder', a.jointAttentionDim, d, txt);
  t.release();
  t.set(img * d + txt * d);
  const qkNorm = a.qkNorm ? 4 * a.headDim : 0;
  for (let i = 0; i < a.depth; i++) {
    const last = i === a.depth - 1;
    const dual = i < a.dualAttentionLayers;
    t.in(`block${i}`, () => {
      // adaLN-Zero modulation: image 6D (9D with the extra attention), text 6D (2D on the last block).
      const modImg = (dual ? 9 : 6) * d;
      const modTxt = (last ? 2 : 6) * d;
      t.param('linear', 'norm1', linParams(d, modImg), d * modImg, MOD);
      t.param('linear', 'norm1_context', linParams(d, modTxt), d * modTxt, MOD);
      t.hold();
      norm(t, 'ln', d, 0);
      // Both streams: modulate, gate the attention and the MLP output, modulate before the MLP.
      passes(t, 'eager.stream', (img + txt) * d, [
        [EAGER.modulate, 2],
        [EAGER.gate, 2],
      ]);
      // Joint sequence: q/k RMSNorm (SD3.5), q, k, v concatenated, output transposed back.
      passes(t, 'eager.joint', (img + txt) * d, [
        [EAGER.rmsNorm, a.qkNorm ? 2 : 0],
        [EAGER.copy, 4],
      ]);
      jointAttention(t, 'attn', { d, heads: a.heads, img, txt, qkNorm, textOut: !last, fusedQkv: false });
      t.release();
      elementwise(t, 'residual');
      if (dual) {
        t.hold();
        t.set(img * d);
        norm(t, 'ln2', d, 0);
        attention(t, 'attn2', {
          dim: d,
          heads: a.heads,
          queries: img,
          keys: img,
          kvDim: d,
          qkvBias: true,
          outBias: true,
          qkNormParams: a.qkNorm ? 2 * a.headDim : 0,
        });
        t.release();
        elementwise(t, 'residual2', img * d + txt * d);
      }
      mlp(t, 'ff', d, a.mlpRatio * d, img);
      if (!last) mlp(t, 'ff_context', d, a.mlpRatio * d, txt);
    });
  }
  t.set(img * d);
  t.param('linear', 'norm_out', linParams(d, 2 * d), d * 2 * d, MOD);
  norm(t, 'norm_out.ln', d, 0);
  linear(t, 'proj_out', d, a.patchSize * a.patchSize * a.outChannels, img);
  return t;
}

export function walkFlux(a: FluxArch, g: DiTGeometry): Tracer {
  const d = a.hidden;
  const img = tokensOf(g, a.patchSize);
  const txt = g.textTokens;
  const L = img + txt;
  const packed = a.latentChannels * a.patchSize * a.patchSize;
  const hd = d / a.heads;
  const t = new Tracer(img * packed);
  linear(t, 'img_in', packed, d, img);
  const mlpParams = (i: number) => linParams(i, d) + linParams(d, d);
  t.param('linear', 'time_in', mlpParams(a.timeEmbedDim), a.timeEmbedDim * d + d * d);
  if (a.guidanceEmbed) t.param('linear', 'guidance_in', mlpParams(a.timeEmbedDim), a.timeEmbedDim * d + d * d);
  t.param('linear', 'vector_in', mlpParams(a.vecInDim), a.vecInDim * d + d * d);
  t.hold();
  t.set(txt * a.contextDim);
  linear(t, 'txt_in', a.contextDim, d, txt);
  t.release();
  t.set(L * d);
  const mlpHidden = a.mlpRatio * d;
  for (let i = 0; i < a.doubleBlocks; i++) {
    t.in(`double${i}`, () => {
      t.param('linear', 'img_mod', linParams(d, 6 * d), d * 6 * d, MOD);
      t.param('linear', 'txt_mod', linParams(d, 6 * d), d * 6 * d, MOD);
      t.hold();
      norm(t, 'ln', d, 0);
      passes(t, 'eager.stream', L * d, [
        [EAGER.modulate, 2],
        [EAGER.gate, 2],
      ]);
      // q/k RMSNorm and RoPE on q and k, q, k, v concatenated [text; image], output transposed back.
      passes(t, 'eager.joint', L * d, [
        [EAGER.rmsNorm, 2],
        [EAGER.rope, 2],
        [EAGER.copy, 4],
      ]);
      jointAttention(t, 'attn', { d, heads: a.heads, img, txt, qkNorm: 4 * hd, textOut: true, fusedQkv: true });
      t.release();
      elementwise(t, 'residual');
      mlp(t, 'img_mlp', d, mlpHidden, img);
      mlp(t, 'txt_mlp', d, mlpHidden, txt);
    });
  }
  for (let i = 0; i < a.singleBlocks; i++) {
    t.in(`single${i}`, () => {
      t.param('linear', 'modulation', linParams(d, 3 * d), d * 3 * d, MOD);
      t.hold();
      norm(t, 'ln', d, 0);
      // Modulate, q/k RMSNorm, RoPE, the transpose after SDPA, the gate; GELU over the 4d MLP
      // input and the concatenation [attention; MLP] (5d wide) counted in units of d.
      passes(t, 'eager', L * d, [
        [EAGER.modulate, 1],
        [EAGER.rmsNorm, 2],
        [EAGER.rope, 2],
        [EAGER.copy, 1 + (d + mlpHidden) / d],
        [EAGER.gate, 1],
        [{ bytes: 4, kernels: 1 }, mlpHidden / d],
      ]);
      // linear1 fuses qkv and the MLP input; attention and MLP run in parallel, then linear2 fuses both outputs.
      t.op('linear', 'linear1', {
        params: linParams(d, 3 * d + mlpHidden) + 2 * hd,
        macs: L * d * (3 * d + mlpHidden),
        out: L * (3 * d + mlpHidden),
      });
      t.op('attention', 'sdpa', {
        macs: a.heads * L * L * 2 * hd,
        out: L * (d + mlpHidden),
        attention: { heads: a.heads, queries: L, keys: L, headDim: hd },
      });
      linear(t, 'linear2', d + mlpHidden, d, L);
      t.release();
      elementwise(t, 'residual');
    });
  }
  t.set(img * d);
  t.param('linear', 'norm_out', linParams(d, 2 * d), d * 2 * d, MOD);
  norm(t, 'norm_out.ln', d, 0);
  linear(t, 'proj_out', d, packed, img);
  return t;
}

export function walkCrossDiT(a: CrossDiTArch, g: DiTGeometry): Tracer {
  const d = a.heads * a.headDim;
  const img = tokensOf(g, a.patchSize);
  const txt = g.textTokens;
  const t = new Tracer(a.inChannels * g.latentHeight * g.latentWidth);
  conv(t, 'pos_embed.proj', a.inChannels, d, a.patchSize, img);
  // adaLN-single: one timestep MLP and one 6D modulation shared by every block.
  t.param(
    'linear',
    'adaln_single',
    linParams(a.timeEmbedDim, d) + linParams(d, d) + linParams(d, 6 * d),
    a.timeEmbedDim * d + d * d + d * 6 * d,
    MOD,
  );
  t.hold(); // image tokens wait while the captions are projected
  t.set(txt * a.captionChannels);
  linear(t, 'caption_projection.1', a.captionChannels, d, txt);
  elementwise(t, 'caption_projection.act');
  linear(t, 'caption_projection.2', d, d, txt);
  const captions = t.current;
  t.release();
  t.set(captions);
  t.hold(); // projected captions stay alive for every cross-attention
  t.set(img * d);
  for (let i = 0; i < a.depth; i++) {
    t.in(`block${i}`, () => {
      t.param('norm', 'scale_shift_table', 6 * d, 0);
      t.hold();
      norm(t, 'norm1', d, 0);
      // Modulate before attention and MLP, gate both outputs.
      passes(t, 'eager', img * d, [
        [EAGER.modulate, 2],
        [EAGER.gate, 2],
      ]);
      attention(t, 'attn1', {
        dim: d,
        heads: a.heads,
        queries: img,
        keys: img,
        kvDim: d,
        qkvBias: true,
        outBias: true,
      });
      t.release();
      elementwise(t, 'residual1');
      t.hold();
      attention(t, 'attn2', {
        dim: d,
        heads: a.heads,
        queries: img,
        keys: txt,
        kvDim: d,
        qkvBias: true,
        outBias: true,
      });
      t.release();
      elementwise(t, 'residual2');
      mlp(t, 'ff', d, a.mlpRatio * d, img);
    });
  }
  t.param('norm', 'scale_shift_table', 2 * d, 0);
  norm(t, 'norm_out', d, 0);
  linear(t, 'proj_out', d, a.patchSize * a.patchSize * a.outChannels, img);
  return t;
}
