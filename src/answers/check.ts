/**
 * `check`: what can this machine (or a hypothetical one around a catalog GPU) produce? Tier,
 * per-model verdicts, failure patterns.
 */
import { z } from 'zod';
import { resolveDevice } from '../catalog/devices.ts';
import type { Calibration } from '../cost/calibration.ts';
import { hypotheticalMachine, type Machine, machineFromProbe } from '../planner/machine.ts';
import { failurePatterns, modelVerdicts, tierOf } from '../planner/verdict.ts';
import { parseVram, vramMachine } from '../planner/vram-machine.ts';
import { fakeProbe } from '../probe/fake.ts';
import { ref, said } from './errors.ts';
import { ramField } from './estimate.ts';
import { contradiction, field, flag, number, Problem, text } from './fields.ts';
import type { Local } from './local.ts';
import { fail, parseRequest } from './request.ts';
import { NAME_MAX } from './workload.ts';

export const machineFields = {
  /** A hypothetical machine with this catalog GPU ("RTX 3060 12GB"), or "none" for no GPU. */
  as: field(text(NAME_MAX)).optional(),
  /** A hypothetical GPU with this much memory in GB, for a card not in the catalog (also `as: "24GB"`). */
  vram: field(number({ above: 0, max: 1024 })).optional(),
  /** System RAM in GiB of the hypothetical machine (default 32). */
  ram: ramField,
};

export const checkRequest = z.strictObject({ ...machineFields, verbose: field(flag).optional() });
export type CheckRequest = z.output<typeof checkRequest>;
export const parseCheck = (input: unknown): CheckRequest => parseRequest(checkRequest, input, 'check');

const NO_GPU = /^(none|cpu|no-?gpu)$/i;

/** This machine (probed), or a hypothetical one around a catalog GPU (`as`; "none" for no GPU). */
export async function machineFor(
  req: { as?: string | undefined; vram?: number | undefined; ram?: number | undefined },
  local: Local,
) {
  if (req.vram !== undefined) {
    if (req.as !== undefined) fail('vram', contradiction('vram', 'as', 'give a catalog GPU or a memory size'));
    return vramMachine(req.vram, req.ram);
  }
  if (req.as === undefined) return local.machine();
  if (NO_GPU.test(req.as)) return machineFromProbe(fakeProbe({ ramGiB: req.ram ?? 32 }));
  // "24GB": a card that is not in the catalog, by its memory.
  const vram = parseVram(req.as);
  if (vram !== null) return vramMachine(vram, req.ram);
  return hypotheticalMachine(resolveDevice(req.as), req.ram);
}

/** This machine's own calibration applies, never to a hypothetical one. */
export const calibrationFor = (
  req: { as?: string | undefined; vram?: number | undefined },
  m: Machine,
  local: Local,
) => (req.as === undefined && req.vram === undefined ? local.calibration(m.device, m.probe.cpu.model) : null);

export function checkReport(m: Machine, verbose: boolean, calibration: Calibration | null = null) {
  const tier = tierOf(m);
  const models = modelVerdicts(m, { detail: verbose, calibration });
  const patterns = failurePatterns(m, tier, models);
  const p = m.probe;
  return {
    machine: {
      device: {
        id: m.device.id,
        name: m.device.name,
        backend: m.device.backend,
        memoryGiB: m.device.memoryGiB,
        note: m.deviceNote,
      },
      cpu: {
        model: p.cpu.model,
        cores: p.cpu.cores,
        threads: p.cpu.threads,
        clockGHz: p.cpu.clockGHz,
        simd: p.cpu.simd,
      },
      ramGiB: Math.round(m.ramGiB * 10) / 10,
      os: p.os,
      gpus: p.gpus.map((g) => ({
        name: g.name.value,
        vendor: g.vendor,
        memoryTotalBytes: g.memoryTotalBytes?.value ?? null,
        source: g.name.from.source,
      })),
      probe: { status: p.status, notes: p.notes, adapters: p.adapters },
    },
    tier: {
      level: tier.level,
      name: tier.name,
      ruleOfThumb: tier.ruleOfThumb,
      disagreement: tier.disagreement,
      requirements: tier.requirements,
    },
    models,
    failurePatterns: patterns,
    /** This machine's `genready bench` calibration (measured/estimated per phase), when one applied. */
    calibration:
      calibration && models.some((x) => x.basis === 'measured here')
        ? {
            deviceId: calibration.deviceId,
            factors: calibration.factors,
            measuredAt: calibration.measuredAt,
            source: calibration.source,
          }
        : null,
  };
}

export type CheckAnswer = ReturnType<typeof checkReport>;

/** `genready check --json` and `GET /api/check`. */
export async function checkAnswer(req: CheckRequest, local: Local): Promise<CheckAnswer> {
  if (req.ram !== undefined && req.as === undefined && req.vram === undefined)
    fail('ram', new Problem('ram-without-as', said`sets the RAM of a hypothetical machine: give it with ${ref('as')}`));
  const m = await machineFor(req, local);
  return checkReport(m, Boolean(req.verbose), calibrationFor(req, m, local));
}
