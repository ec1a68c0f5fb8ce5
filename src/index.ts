/**
 * genready as a library: the questions it answers (each a request schema and a function from the
 * parsed request to a typed answer), the catalogs, the cost model, the planner's ladder, the probe,
 * checkpoint inspection and the production runner's ports. The CLI, the HTTP API and the dashboard
 * are interfaces over these and are not exported.
 */
export * from './answers/index.ts';
export { listDevices, matchDevice, resolveDevice } from './catalog/devices.ts';
export type { Device, DeviceMatch } from './catalog/devices.types.ts';
export { GenreadyError } from './catalog/errors.ts';
export { listModels, resolveModel } from './catalog/models.ts';
export type { ModelEntry } from './catalog/models.types.ts';
export { CheckpointError } from './checkpoint/errors.ts';
export { type Inspection, inspectCheckpoint } from './checkpoint/inspect.ts';
export { type Estimate, type EstimateOptions, estimate } from './cost/estimate.ts';
export type { FirstImage } from './cost/first-image.ts';
export { makeWorkload, type Workload, type WorkloadInput } from './cost/workload.ts';
export { establish, establishmentJson } from './planner/ladder.ts';
export { hypotheticalMachine, type Machine, machineFromProbe } from './planner/machine.ts';
export { fakeProbe } from './probe/fake.ts';
export { probeMachine } from './probe/probe.ts';
export type { Backend, LoadedModel, RunSession, RunStore } from './runner/ports.ts';
export { type RunOptions, type RunSummary, runProduction } from './runner/production.ts';
export { loadRecipe, type Recipe } from './runner/recipe.ts';
