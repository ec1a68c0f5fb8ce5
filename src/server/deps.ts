/**
 * The production wiring of the server's ports: the answers of src/answers/, the same functions the
 * CLI's `--json` prints, so the API and the CLI cannot drift apart.
 */
import { checkAnswer } from '../answers/check.ts';
import { constantsAnswer } from '../answers/constants.ts';
import { devicesAnswer } from '../answers/devices.ts';
import { estimateAnswer } from '../answers/estimate.ts';
import { gpusAnswer } from '../answers/gpus.ts';
import { type Local, productionLocal } from '../answers/local.ts';
import { modelsAnswer } from '../answers/models.ts';
import { planAnswer } from '../answers/plan.ts';
import { runPlanAnswer } from '../answers/run-plan.ts';
import { sweepAnswer } from '../answers/sweep.ts';
import { validateAnswer } from '../answers/validate.ts';
import { listDevices } from '../catalog/devices.ts';
import type { Device } from '../catalog/devices.types.ts';
import { usableDeviceMemory } from '../cost/usable.ts';
import type { ServerDeps } from './types.ts';

/** A discrete desktop card of a given size: what "a 16 GB card" offers once the display has its share. */
function desktopCard(memoryGiB: number): Device {
  const template = listDevices().find((d) => d.segment === 'consumer_desktop' && !d.unifiedMemory)!;
  return { ...template, id: `generic-${memoryGiB}gb`, name: `a ${memoryGiB} GB desktop GPU`, memoryGiB };
}

export function productionDeps(local: Local = productionLocal()): ServerDeps {
  return {
    models: modelsAnswer,
    devices: devicesAnswer,
    estimate: (req) => estimateAnswer(req, local),
    sweep: (req) => sweepAnswer(req, local),
    check: (req) => checkAnswer(req, local),
    validate: () => validateAnswer(),
    constants: constantsAnswer,
    plan: (req) => planAnswer(req, local),
    gpus: gpusAnswer,
    runPlan: (req) => runPlanAnswer(req),
    usableForSize: (memoryGiB) => {
      const u = usableDeviceMemory(desktopCard(memoryGiB));
      return { bytes: Math.round(u.bytes), reason: u.reason };
    },
  };
}
