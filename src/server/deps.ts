/**
 * The production wiring of the server's ports: the CLI's `--json` answers, so the API and the CLI
 * cannot drift apart.
 */
import { listDevices, matchDevice } from '../catalog/devices.ts';
import type { Device } from '../catalog/devices.types.ts';
import { checkAnswer } from '../cli/commands/check.ts';
import { estimateAnswer } from '../cli/commands/estimate.ts';
import { gpusAnswer, gpusCommand } from '../cli/commands/gpus.ts';
import { modelsJson } from '../cli/commands/models.ts';
import { planAnswer, planCommand } from '../cli/commands/plan.ts';
import { usableDeviceMemory } from '../cost/usable.ts';
import { validate } from '../validate/validate.ts';
import { HttpError } from './errors.ts';
import type { Flags, ServerDeps } from './types.ts';

/**
 * The answer functions ignore flags they do not read (the CLI rejects them before calling), so the
 * API checks field names against the command's own flag definitions: a typo is an error here too.
 */
function knownFlags(command: { args?: unknown }, name: string): (flags: Flags) => Flags {
  const known = Object.keys((command.args ?? {}) as Record<string, unknown>).filter((k) => k !== 'json');
  return (flags) => {
    const unknown = Object.keys(flags).filter((k) => !known.includes(k));
    if (unknown.length)
      throw new HttpError(
        400,
        'bad-field',
        `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} for ${name}; known: ${known.join(', ')}`,
      );
    return flags;
  };
}

/** A discrete desktop card of a given size: what "a 16 GB card" offers once the display has its share. */
function desktopCard(memoryGiB: number): Device {
  const template = listDevices().find((d) => d.segment === 'consumer_desktop' && !d.unifiedMemory)!;
  return { ...template, id: `generic-${memoryGiB}gb`, name: `a ${memoryGiB} GB desktop GPU`, memoryGiB };
}

export function productionDeps(): ServerDeps {
  let models: unknown[] | undefined;
  const planFlags = knownFlags(planCommand, 'plan');
  const gpusFlags = knownFlags(gpusCommand, 'gpus');
  return {
    models: () => (models ??= modelsJson()),
    devices: listDevices,
    matchDevice,
    estimate: estimateAnswer,
    check: async ({ as, ram, verbose }) =>
      (
        await checkAnswer({
          ...(as !== undefined ? { as } : {}),
          ...(ram !== undefined ? { ram } : {}),
          verbose: Boolean(verbose),
        })
      ).report,
    validate,
    plan: (flags) => planAnswer(planFlags(flags)),
    gpus: (flags) => gpusAnswer(gpusFlags(flags)),
    usableForSize: (memoryGiB) => {
      const u = usableDeviceMemory(desktopCard(memoryGiB));
      return { bytes: Math.round(u.bytes), reason: u.reason };
    },
  };
}
