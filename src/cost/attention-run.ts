/**
 * The attention kernel a run gets, which is not always the one it asks for. `flash` stands for
 * PyTorch's `scaled_dot_product_attention` (SDPA), what diffusers and the apps call by default, and
 * what SDPA dispatches to depends on the backend and the PyTorch release. On CUDA, ROCm and MPS the
 * workload's kernel is taken as asked. Intel's GPUs are where it is not what it says:
 *
 * - PyTorch 2.4 brought the XPU backend; through 2.6 SDPA on it is the math path, which
 *   materialises the scores, in fp32 whatever the inputs' type (intel/torch-xpu-ops#1128, 2024-11).
 *   That is `naive` for both time and memory. The fp32 upcast (PyTorch 2.5 on) doubles the scores'
 *   bytes; it is not modelled, so such a run's attention is a lower bound.
 * - PyTorch 2.7 brought oneDNN's graph SDPA (pytorch/pytorch#147614). It keeps no score matrix, but
 *   on Xe-HPG (Arc A-series) it has no fused kernel: on an Arc A770 it reached 21.7 TFLOPS in bf16
 *   where an attention that materialises the scores reached 16.1 and the same run's GEMMs 92–99
 *   (intel/torch-xpu-ops#4886, 2026-08). So it is timed as `naive` and its memory is fused. Xe2
 *   (Battlemage) has the fused path.
 * - Before 2.4 an Intel GPU ran through IPEX, whose own attention the workload names as it is.
 */
import type { Device } from '../catalog/devices.types.ts';
import type { AttentionKernel } from './types.ts';
import type { SoftwareStack } from './workload.ts';

/** PyTorch releases, in versionNumber's encoding (major + minor / 100). */
export const XPU_BACKEND_SINCE = 2.04;
export const XPU_ONEDNN_SDPA_SINCE = 2.07;

export interface AttentionRun {
  requested: AttentionKernel;
  /** The kernel the time model costs. */
  time: AttentionKernel;
  /** The kernel whose workspace the memory model counts. */
  memory: AttentionKernel;
  /** Why `time` or `memory` differ from the request; null when neither does. */
  reason: string | null;
}

const asAsked = (k: AttentionKernel): AttentionRun => ({ requested: k, time: k, memory: k, reason: null });

/** What SDPA runs as on the device that computes. */
export function attentionRun(
  w: { attention: AttentionKernel; software: Pick<SoftwareStack, 'torch'> },
  d: Pick<Device, 'backend' | 'architecture'>,
): AttentionRun {
  if (w.attention !== 'flash' || d.backend !== 'oneapi') return asAsked(w.attention);
  const torch = w.software.torch;
  if (torch !== undefined && torch < XPU_BACKEND_SINCE) return asAsked(w.attention);
  if (torch !== undefined && torch < XPU_ONEDNN_SDPA_SINCE)
    return {
      requested: 'flash',
      time: 'naive',
      memory: 'naive',
      reason: 'PyTorch before 2.7 runs SDPA on Intel GPUs as its math path, which materialises the attention scores',
    };
  if (d.architecture.startsWith('Xe-HPG'))
    return {
      requested: 'flash',
      time: 'naive',
      memory: 'flash',
      reason:
        "oneDNN's SDPA (PyTorch 2.7 on) has no fused kernel on Xe-HPG: it runs at about the rate of attention that materialises the scores, without keeping them",
    };
  return asAsked(w.attention);
}
