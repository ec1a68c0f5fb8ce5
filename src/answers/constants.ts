/** `constants`: the cost model's empirical constants, with how each was set and why. */
import { z } from 'zod';
import { CONSTANT_NOTES, constantValue, MODEL_CONSTANTS, RUNTIMES } from '../cost/constants.ts';
import { parseRequest } from './request.ts';

export const constantsRequest = z.strictObject({});
export const parseConstants = (input: unknown) => parseRequest(constantsRequest, input, 'constants');

/** `genready constants --json` and `GET /api/constants`. */
export function constantsAnswer() {
  return {
    constants: CONSTANT_NOTES.map((n) => ({ ...n, value: constantValue(MODEL_CONSTANTS, n.name) })),
    runtimes: Object.values(RUNTIMES),
  };
}

export type ConstantsAnswer = ReturnType<typeof constantsAnswer>;
