/**
 * The CLIP text transformer as an ONNX graph, from the `ClipTextArch` the analyzer walks
 * (walkClipText): token + position embeddings, pre-LN layers with causal self-attention and an
 * MLP (quick_gelu for OpenAI's CLIP, exact gelu for OpenCLIP's ViT-H and bigG: `activation`),
 * final LayerNorm. Pooled output = the hidden state at the highest token id (CLIP's EOS), and with
 * `projection > 0` the text projection (CLIPTextModelWithProjection → `text_embeds`).
 * IO as transformers' ONNX export: `input_ids` int32 → `last_hidden_state`, `pooler_output` | `text_embeds`.
 */
import type { ClipTextArch } from '../catalog/models.types.ts';
import { attention, gelu, layerNorm, linear, quickGelu } from './_layers.ts';
import type { Graph } from './_onnx.ts';

const EPS = 1e-5;

/** Large negative instead of -inf: masked scores stay finite in fp16 (−65504 is its lowest normal). */
const MASKED = { float32: -1e9, float16: -65504 } as const;

export function buildClipText(g: Graph, a: ClipTextArch): void {
  const L = a.maxTokens;
  const d = a.width;
  const ids = g.input('input_ids', 'int32', ['batch', L]);
  const tokens = g.op(
    'Gather',
    [g.weight('embeddings.token_embedding.weight', [a.vocab, d], { kind: 'uniform', bound: 1 }), ids],
    { axis: 0 },
  );
  // The sequence is always maxTokens long, so position ids 0..L-1 select the whole table.
  let h = g.op('Add', [
    tokens,
    g.weight('embeddings.position_embedding.weight', [L, d], { kind: 'uniform', bound: 1 }),
  ]);
  const mask = new Float32Array(L * L);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) mask[i * L + j] = MASKED[g.dtype];
  const causal = g.f(mask, [1, 1, L, L]);
  const act = (a.activation ?? 'quick_gelu') === 'gelu' ? gelu : quickGelu;
  for (let i = 0; i < a.layers; i++) {
    h = g.in(`layer${i}`, () => {
      const y = g.op('Add', [
        h,
        attention(g, 'self_attn', layerNorm(g, 'layer_norm1', h, d, EPS), {
          dim: d,
          heads: a.heads,
          qkvBias: true,
          outBias: true,
          mask: causal,
        }),
      ]);
      const mlp = linear(
        g,
        'mlp.fc2',
        act(g, linear(g, 'mlp.fc1', layerNorm(g, 'layer_norm2', y, d, EPS), d, a.ffn)),
        a.ffn,
        d,
      );
      return g.op('Add', [y, mlp]);
    });
  }
  const last = g.op('Identity', [layerNorm(g, 'final_layer_norm', h, d, EPS)], {}, 'last_hidden_state');
  g.output('last_hidden_state', g.dtype, ['batch', L, d]);
  const eos = g.op('ArgMax', [ids], { axis: -1, keepdims: 1 });
  const pooled = g.op('GatherND', [last, eos], { batch_dims: 1 });
  if (a.projection > 0) {
    g.op('Identity', [linear(g, 'text_projection', pooled, d, a.projection, false)], {}, 'text_embeds');
    g.output('text_embeds', g.dtype, ['batch', a.projection]);
  } else {
    g.op('Identity', [pooled], {}, 'pooler_output');
    g.output('pooler_output', g.dtype, ['batch', d]);
  }
}
