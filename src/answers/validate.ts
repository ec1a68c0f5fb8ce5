/** `validate`: predicted against published measurements, and our own GPU and CPU runs. */
import { z } from 'zod';
import { type OwnCpuReport, ownCpuJson, ownCpuReport } from '../validate/own-cpu.ts';
import { ownGpuReport, ownRunJson } from '../validate/own-gpu.ts';
import { type ValidationReport, validate } from '../validate/validate.ts';
import { parseRequest } from './request.ts';

export const validateRequest = z.strictObject({});
export const parseValidate = (input: unknown) => parseRequest(validateRequest, input, 'validate');

export type OwnGpuReport = ReturnType<typeof ownGpuReport>;

/** The report and the own-run comparisons, as objects (the CLI also renders them as text and markdown). */
export function validation(): { report: ValidationReport; own: OwnGpuReport; ownCpu: OwnCpuReport } {
  return { report: validate(), own: ownGpuReport(), ownCpu: ownCpuReport() };
}

export type ValidateAnswer = ValidationReport & {
  ownGpu: ReturnType<typeof ownRunJson>[];
  ownCpu: ReturnType<typeof ownCpuJson>;
};

/** `genready validate --json` and `GET /api/validate`. */
export function validateAnswer(v = validation()): ValidateAnswer {
  return { ...v.report, ownGpu: v.own.map(ownRunJson), ownCpu: ownCpuJson(v.ownCpu) };
}
