/** `devices`: the device catalog (GPUs, Apple Silicon, CPUs) with sources, or one name resolved. */
import { z } from 'zod';
import { listDevices, matchDevice } from '../catalog/devices.ts';
import type { Device, DeviceMatch } from '../catalog/devices.types.ts';
import { CatalogError } from '../catalog/errors.ts';
import { choice, field, text } from './fields.ts';
import { VENDORS } from './gpus.ts';
import { parseRequest } from './request.ts';
import { NAME_MAX } from './workload.ts';

export const devicesRequest = z.strictObject({
  /** Resolve one name ("NVIDIA GeForce RTX 4070 Laptop GPU") to its entry. */
  match: field(text(NAME_MAX)).optional(),
  vendor: field(choice(VENDORS)).optional(),
});
export type DevicesRequest = z.output<typeof devicesRequest>;
export const parseDevices = (input: unknown): DevicesRequest => parseRequest(devicesRequest, input, 'devices');

export type DevicesAnswer =
  | { kind: 'list'; devices: Device[] }
  | { kind: 'match'; match: Exclude<DeviceMatch, { kind: 'unknown' }> };

/**
 * `genready devices [--match NAME] --json` and `GET /api/devices[?match=]`.
 * @throws CatalogError `unknown-device` with suggestions for a name that matches nothing.
 */
export function devicesAnswer(req: DevicesRequest): DevicesAnswer {
  if (req.match !== undefined) {
    const m = matchDevice(req.match);
    if (m.kind === 'unknown')
      throw new CatalogError(
        'unknown-device',
        `unknown device "${m.query}"${m.suggestions.length ? `; did you mean: ${m.suggestions.join(', ')}?` : ''}`,
      );
    return { kind: 'match', match: m };
  }
  const devices = listDevices().filter((d) => !req.vendor || d.vendor.toLowerCase() === req.vendor);
  return { kind: 'list', devices };
}

/** The JSON both interfaces print: the match, or the list. */
export const devicesJson = (a: DevicesAnswer): unknown => (a.kind === 'match' ? a.match : a.devices);
