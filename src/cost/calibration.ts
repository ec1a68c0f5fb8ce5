/**
 * Local calibration: per-phase ratios of measured to predicted time, measured on one device by
 * `genready bench` (or imported from its PyTorch script). Applied only to estimates whose compute
 * device is that device; everything else stays a pure cost-model estimate. Pure.
 */

import type { TimeEstimate } from './time.ts';
import type { Phase } from './types.ts';

export interface Calibration {
  /** The device the measurements ran on (catalog id, or the probed CPU's id). */
  deviceId: string;
  /** measured / predicted per phase; a phase without measurements stays estimated. */
  factors: Partial<Record<Phase, number>>;
  /** When the newest measurement was taken (ISO date). */
  measuredAt: string;
  /** What measured it, e.g. "onnxruntime 1.30 cpu". */
  source: string;
  /**
   * The models measured (catalog ids). A factor measured on one model says little about another
   * architecture, so only these are scaled; absent means every model (an older store's calibration).
   */
  models?: string[];
}

/** How a time figure was obtained. */
export type Basis = 'estimated' | 'measured here';

/** Scale each measured phase; the step time follows the denoising factor, the image time the sum. */
export function calibrateTime(t: TimeEstimate, c: Calibration, batch: number): TimeEstimate {
  const phases = t.phases.map((p) => {
    const f = c.factors[p.phase] ?? 1;
    return { ...p, seconds: p.seconds * f, transferSeconds: p.transferSeconds * f };
  });
  const delta = phases.reduce((s, p) => s + p.seconds, 0) - t.phases.reduce((s, p) => s + p.seconds, 0);
  const secondsPerStep = t.secondsPerStep * (c.factors.denoising ?? 1);
  const secondsPerImage = t.secondsPerImage + delta / batch;
  return {
    ...t,
    phases,
    secondsPerStep,
    stepsPerSecond: 1 / secondsPerStep,
    secondsPerImage,
    imagesPerHour: 3600 / secondsPerImage,
  };
}

export const appliesTo = (c: Calibration | undefined, deviceId: string, modelId?: string): c is Calibration =>
  c !== undefined &&
  c.deviceId === deviceId &&
  Object.keys(c.factors).length > 0 &&
  (c.models === undefined || modelId === undefined || c.models.includes(modelId));
