/**
 * A hypothetical GPU given only by its memory (`--vram 24`, `--as 24GB`): for a card the catalog
 * does not have. Memory decides what fits; speed has to come from somewhere, so it is borrowed
 * from the slowest catalog NVIDIA desktop card with at least that much memory (the cautious
 * answer), and the device's name and note say so.
 */
import { listDevices } from '../catalog/devices.ts';
import type { Device } from '../catalog/devices.types.ts';
import { GenreadyError } from '../catalog/errors.ts';
import { hypotheticalMachine, type Machine } from './machine.ts';

const VRAM = /^\s*(\d+(?:\.\d+)?)\s*(gb|gib|g)?\s*$/i;

/** "24", "24GB", "24 GiB" → 24; anything else → null (a device name). */
export function parseVram(s: string): number | null {
  const m = VRAM.exec(s);
  return m ? Number(m[1]) : null;
}

export function vramDevice(gib: number, devices: readonly Device[] = listDevices()): Device {
  if (!(gib >= 1 && gib <= 1024))
    throw new GenreadyError('bad-vram', `GPU memory must be from 1 to 1024 GB, got ${gib}`);
  const cards = devices.filter(
    (d) => d.vendor === 'NVIDIA' && d.segment === 'consumer_desktop' && d.memoryGiB !== null && d.backend === 'cuda',
  );
  const pool = devices.filter((d) => d.vendor === 'NVIDIA' && d.memoryGiB !== null && d.backend === 'cuda');
  const enough = (list: readonly Device[]) => list.filter((d) => d.memoryGiB! >= gib);
  const speed = (d: Device) => d.fp16MatrixTflops ?? d.fp32Tflops;
  // The smallest memory that reaches `gib`, then the slowest card of that size; past the largest
  // consumer card, datacenter parts; past everything, the largest there is.
  const candidates = enough(cards).length ? enough(cards) : enough(pool).length ? enough(pool) : pool;
  const ref = [...candidates].sort(
    (a, b) =>
      (enough(candidates).length ? a.memoryGiB! - b.memoryGiB! : b.memoryGiB! - a.memoryGiB!) || speed(a) - speed(b),
  )[0];
  if (!ref) throw new GenreadyError('bad-vram', 'the device catalog has no NVIDIA GPU to borrow a speed from');
  return {
    ...ref,
    id: `hypothetical-${gib}gb`,
    name: `hypothetical ${gib} GB GPU (speed of ${ref.name})`,
    memoryGiB: gib,
    memoryOptionsGiB: [],
  };
}

export function vramMachine(gib: number, ramGiB?: number): Machine {
  const d = vramDevice(gib);
  const m = hypotheticalMachine(d, ramGiB);
  const ref = d.name.replace(/^.*\(speed of (.*)\)$/, '$1');
  return {
    ...m,
    deviceNote: `hypothetical: a ${gib} GB GPU with the speed of ${ref} (the slowest catalog card with that memory)`,
  };
}
