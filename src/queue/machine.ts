/**
 * A worker's own machine: probed once at start (src/probe, never throws, never hangs), matched to
 * the catalog by the planner, so that `batch: "auto"` is planned for the device this worker really
 * generates on (its GPU for a GPU provider, its CPU for cpu) and `genready queue workers` / the
 * dashboard's queue panel can show each worker's GPU and tier.
 */
import type { Device } from '../catalog/devices.types.ts';
import { machineFromProbe } from '../planner/machine.ts';
import type { TierLevel } from '../planner/tiers.ts';
import { tierOf } from '../planner/verdict.ts';
import type { ProbeResult } from '../probe/types.ts';

export interface WorkerMachine {
  /** The device `batch: "auto"` is planned for. */
  device: Device;
  /** How it was chosen (the planner's sentence), e.g. "NVIDIA GeForce RTX 4090 matched to RTX 4090". */
  note: string;
  /** The probed GPU's name, or null when none was found. */
  gpu: string | null;
  /** The tier this device reaches (the planner's capability tiers: src/planner/verdict.ts). */
  tier: { level: TierLevel; name: string };
}

export function workerMachine(probe: ProbeResult, provider: string): WorkerMachine {
  const m = machineFromProbe(probe);
  // A cpu worker generates on the CPU even where a GPU is present; a GPU provider on a machine
  // without a detected GPU is planned on the CPU too (onnxruntime falls back to it).
  const onCpu = provider === 'cpu' || m.gpu === null;
  const device = onCpu ? m.host : m.device;
  const note = onCpu
    ? `${provider === 'cpu' ? 'cpu provider' : `no GPU detected for ${provider}`}: the CPU (${m.host.name})`
    : m.deviceNote;
  const t = tierOf({ ...m, device }, { levelOnly: true });
  return { device, note, gpu: m.gpu?.name.value ?? null, tier: { level: t.level, name: t.name } };
}
