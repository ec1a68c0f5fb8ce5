/**
 * SD3-family MMDiT (diffusers SD3Transformer2DModel) as an ONNX graph, from the `MMDiTArch` the
 * analyzer walks (walkMMDiT): patch embedding + sin-cos positions, timestep + pooled-text embedding,
 * context embedder, joint blocks (separate q/k/v per stream, optional RMS qk-norm, attention over
 * [image; text], adaLN-Zero modulation; the last block's text stream only supplies keys and values;
 * MMDiT-X blocks add an image-only attention), continuous adaLN out, unpatchify. IO as the optimum
 * export: `hidden_states`, `encoder_hidden_states`, `pooled_projections`, `timestep` (float32) →
 * `out_hidden_states`. The position table is computed for the actual token grid rather than cropped
 * from SD3's stored 192² buffer (a buffer, not a parameter; the same cost).
 */
import type { MMDiTArch } from '../catalog/models.types.ts';
import { chunks, modulate, patchify, plainNorm, sdpa, toHeads, unpatchify } from './_dit.ts';
import { attention, geluTanh, linear, silu, sinusoid } from './_layers.ts';
import type { Graph } from './_onnx.ts';

/** Joint attention: both streams projected separately, attended together, split back. */
function jointAttention(
  g: Graph,
  img: string,
  txt: string,
  p: { d: number; heads: number; qkNorm: boolean; textOut: boolean },
): { img: string; txt: string | null } {
  return g.in('attn', () => {
    const hd = p.d / p.heads;
    const proj = (x: string, name: string, norm: string | null) =>
      toHeads(g, linear(g, name, x, p.d, p.d), p.heads, hd, p.qkNorm ? norm : null);
    const q = g.op('Concat', [proj(img, 'to_q', 'norm_q'), proj(txt, 'add_q_proj', 'norm_added_q')], { axis: 2 });
    const k = g.op('Concat', [proj(img, 'to_k', 'norm_k'), proj(txt, 'add_k_proj', 'norm_added_k')], { axis: 2 });
    const v = g.op('Concat', [proj(img, 'to_v', null), proj(txt, 'add_v_proj', null)], { axis: 2 });
    const merged = sdpa(g, q, k, v, hd);
    // Split the joint sequence back at the image token count.
    const nImg = g.op('Gather', [g.op('Shape', [img]), g.i64([1])], { axis: 0 });
    const nAll = g.op('Gather', [g.op('Shape', [merged]), g.i64([1])], { axis: 0 });
    const imgOut = g.op('Slice', [merged, g.i64([0]), nImg, g.i64([1])]);
    const txtOut = g.op('Slice', [merged, nImg, nAll, g.i64([1])]);
    return {
      img: linear(g, 'to_out', imgOut, p.d, p.d),
      txt: p.textOut ? linear(g, 'to_add_out', txtOut, p.d, p.d) : null,
    };
  });
}

const feedForward = (g: Graph, name: string, x: string, d: number, hidden: number) =>
  g.in(name, () => linear(g, 'down', geluTanh(g, linear(g, 'up', x, d, hidden)), hidden, d));

