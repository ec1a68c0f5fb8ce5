/**
 * The graph builder: ONNX graphs of the catalog's denoisers (UNet, SD3 MMDiT, FLUX, PixArt DiT), VAE
 * decoders and CLIP text encoders,
 * built from the same architecture descriptions the cost model reads (one source of truth), with
 * deterministic random weights. Dispatch is a table keyed by the architecture's `kind`.
 *
 * @example
 *   await writeOnnxModel(sd15.denoiser.arch, '/tmp/unet/model.onnx', { seed: 0, dtype: 'float32' })
 *   // → { parameters: 859520964 }, weights in /tmp/unet/model.onnx.data (over 2 GiB in fp32)
 */
import type {
  AutoencoderArch,
  ClipTextArch,
  CrossDiTArch,
  FluxArch,
  MMDiTArch,
  UNetArch,
} from '../catalog/models.types.ts';
import { type DType, Graph, type WeightSource, type WriteResult, writeGraph } from './_onnx.ts';
import { buildVaeDecoder } from './autoencoder.ts';
import { buildClipText } from './clip-text.ts';
import { buildCrossDiT } from './cross-dit.ts';
import { buildFlux } from './flux.ts';
import { buildMMDiT } from './mmdit.ts';
import { buildUNet } from './unet.ts';

export type GraphArch = UNetArch | AutoencoderArch | ClipTextArch | CrossDiTArch | MMDiTArch | FluxArch;

/** Random weights from `seed`, or `bound` ones (a checkpoint's, by graph weight name), written as `dtype`. */
export type WriteOnnxOptions = WeightSource & { dtype: 'float32' | 'float16' };

type Builders = { [K in GraphArch['kind']]: (g: Graph, a: Extract<GraphArch, { kind: K }>) => void };

const builders: Builders = {
  unet: buildUNet,
  'autoencoder-kl': buildVaeDecoder,
  'clip-text': buildClipText,
  'cross-dit': buildCrossDiT,
  mmdit: buildMMDiT,
  flux: buildFlux,
};

/** Kinds the builder can express. */
export const GRAPH_KINDS = Object.keys(builders) as GraphArch['kind'][];

export function isGraphArch(a: { kind: string }): a is GraphArch {
  return Object.hasOwn(builders, a.kind);
}

/** Build the graph in memory without generating any weight bytes (cheap, even for SDXL). */
export function buildGraph(arch: GraphArch, dtype: DType): Graph {
  const g = new Graph(dtype);
  (builders[arch.kind] as (g: Graph, a: GraphArch) => void)(g, arch);
  return g;
}

/** Parameters of the graph that writeOnnxModel would write: a dry run. */
export const graphParameters = (arch: GraphArch) => buildGraph(arch, 'float32').parameters;

/** Like writeOnnxModel, also returning the files written and their sha256 (for the cache manifest). */
export async function writeOnnxModelFiles(
  arch: GraphArch,
  path: string,
  opts: WriteOnnxOptions & { externalThresholdBytes?: number },
): Promise<WriteResult> {
  const g = buildGraph(arch, opts.dtype);
  return writeGraph(g, path, opts, opts.externalThresholdBytes);
}

/** Writes an ONNX model for the architecture at `path`; weights go to `path + '.data'` (external data) when over 2 GiB. Dynamic batch/height/width axes. */
export async function writeOnnxModel(
  arch: GraphArch,
  path: string,
  opts: WriteOnnxOptions,
): Promise<{ parameters: number }> {
  const r = await writeOnnxModelFiles(arch, path, opts);
  return { parameters: r.parameters };
}

export type { DType, WeightSource } from './_onnx.ts';
