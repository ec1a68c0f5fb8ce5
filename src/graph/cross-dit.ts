/**
 * PixArt-style DiT (diffusers PixArtTransformer2DModel) as an ONNX graph, from the `CrossDiTArch`
 * the analyzer walks (walkCrossDiT): patch embedding (conv, stride = patch) + a 2-D sin-cos position
 * table computed for the actual size, adaLN-single timestep modulation shared by every block (each
 * block adds its own scale-shift table), self-attention, cross-attention to the projected captions,
 * MLP, final modulated norm and unpatchify. IO as the optimum transformer exports:
 * `hidden_states`, `timestep` (float32), `encoder_hidden_states` → `out_hidden_states`.
 */
import type { CrossDiTArch } from '../catalog/models.types.ts';
import { modulate, patchify, plainNorm, unpatchify } from './_dit.ts';
import { attention, geluTanh, linear, silu, sinusoid } from './_layers.ts';
import type { Graph } from './_onnx.ts';

export function buildCrossDiT(g: Graph, a: CrossDiTArch): void {
  const dt = g.dtype;
  const d = a.heads * a.headDim;
  const p = a.patchSize;
  const x = g.input('hidden_states', dt, ['batch', a.inChannels, 'height', 'width']);
  const timestep = g.input('timestep', 'float32', ['batch']);
  const captions = g.input('encoder_hidden_states', dt, ['batch', 'sequence', a.captionChannels]);

  const { tokens, grid } = patchify(g, x, a.inChannels, d, p);
  let hs = tokens;

  // adaLN-single: one timestep embedding and one 6-way modulation for all blocks.
  const emb = g.in('adaln_single.emb', () =>
    linear(
      g,
      'linear_2',
      silu(g, linear(g, 'linear_1', sinusoid(g, timestep, a.timeEmbedDim), a.timeEmbedDim, d)),
      d,
      d,
    ),
  );
  const t6 = g.op('Reshape', [linear(g, 'adaln_single.linear', silu(g, emb), d, 6 * d), g.i64([-1, 6, d])]);
  const ctx = g.in('caption_projection', () =>
    linear(g, 'linear_2', geluTanh(g, linear(g, 'linear_1', captions, a.captionChannels, d)), d, d),
  );

  for (let i = 0; i < a.depth; i++) {
    hs = g.in(`block${i}`, () => {
      const table = g.weight('scale_shift_table', [6, d], { kind: 'uniform', bound: 1 / Math.sqrt(d) });
      const [shiftMsa, scaleMsa, gateMsa, shiftMlp, scaleMlp, gateMlp] = g.node(
        'Split',
        [g.op('Add', [t6, table]), g.i64([1, 1, 1, 1, 1, 1])],
        { axis: 1 },
        { count: 6 },
      ) as string[];
      const att = attention(g, 'attn1', modulate(g, plainNorm(g, hs, d), shiftMsa!, scaleMsa!), {
        dim: d,
        heads: a.heads,
        qkvBias: true,
        outBias: true,
      });
      let y = g.op('Add', [hs, g.op('Mul', [gateMsa!, att])]);
      y = g.op('Add', [
        y,
        attention(g, 'attn2', y, { dim: d, heads: a.heads, context: { x: ctx, dim: d }, qkvBias: true, outBias: true }),
      ]);
      const hidden = a.mlpRatio * d;
      const ff = linear(
        g,
        'ff.down',
        geluTanh(g, linear(g, 'ff.up', modulate(g, plainNorm(g, y, d), shiftMlp!, scaleMlp!), d, hidden)),
        hidden,
        d,
      );
      return g.op('Add', [y, g.op('Mul', [gateMlp!, ff])]);
    });
  }

  const outTable = g.weight('scale_shift_table', [2, d], { kind: 'uniform', bound: 1 / Math.sqrt(d) });
  const [shift, scale] = g.node(
    'Split',
    [g.op('Add', [g.op('Unsqueeze', [emb, g.i64([1])]), outTable]), g.i64([1, 1])],
    { axis: 1 },
    { count: 2 },
  ) as string[];
  const out = linear(g, 'proj_out', modulate(g, plainNorm(g, hs, d), shift!, scale!), d, p * p * a.outChannels);
  unpatchify(g, out, grid, p, a.outChannels, 'out_hidden_states');
  g.output('out_hidden_states', dt, ['batch', a.outChannels, 'height', 'width']);
}
