/**
 * The full tensor list of FLUX.1's transformer in Black Forest Labs' naming (flux1-dev.safetensors,
 * flux1-schnell.safetensors), written out from github black-forest-labs/flux src/flux/model.py and
 * modules/layers.py (MLPEmbedder, DoubleStreamBlock, SingleStreamBlock, LastLayer, QKNorm), not
 * from data/checkpoint/layouts.ts. Checked against the real file's tensor count (780 for dev) and
 * spot shapes (test/fixtures/checkpoint/flux1-dev.spot.txt) and the published 11.9 B parameters.
 */
import type { Spec } from './_sd15.ts';

export function fluxTensors(guidance: boolean, prefix = ''): Spec[] {
  const out: Spec[] = [];
  const lin = (p: string, o: number, i: number) => {
    out.push({ name: `${prefix}${p}.weight`, shape: [o, i], dtype: 'BF16' });
    out.push({ name: `${prefix}${p}.bias`, shape: [o], dtype: 'BF16' });
  };
  const scale = (p: string) => out.push({ name: `${prefix}${p}.scale`, shape: [128], dtype: 'BF16' });
  const h = 3072;
  const mlpEmbedder = (p: string, i: number) => {
    lin(`${p}.in_layer`, h, i);
    lin(`${p}.out_layer`, h, h);
  };
  lin('img_in', h, 64);
  mlpEmbedder('time_in', 256);
  mlpEmbedder('vector_in', 768);
  if (guidance) mlpEmbedder('guidance_in', 256);
  lin('txt_in', h, 4096);
  for (let b = 0; b < 19; b++)
    for (const s of ['img', 'txt']) {
      const p = `double_blocks.${b}.${s}`;
      lin(`${p}_mod.lin`, 6 * h, h);
      lin(`${p}_attn.qkv`, 3 * h, h);
      scale(`${p}_attn.norm.query_norm`);
      scale(`${p}_attn.norm.key_norm`);
      lin(`${p}_attn.proj`, h, h);
      lin(`${p}_mlp.0`, 4 * h, h);
      lin(`${p}_mlp.2`, h, 4 * h);
    }
  for (let b = 0; b < 38; b++) {
    const p = `single_blocks.${b}`;
    lin(`${p}.linear1`, 3 * h + 4 * h, h);
    lin(`${p}.linear2`, h, h + 4 * h);
    scale(`${p}.norm.query_norm`);
    scale(`${p}.norm.key_norm`);
    lin(`${p}.modulation.lin`, 3 * h, h);
  }
  lin('final_layer.linear', 64, h);
  lin('final_layer.adaLN_modulation.1', 2 * h, h);
  return out;
}
