/**
 * onnxruntime execution providers as data: an ordered table (best first), one detect function.
 * A provider is "present" when a session can be created with it — onnxruntime-node lists CUDA
 * even when its shared libraries are missing, so listing is not enough.
 */
import * as ort from 'onnxruntime-node';
import type { Backend } from '../catalog/devices.types.ts';
import type { DType } from '../graph/index.ts';

export type ProviderId = 'cuda' | 'dml' | 'coreml' | 'cpu';

export interface Provider {
  id: ProviderId;
  label: string;
  /** Weights and activations: fp16 on GPUs (what production runs use), fp32 on the CPU (no fast fp16 kernels). */
  dtype: DType;
  /** Device backends this provider computes on (which catalog device its times calibrate). */
  backends: Backend[];
  platforms: NodeJS.Platform[];
}

export const PROVIDERS: readonly Provider[] = [
  { id: 'cuda', label: 'CUDA', dtype: 'float16', backends: ['cuda'], platforms: ['linux', 'win32'] },
  {
    id: 'dml',
    label: 'DirectML',
    dtype: 'float16',
    backends: ['directml', 'cuda', 'rocm', 'oneapi'],
    platforms: ['win32'],
  },
  { id: 'coreml', label: 'CoreML', dtype: 'float16', backends: ['metal'], platforms: ['darwin'] },
  {
    id: 'cpu',
    label: 'CPU',
    dtype: 'float32',
    backends: ['cpu'],
    platforms: [
      'linux',
      'darwin',
      'win32',
      'aix',
      'freebsd',
      'openbsd',
      'sunos',
      'android',
      'haiku',
      'cygwin',
      'netbsd',
    ],
  },
];

export const providerById = (id: ProviderId): Provider => PROVIDERS.find((p) => p.id === id)!;

export const isProviderId = (s: string): s is ProviderId => PROVIDERS.some((p) => p.id === s);

/** Try to open `probeModel` with the provider; a missing library or device throws, which means absent. */
export async function providerWorks(id: ProviderId, probeModel: string): Promise<boolean> {
  if (id === 'cpu') return true;
  // The native loader logs a missing provider library at error level before throwing; the throw is
  // the answer we want, the log line is noise on the user's console.
  ort.env.logLevel = 'fatal';
  try {
    const s = await ort.InferenceSession.create(probeModel, { executionProviders: [id], logSeverityLevel: 4 });
    await s.release();
    return true;
  } catch {
    return false;
  }
}

/**
 * The best provider that works here, in table order (CPU always does). A GPU provider is tried only
 * for the backend of the GPU the probe found: no NVIDIA GPU, no CUDA attempt (and none of the
 * native loader's error lines on the console).
 */
export async function detectProvider(
  probeModel: string,
  gpuBackend: Backend | null,
  platform: NodeJS.Platform = process.platform,
): Promise<Provider> {
  for (const p of PROVIDERS) {
    if (p.id !== 'cpu' && (gpuBackend === null || !p.backends.includes(gpuBackend))) continue;
    if (p.platforms.includes(platform) && (await providerWorks(p.id, probeModel))) return p;
  }
  return providerById('cpu');
}
