/**
 * The cost model's seconds for one measured phase case, as a benchmark times it: per sampler step
 * (all denoiser passes of the batch), per VAE decode of the batch, or per text encoding of its
 * prompts. fp32 on the CPU, the measured precision elsewhere. On the CPU the measured graphs are
 * onnxruntime's, which materialise the attention scores (MatMul → Softmax → MatMul): predicted
 * with that kernel. `genready bench`, its calibration and the kept CPU runs in `genready validate`
 * all compare against this one function.
 */
import type { Device } from '../catalog/devices.types.ts';
import type { Precision } from '../catalog/models.types.ts';
import { estimate } from './estimate.ts';
import type { Phase } from './types.ts';
import { makeWorkload, type Workload } from './workload.ts';

export interface PhaseCase {
  model: string;
  phase: Phase;
  width: number;
  height: number;
  batch: number;
  precision: Precision;
  strategy: 'cpu' | 'gpu';
}

/** The workload a phase case is predicted on (its parts are what the measured graphs hold). */
export function phaseWorkload(m: PhaseCase): Workload {
  return makeWorkload({
    model: m.model,
    width: m.width,
    height: m.height,
    batch: m.batch,
    precision: m.precision,
    componentPrecision: { vae: m.precision, 'text-encoder': m.precision },
    ...(m.strategy === 'cpu' ? { attention: 'naive' } : {}),
  });
}

export function phaseSeconds(m: PhaseCase, device: Device): number {
  const t = estimate(phaseWorkload(m), device, { strategy: m.strategy, host: device }).chosen.time;
  return m.phase === 'denoising' ? t.secondsPerStep : t.phases.find((p) => p.phase === m.phase)!.seconds;
}
