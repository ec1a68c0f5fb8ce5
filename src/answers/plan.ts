/**
 * `plan`: does this machine (or a hypothetical one) meet a production target? If not, the cheapest
 * GPUs and cloud offers that do, and the break-even. A thin mapping onto the planner.
 */
import { z } from 'zod';
import { ECONOMICS } from '../planner/economics.ts';
import { pinsFrom } from '../planner/ladder.ts';
import { type PlanJson, plan } from '../planner/plan.ts';
import { accuracyByVendor, type ValidationReport } from '../validate/validate.ts';
import { calibrationFor, machineFields, machineFor } from './check.ts';
import { count, duration, field, number } from './fields.ts';
import type { Local } from './local.ts';
import { parseRequest } from './request.ts';
import { workloadFields, workloadInput } from './workload.ts';

export const MAX_IMAGES = 1e9;

export const planRequest = z.strictObject({
  ...workloadFields,
  images: field(count(MAX_IMAGES)),
  /** "8h", "90m", "1h30m", "2d", or hours as a number. */
  within: field(duration),
  /** Most you would pay for a GPU, USD; absent: no limit. */
  budget: field(number({ above: 0, max: 1e7 })).optional(),
  /** USD per kWh. */
  electricity: field(number({ min: 0, max: 10 })).optional(),
  ...machineFields,
  /** How many GPUs and cloud offers the text lists (the JSON lists them all). */
  top: field(count(200)).optional(),
});
export type PlanRequest = z.output<typeof planRequest>;
export const parsePlan = (input: unknown): PlanRequest => parseRequest(planRequest, input, 'plan');

export type PlanAnswer = PlanJson & { accuracyByVendor: ValidationReport['summary']['byVendor'] };

/** `genready plan --json` and `POST /api/plan`. */
export async function planAnswer(req: PlanRequest, local: Local): Promise<PlanAnswer> {
  const workload = workloadInput(req);
  // Unset, the plan picks the batch with the most images per hour on each device.
  if (req.batch === undefined) delete workload.batch;
  const machine = await machineFor(req, local);
  return {
    ...plan({
      workload,
      images: req.images,
      withinHours: req.within,
      budgetUsd: req.budget ?? null,
      electricityUsdPerKWh: req.electricity ?? ECONOMICS.electricityUsdPerKWh.value,
      machine,
      calibration: calibrationFor(req, machine, local),
      pins: pinsFrom(req),
    }),
    // How far estimates were from published measurements, per vendor, so a recommendation carries its uncertainty.
    accuracyByVendor: accuracyByVendor(),
  };
}
