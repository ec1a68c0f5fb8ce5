/**
 * `POST /api/sweep`: peak memory against resolution, the same estimate at sides 256–2048 px
 * (keeping the requested aspect ratio), per strategy, so the dashboard can draw where a size stops
 * fitting. A thin loop over the estimate answer; no cost-model logic of its own.
 */
import { z } from 'zod';
import { type EstimateRequest, estimateContext, estimateFields, estimateIn, isOnDevice } from './estimate.ts';
import { Problem } from './fields.ts';
import type { Local } from './local.ts';
import { fail, parseRequest } from './request.ts';

/** 256 to 2048 px in steps of 128: fine enough to see the knee, 15 estimates (~100 ms). */
export const SWEEP_SIDES: readonly number[] = Array.from({ length: 15 }, (_, i) => 256 + 128 * i);

/** 64 is a multiple of every catalog model's latent grid (8 × patch 2 at most). */
const GRID = 64;

export const sweepRequest = z.strictObject(estimateFields);
export type SweepRequest = EstimateRequest;
export const parseSweep = (input: unknown): SweepRequest => parseRequest(sweepRequest, input, 'sweep');

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

export async function sweepAnswer(req: SweepRequest, local: Local): Promise<SweepJson> {
  const ctx = await estimateContext(req, local);
  if (!ctx)
    fail(
      'device',
      new Problem('missing-field', ['is required: the sweep draws where the device’s usable memory runs out']),
    );
  const [w, h] = req.size ?? [req.width, req.height];
  const aspect = w && h ? w / h : 1;
  const { size: _size, ...rest } = req;
  const points: SweepPoint[] = [];
  let first: { device: { id: string; name: string }; usableDeviceBytes: number } | null = null;
  for (const side of SWEEP_SIDES) {
    const other = Math.max(GRID, Math.round(side / Math.max(aspect, 1 / aspect) / GRID) * GRID);
    const [width, height] = aspect >= 1 ? [side, other] : [other, side];
    const e = estimateIn({ ...rest, width, height }, ctx, { hint: false });
    if (!isOnDevice(e)) throw new Error('an estimate with a device answered without one');
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
