/**
 * Bench domain model: a case (model, phase, size, batch) measured in an environment, compared with
 * the cost model's prediction for the same workload on the same device.
 */
import type { ProviderId } from '../ort/providers.ts';

/** The phases bench measures: one prompt encoding (prompt + negative), one sampler step of the denoiser, one VAE decode. */
export type BenchPhase = 'text-encoding' | 'denoising' | 'vae-decode';
export const BENCH_PHASES: readonly BenchPhase[] = ['text-encoding', 'denoising', 'vae-decode'];

/** Where and with what a result was measured (saved with every result). */
export interface Environment {
  /** The compute device as genready names it, and its id (the calibration key). */
  device: string;
  deviceId: string;
  /** Which runtime measured: onnxruntime with an execution provider, or the emitted PyTorch script. */
  runtime: 'onnxruntime' | 'pytorch';
  provider: ProviderId | 'cuda' | 'rocm' | 'mps';
  cpu: string;
  cores: number;
  /** The CPU clock the estimates beside the measurements used, with where it came from ("4.09 GHz measured"). */
  cpuClock?: string;
  /** onnxruntime's intra-op threads, where a CPU run used fewer than one per core (a busy machine). */
  threads?: number;
  ramBytes: number;
  os: string;
  /** Library versions: node, onnxruntime (or torch), genready. */
  versions: Record<string, string>;
  /** ISO date-time of the run. */
  date: string;
  /** 1-minute load average when the run started: other work on the machine slows every sample. */
  loadAverage?: number;
}

/** One measured case, in the `--json` contract. */
export interface BenchResult {
  model: string;
  phase: BenchPhase;
  width: number;
  height: number;
  /** Images per pipeline call; the denoiser runs batch × passes (CFG) samples per step. */
  batch: number;
  /**
   * Seconds per denoising step, or per VAE decode of the batch: the minimum of the measured
   * iterations — what this machine does when nothing else interferes (other work only ever adds
   * time). The median is `medianSeconds`; every sample is in `samples`.
   */
  measuredSeconds: number;
  /** The cost model's figure for the same workload on the same device (before calibration). */
  predictedSeconds: number;
  /** Peak resident memory of the process that ran the phase (weights, runtime arena, activations). */
  peakMemoryBytes: number;
  medianSeconds: number;
  /** Every measured iteration, in order; warm-up iterations separately. */
  samples: number[];
  warmupSamples: number[];
  /** Samples per forward (batch × 2 with classifier-free guidance). */
  forwardBatch: number;
  precision: 'fp32' | 'fp16';
  parameters: number;
  loadSeconds: number;
}

export interface BenchReport {
  environment: Environment;
  results: BenchResult[];
}
