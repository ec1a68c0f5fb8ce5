/**
 * Peak memory against resolution: the same estimate at sides 256–2048 px (keeping the requested
 * aspect ratio), per strategy, so the dashboard can draw where a size stops fitting. A thin adapter
 * over the estimate contract; no cost-model logic of its own.
 */

import { GenreadyError } from '../catalog/errors.ts';
import type { EstimateJson } from '../cost/report.ts';
import type { Flags } from './types.ts';

/** 256 to 2048 px in steps of 128: fine enough to see the knee, 15 estimates (~100 ms). */
export const SWEEP_SIDES: readonly number[] = Array.from({ length: 15 }, (_, i) => 256 + 128 * i);

/** 64 is a multiple of every catalog model's latent grid (8 × patch 2 at most). */
const GRID = 64;

export interface SweepPoint {
  width: number;
  height: number;
  fits: boolean;
  strategy: string;
  peakDeviceBytes: number;
  /**
   * What the chosen strategy's run needs on the device without the caching allocator's spare
   * blocks (allocated + fixed reserve + runtime context). `peakDeviceBytes` includes that cache
   * where the card has room and drops it where it has not (the allocator frees it before failing),
   * so it can fall as resolution rises; this never does.
   */
  neededDeviceBytes: number;
  imagesPerHour: number;
  strategies: { strategy: string; fits: boolean; peakDeviceBytes: number }[];
}

export interface SweepJson {
  device: { id: string; name: string };
  usableDeviceBytes: number;
  /** The longer side runs over `sides`; the shorter keeps the aspect ratio, on the 64 px grid. */
  aspect: number;
  points: SweepPoint[];
  /** Largest swept longer side at which each strategy fits; null when not even 256 px does. */
  largestFitting: Record<string, number | null>;
}

function positive(v: unknown): number | null {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** Width ÷ height of the request (from width/height or size), 1 when unstated. */
function aspectOf(flags: Flags): number {
  const m = typeof flags.size === 'string' ? /^\s*(\d+)\s*[x×*]\s*(\d+)\s*$/i.exec(flags.size) : null;
  const w = m ? Number(m[1]) : positive(flags.width);
  const h = m ? Number(m[2]) : positive(flags.height);
  return w && h ? w / h : 1;
}

export function sweep(estimate: (flags: Flags) => unknown, flags: Flags): SweepJson {
  if (!flags.device)
    throw new GenreadyError('device-required', 'the resolution sweep needs a device (the usable memory is its line)');
  const aspect = aspectOf(flags);
  const { size: _size, ...rest } = flags;
  const points: SweepPoint[] = [];
  let first: EstimateJson | null = null;
  for (const side of SWEEP_SIDES) {
    const other = Math.max(GRID, Math.round(side / Math.max(aspect, 1 / aspect) / GRID) * GRID);
    const [width, height] = aspect >= 1 ? [side, other] : [other, side];
    const e = estimate({ ...rest, width, height }) as EstimateJson;
    first ??= e;
    points.push({
      width,
      height,
      fits: e.fits,
      strategy: e.strategy,
      peakDeviceBytes: e.memory.peakDeviceBytes,
      neededDeviceBytes:
        e.memory.peakAllocatedBytes + e.memory.overheads.reservedFixedBytes + e.memory.overheads.contextBytes,
      imagesPerHour: e.time.imagesPerHour,
      strategies: e.alternatives.map((a) => ({
        strategy: a.strategy,
        fits: a.fits,
        peakDeviceBytes: a.peakDeviceBytes,
      })),
    });
  }
  const largestFitting: Record<string, number | null> = {};
  for (const s of points[0]?.strategies.map((x) => x.strategy) ?? []) {
    let best: number | null = null;
    for (const p of points) if (p.strategies.find((x) => x.strategy === s)?.fits) best = Math.max(p.width, p.height);
    largestFitting[s] = best;
  }
  return {
    device: { id: first!.device.id, name: first!.device.name },
    usableDeviceBytes: first!.usableDeviceBytes,
    aspect,
    points,
    largestFitting,
  };
}
