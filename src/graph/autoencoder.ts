/**
 * The AutoencoderKL decoder (what text-to-image runs) as an ONNX graph, from the `AutoencoderArch`
 * the analyzer walks in walkVaeDecoder: [post_quant_conv] → conv_in → mid (resnet, single-head
 * attention, resnet) → up blocks (layersPerBlock + 1 resnets, ×2 upsample) → norm, SiLU, conv_out.
 * IO as the diffusers `vae_decoder` export: `latent_sample` → `sample`.
 */
import type { AutoencoderArch } from '../catalog/models.types.ts';
import { attention, conv, fromTokens, groupNorm, resnet, silu, toTokens, upsample } from './_layers.ts';
import type { Graph } from './_onnx.ts';

/** diffusers builds the VAE's GroupNorms with eps 1e-6. */
const EPS = 1e-6;

/** Pixels per latent pixel along one side: one ×2 upsample between levels. */
export const vaeScale = (a: AutoencoderArch) => 2 ** (a.blockOut.length - 1);

export function buildVaeDecoder(g: Graph, a: AutoencoderArch): void {
  const dt = g.dtype;
  const groups = a.normGroups;
  const s = vaeScale(a);
  let h = g.input('latent_sample', dt, ['batch', a.latentChannels, 'latent_height', 'latent_width']);
  if (a.quantConv) h = conv(g, 'post_quant_conv', h, a.latentChannels, a.latentChannels, 1);
  const rev = [...a.blockOut].reverse();
  let ch = rev[0]!;
  h = conv(g, 'conv_in', h, a.latentChannels, ch, 3);
  const res = (name: string, x: string, ci: number, co: number) =>
    resnet(g, name, x, { ci, co, groups, eps: EPS, temb: null });
  g.in('mid', () => {
    h = res('res0', h, ch, ch);
    if (a.midAttention) {
      const normed = toTokens(g, groupNorm(g, 'attn.norm', h, ch, groups, EPS), ch);
      h = g.op('Add', [
        h,
        fromTokens(g, attention(g, 'attn', normed, { dim: ch, heads: 1, qkvBias: true, outBias: true }), h),
      ]);
    }
    h = res('res1', h, ch, ch);
  });
  for (const [i, out] of rev.entries())
    g.in(`up${i}`, () => {
      for (let j = 0; j <= a.layersPerBlock; j++) {
        h = res(`res${j}`, h, ch, out);
        ch = out;
      }
      if (i < rev.length - 1) h = upsample(g, 'upsample', h, ch);
    });
  h = silu(g, groupNorm(g, 'norm_out', h, ch, groups, EPS));
  g.op('Identity', [conv(g, 'conv_out', h, ch, a.imageChannels, 3)], {}, 'sample');
  g.output('sample', dt, [
    'batch',
    a.imageChannels,
    s === 1 ? 'latent_height' : 'height',
    s === 1 ? 'latent_width' : 'width',
  ]);
}
