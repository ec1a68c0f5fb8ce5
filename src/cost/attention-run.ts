/**
 * The attention kernel a run gets, which is not always the one it asks for. `flash` stands for
 * PyTorch's `scaled_dot_product_attention` (SDPA), what diffusers and the apps call by default, and
 * what SDPA dispatches to depends on the backend, the PyTorch release and what calls it. Where it
 * has no fused kernel it runs its math path, which materialises the scores; from PyTorch 2.5 that
 * path upcasts fp16/bf16 inputs to fp32 (`math`) unless `allow_fp16_bf16_reduction_math_sdp` is set
 * (pytorch/pytorch#135964). ComfyUI sets it (comfy/model_management.py); SD.Next's runs behave as
 * if it does not: its users' SD 1.5 runs on PyTorch 2.6 XPU ran at 0.36–0.53 of the speed of the
 * same cards on 2.7 and 2.9 (rows M0841, M0843–M0845), as fp32 scores and products would, where
 * 16-bit ones would cost far less. PyTorch's default is taken.
 *
 * - Intel GPUs (the XPU backend, PyTorch 2.4 on): through 2.6 SDPA is the math path
 *   (intel/torch-xpu-ops#1128, 2024-11). PyTorch 2.7 brought oneDNN's graph SDPA
 *   (pytorch/pytorch#147614), which keeps no score matrix; on Xe-HPG (Arc A-series) it has no fused
 *   kernel: on an Arc A770 it reached 21.7 TFLOPS in bf16 where an attention that materialises the
 *   scores reached 16.1 and the same run's GEMMs 92–99 (intel/torch-xpu-ops#4886, 2026-08), so it is
 *   timed as `naive` and its memory is fused. Xe2 (Battlemage) has the fused path. Before 2.4 an
 *   Intel GPU ran through IPEX, whose own attention the workload names as it is.
 * - AMD's consumer GPUs (RDNA: gfx10xx–gfx12xx): PyTorch's fused SDPA kernels (AOTriton) are
 *   experimental there and off unless TORCH_ROCM_AOTRITON_ENABLE_EXPERIMENTAL=1 (pytorch/pytorch#134498
 *   for gfx1100, 2024-09; still so on gfx1200 with PyTorch 2.11 and ROCm 7.13, unslothai/unsloth#8821,
 *   2026-08), and RDNA2 has none. A script gets the math path. The apps choose their own attention
 *   on AMD (ComfyUI its sub-quadratic kernel, or SDPA on the architectures and releases it lists),
 *   which the workload names, so an app's is taken as asked.
 */
import type { Device } from '../catalog/devices.types.ts';
import type { AttentionKernel } from './types.ts';
import type { SoftwareStack } from './workload.ts';

/** PyTorch releases, in versionNumber's encoding (major + minor / 100). */
export const XPU_BACKEND_SINCE = 2.04;
export const MATH_SDPA_FP32_SINCE = 2.05;
export const XPU_ONEDNN_SDPA_SINCE = 2.07;

/** AMD's consumer architectures (RDNA 1–4), by their gfx target. */
const RDNA = /^gfx1[0-2]\d\d$/;

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

const mathPath = (kernel: AttentionKernel, reason: string): AttentionRun => ({
  requested: 'flash',
  time: kernel,
  memory: kernel,
  reason,
});

/** What SDPA runs as on the device that computes. */
export function attentionRun(
  w: { attention: AttentionKernel; software: Pick<SoftwareStack, 'torch' | 'frontend'> },
  d: Pick<Device, 'backend' | 'architecture' | 'computeId'>,
): AttentionRun {
  if (w.attention !== 'flash') return asAsked(w.attention);
  const { torch, frontend } = w.software;
  // The math path's precision: fp32 on PyTorch 2.5 on (or a release not given), 16-bit before.
  const math: AttentionKernel = torch === undefined || torch >= MATH_SDPA_FP32_SINCE ? 'math' : 'naive';
  const inFp32 = math === 'math' ? ', in fp32' : '';
  if (d.backend === 'oneapi') {
    if (torch !== undefined && torch < XPU_BACKEND_SINCE) return asAsked(w.attention);
    if (torch !== undefined && torch < XPU_ONEDNN_SDPA_SINCE)
      return mathPath(
        math,
        `PyTorch before 2.7 runs SDPA on Intel GPUs as its math path, which materialises the attention scores${inFp32}`,
      );
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
  if (d.backend === 'rocm' && frontend === 'script' && RDNA.test(d.computeId))
    return mathPath(
      math,
      `PyTorch's fused SDPA kernels are off on AMD's consumer GPUs unless TORCH_ROCM_AOTRITON_ENABLE_EXPERIMENTAL=1: a script's SDPA runs its math path, which materialises the attention scores${inFp32}`,
    );
  return asAsked(w.attention);
}
