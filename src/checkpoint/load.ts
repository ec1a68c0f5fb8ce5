/**
 * The bridge to the graph builder: a component of an inspected checkpoint → the graph's weights,
 * by the name map that fits its architecture kind and naming. The architecture is the catalog's
 * (or one given); the file's own tensors decide what the catalog cannot (SD 1.x's 1×1-conv
 * projections). Everything the graph needs must be in the file with its exact shape.
 */
import type { Component, ModelEntry } from '../catalog/models.types.ts';
import { CheckpointError } from './errors.ts';
import type { InspectedComponent, Inspection } from './inspect.ts';
import {
  clipTextNameMap,
  fluxNameMap,
  type NameEntry,
  type Naming,
  openClipTextNameMap,
  unetNameMap,
  vaeDecoderNameMap,
} from './names.ts';
import { readSafetensorsHeader } from './safetensors.ts';
import { type GraphWeight, loadGraphWeights } from './tensors.ts';
import type { ComponentRole, SafetensorsHeader } from './types.ts';

/** Text-encoder width per layout architecture: how a file's encoder finds its catalog entry. */
const TEXT_WIDTH: Record<string, number> = { 'clip-l': 768, 'openclip-h': 1024, 'openclip-bigg': 1280 };

/** The name map and naming column for a component of this architecture. */
export function nameMapFor(
  c: Pick<InspectedComponent, 'naming' | 'tensorPrefix'>,
  arch: Component['arch'],
  headers: readonly SafetensorsHeader[],
): { map: NameEntry[]; naming: Naming } {
  const byName = new Map(headers.flatMap((h) => h.tensors).map((t) => [t.name, t]));
  switch (arch.kind) {
    case 'unet': {
      // SD 1.x holds the transformers' proj_in as a 1×1 conv; SD 2.x and SDXL as a linear layer.
      const naming: Naming = c.naming === 'ldm' ? 'ldm' : 'diffusers';
      const probe = unetNameMap(arch, { convProjection: false }).find((e) => e.graph.endsWith('proj_in.weight'));
      const t = probe ? byName.get(c.tensorPrefix + probe[naming]) : undefined;
      return { map: unetNameMap(arch, { convProjection: t?.shape.length === 4 }), naming };
    }
    case 'autoencoder-kl':
      return { map: vaeDecoderNameMap(arch), naming: c.naming === 'ldm' ? 'ldm' : 'diffusers' };
    case 'clip-text':
      return c.naming === 'openclip'
        ? { map: openClipTextNameMap(arch), naming: 'ldm' }
        : { map: clipTextNameMap(arch), naming: 'diffusers' };
    case 'flux':
      // BFL's single files are the original naming; diffusers' splits fused tensors (not loadable yet).
      return { map: fluxNameMap(arch), naming: c.naming === 'diffusers' ? 'diffusers' : 'ldm' };
    default:
      throw new CheckpointError(
        'no-name-map',
        `no name map yet for ${arch.kind} weights (UNet, VAE decoder, CLIP text encoders and FLUX.1 in BFL names can be loaded)`,
      );
  }
}

/** The catalog component a found component corresponds to. */
export function catalogComponent(model: ModelEntry, c: InspectedComponent): Component {
  if (c.role === 'denoiser') return model.denoiser;
  if (c.role === 'vae') return model.vae;
  if (c.role === 'text-encoder') {
    const w = TEXT_WIDTH[c.arch];
    const te = model.textEncoders.find((t) => t.arch.kind === 'clip-text' && t.arch.width === w);
    if (te) return te;
  }
  throw new CheckpointError('no-component', `${model.id} has no ${c.role} like ${c.name}`);
}

/**
 * The graph weights of one component of an inspected file or folder. `arch` overrides the
 * catalog's architecture (tests load tiny ones); by default it is the catalog model's component.
 */
export function componentWeights(
  inspection: Inspection,
  role: ComponentRole,
  opts: { model?: ModelEntry; arch?: Component['arch']; index?: number } = {},
): GraphWeight[] {
  const found = inspection.components.filter((c) => c.role === role);
  const c = found[opts.index ?? 0];
  if (!c) throw new CheckpointError('no-component', `${inspection.path}: no ${role} in this file`);
  const arch = opts.arch ?? (opts.model ? catalogComponent(opts.model, c).arch : undefined);
  if (!arch) throw new CheckpointError('no-arch', `${inspection.path}: the ${role}'s architecture is not known`);
  const headers = c.files.map((f) => readSafetensorsHeader(f));
  const { map, naming } = nameMapFor(c, arch, headers);
  return loadGraphWeights(headers, c.tensorPrefix, map, naming);
}