export function buildMMDiT(g: Graph, a: MMDiTArch): void {
  const dt = g.dtype;
  const d = a.heads * a.headDim;
  const p = a.patchSize;
  const x = g.input('hidden_states', dt, ['batch', a.inChannels, 'height', 'width']);
  const context = g.input('encoder_hidden_states', dt, ['batch', 'sequence', a.jointAttentionDim]);
  const pooled = g.input('pooled_projections', dt, ['batch', a.pooledProjectionDim]);
  const timestep = g.input('timestep', 'float32', ['batch']);

  const { tokens, grid } = patchify(g, x, a.inChannels, d, p);
  let img = tokens;
  const temb = g.in('time_text_embed', () => {
    const t = linear(
      g,
      'timestep_embedder.linear_2',
      silu(g, linear(g, 'timestep_embedder.linear_1', sinusoid(g, timestep, 256), 256, d)),
      d,
      d,
    );
    const c = linear(
      g,
      'text_embedder.linear_2',
      silu(g, linear(g, 'text_embedder.linear_1', pooled, a.pooledProjectionDim, d)),
      d,
      d,
    );
    return g.op('Add', [t, c]);
  });
  const act = silu(g, temb);
  let txt = linear(g, 'context_embedder', context, a.jointAttentionDim, d);
  const hidden = a.mlpRatio * d;

  for (let i = 0; i < a.depth; i++) {
    const last = i === a.depth - 1;
    const dual = i < a.dualAttentionLayers;
    g.in(`block${i}`, () => {
      const m = chunks(g, linear(g, 'norm1.linear', act, d, (dual ? 9 : 6) * d), dual ? 9 : 6, d);
      const [shiftMsa, scaleMsa, gateMsa, shiftMlp, scaleMlp, gateMlp] = m as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const normed = plainNorm(g, img, d);
      const imgIn = modulate(g, normed, shiftMsa, scaleMsa);
      let txtIn: string;
      let c: string[] = [];
      if (last) {
        // AdaLayerNormContinuous: scale first, then shift.
        const [scale, shift] = chunks(g, linear(g, 'norm1_context.linear', act, d, 2 * d), 2, d) as [string, string];
        txtIn = modulate(g, plainNorm(g, txt, d), shift, scale);
      } else {
        c = chunks(g, linear(g, 'norm1_context.linear', act, d, 6 * d), 6, d);
        txtIn = modulate(g, plainNorm(g, txt, d), c[0]!, c[1]!);
      }
      const att = jointAttention(g, imgIn, txtIn, { d, heads: a.heads, qkNorm: a.qkNorm, textOut: !last });
      let y = g.op('Add', [img, g.op('Mul', [gateMsa, att.img])]);
      if (dual) {
        const [shift2, scale2, gate2] = m.slice(6) as [string, string, string];
        // The extra image-only attention reads the block input, modulated by its own shift and scale.
        const qk = a.qkNorm ? 2 * a.headDim : 0;
        const att2 = g.in('attn2', () =>
          attentionWithQkNorm(g, modulate(g, normed, shift2, scale2), d, a.heads, qk > 0),
        );
        y = g.op('Add', [y, g.op('Mul', [gate2, att2])]);
      }
      const ff = feedForward(g, 'ff', modulate(g, plainNorm(g, y, d), shiftMlp, scaleMlp), d, hidden);
      img = g.op('Add', [y, g.op('Mul', [gateMlp, ff])]);
      if (!last) {
        const t1 = g.op('Add', [txt, g.op('Mul', [c[2]!, att.txt!])]);
        const ffc = feedForward(g, 'ff_context', modulate(g, plainNorm(g, t1, d), c[3]!, c[4]!), d, hidden);
        txt = g.op('Add', [t1, g.op('Mul', [c[5]!, ffc])]);
      }
    });
  }
  const [scale, shift] = chunks(g, linear(g, 'norm_out.linear', act, d, 2 * d), 2, d) as [string, string];
  const out = linear(g, 'proj_out', modulate(g, plainNorm(g, img, d), shift, scale), d, p * p * a.outChannels);
  unpatchify(g, out, grid, p, a.outChannels, 'out_hidden_states');
  g.output('out_hidden_states', dt, ['batch', a.outChannels, 'height', 'width']);
}

/** Self-attention with q/k/v/out projections (bias) and optional RMS qk-norm over the head dimension. */
function attentionWithQkNorm(g: Graph, x: string, d: number, nHeads: number, qkNorm: boolean): string {
  if (!qkNorm) return attention(g, 'self', x, { dim: d, heads: nHeads, qkvBias: true, outBias: true });
  const hd = d / nHeads;
  const q = toHeads(g, linear(g, 'to_q', x, d, d), nHeads, hd, 'norm_q');
  const k = toHeads(g, linear(g, 'to_k', x, d, d), nHeads, hd, 'norm_k');
  const v = toHeads(g, linear(g, 'to_v', x, d, d), nHeads, hd, null);
  return linear(g, 'to_out', sdpa(g, q, k, v, hd), d, d);
}
