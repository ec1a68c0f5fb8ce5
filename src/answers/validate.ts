/** `validate`: predicted against published measurements, and our own GPU runs (never fitted). */
import { z } from 'zod';
import { ownGpuReport, ownRunJson } from '../validate/own-gpu.ts';
import { type ValidationReport, validate } from '../validate/validate.ts';
import { parseRequest } from './request.ts';

export const validateRequest = z.strictObject({});
export const parseValidate = (input: unknown) => parseRequest(validateRequest, input, 'validate');

export type OwnGpuReport = ReturnType<typeof ownGpuReport>;

/** The report and the own-GPU comparison, as objects (the CLI also renders them as text and markdown). */
export function validation(): { report: ValidationReport; own: OwnGpuReport } {
  return { report: validate(), own: ownGpuReport() };
}

export type ValidateAnswer = ValidationReport & { ownGpu: ReturnType<typeof ownRunJson>[] };

/** `genready validate --json` and `GET /api/validate`. */
export function validateAnswer(v = validation()): ValidateAnswer {
  return { ...v.report, ownGpu: v.own.map(ownRunJson) };
}
