/**
 * One entry point: an architecture and a geometry in, the ops of one forward for one sample out.
 * Dispatch is a table keyed by the architecture's `kind`, never by a model id.
 */
import type { Architecture } from '../../catalog/models.types.ts';
import type { Geometry, Op } from '../types.ts';
import { walkCrossDiT, walkFlux, walkMMDiT } from './dit.ts';
import { walkClipText, walkT5Encoder, walkVaeDecoder, walkVaeEncoder } from './encoders.ts';
import type { Tracer } from './trace.ts';
import { walkControlNet, walkUNet } from './unet.ts';

type Walkers = { [K in Architecture['kind']]: (a: Extract<Architecture, { kind: K }>, g: Geometry) => Tracer };

const walkers: Walkers = {
  unet: (a, g) => walkUNet(a, g),
  controlnet: (a, g) => walkControlNet(a, { ...g, imageHeight: g.height, imageWidth: g.width }),
  mmdit: (a, g) => walkMMDiT(a, g),
  flux: (a, g) => walkFlux(a, g),
  'cross-dit': (a, g) => walkCrossDiT(a, g),
  'clip-text': (a) => walkClipText(a),
  't5-encoder': (a) => walkT5Encoder(a),
  // Text-to-image runs only the decoder, but the whole autoencoder is loaded: the encoder's
  // weights ride along as a parameter-only op.
  'autoencoder-kl': (a, g) => {
    const t = walkVaeDecoder(a, g);
    const encoder = walkVaeEncoder(a, { height: 8, width: 8 }).ops.reduce((s, o) => s + o.params, 0);
    t.param('conv', 'encoder (loaded, not run)', encoder, 0);
    return t;
  },
};

export function walk(arch: Architecture, g: Geometry): Op[] {
  const w = walkers[arch.kind] as (a: Architecture, g: Geometry) => Tracer;
  return w(arch, g).ops;
}

export const sumParams = (ops: readonly Op[]) => ops.reduce((s, o) => s + o.params, 0);
export const sumMacs = (ops: readonly Op[]) => ops.reduce((s, o) => s + o.macs, 0);
export const peakLive = (ops: readonly Op[]) => ops.reduce((m, o) => Math.max(m, o.liveElems), 0);

export { walkVaeEncoder };
