/**
 * The questions genready answers, one module each: a zod request schema (`parseX`, the one place
 * request values are parsed) and a function from the parsed request to a typed answer. The CLI maps
 * flags and the HTTP API maps JSON onto these requests; neither parses values itself.
 */
export { type CheckAnswer, type CheckRequest, checkAnswer, parseCheck } from './check.ts';
export { type ConstantsAnswer, constantsAnswer, parseConstants } from './constants.ts';
export { type DevicesAnswer, type DevicesRequest, devicesAnswer, devicesJson, parseDevices } from './devices.ts';
export { type FieldNamer, RequestError } from './errors.ts';
export {
  type EstimateAnswer,
  type EstimateOnDevice,
  type EstimateRequest,
  estimateAnswer,
  parseEstimate,
  type VaeTilingHint,
} from './estimate.ts';
export { parseSize } from './fields.ts';
export { type GpusAnswer, type GpusRequest, gpusAnswer, parseGpus } from './gpus.ts';
export { type Local, productionLocal } from './local.ts';
export { type ModelsAnswer, modelsAnswer, parseModels } from './models.ts';
export { type PlanAnswer, type PlanRequest, parsePlan, planAnswer } from './plan.ts';
export {
  type MachineLoad,
  parseRunPlan,
  type RunPlanAnswer,
  type RunPlanRequest,
  runPlanAnswer,
} from './run-plan.ts';
export { parseSweep, type SweepJson, type SweepRequest, sweepAnswer } from './sweep.ts';
export { parseValidate, type ValidateAnswer, validateAnswer } from './validate.ts';
