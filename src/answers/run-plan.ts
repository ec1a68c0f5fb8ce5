/**
 * `run RECIPE --plan` and `POST /api/run-plan`: what `genready run` would do with a recipe on this
 * machine, without loading the model or writing anything. The images (in the recipe, already made
 * and checked against the manifest, to make), the execution plan the run uses (provider, batch and
 * where the batch came from: src/runner/plan.ts), onnxruntime's intra-op pool from the machine's
 * load (src/ort/threads.ts, as the run opens its sessions), and whether the output folder holds
 * another recipe's run, which `run` would refuse. Nothing here loads onnxruntime.
 *
 * The recipe is a path on this machine, read as `run` reads it (paths inside it resolve against its
 * folder): the HTTP API is the local user's, behind the server's host and same-origin checks.
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { sessionThreads, threadPlan } from '../ort/threads.ts';
import { readManifest } from '../runner/manifest.ts';
import { type ExecutionPlan, PROVIDERS, planRecipe } from '../runner/plan.ts';
import { expandImages, loadRecipe, recipeFingerprint } from '../runner/recipe.ts';
import { fileMatches, readRunFile } from '../runner/stores/fs.ts';
import { choice, count, field, text } from './fields.ts';
import { parseRequest } from './request.ts';

export const runPlanRequest = z.strictObject({
  /** The recipe file (.json, .yaml), as `genready run RECIPE`. */
  recipe: field(text(4096)),
  /** Output folder instead of the recipe's (`--output`). */
  output: field(text(4096)).optional(),
  /** Images per denoiser call, over the recipe and the planner (`--batch`). */
  batch: field(count(64)).optional(),
  provider: field(choice(PROVIDERS)).optional(),
  /** onnxruntime intra-op threads (`--threads`). */
  threads: field(count(256)).optional(),
});

export type RunPlanRequest = z.output<typeof runPlanRequest>;
export const parseRunPlan = (input: unknown) => parseRequest(runPlanRequest, input, 'run plan');

/** How busy the machine is: the 1-minute load average and its cores (a seam for tests). */
export interface MachineLoad {
  load1: number;
  cores: number;
}

export interface RunPlanAnswer {
  recipe: string;
  modelDir: string;
  outputDir: string;
  size: { width: number; height: number };
  steps: number;
  sampler: string;
  guidance: number;
  /** In the recipe; already made (recorded and the file unchanged); still to make. */
  images: { total: number; done: number; todo: number };
  execution: ExecutionPlan;
  /** onnxruntime's intra-op pool: threads (null: onnxruntime's own, one per core), spinning, why. */
  threads: { threads: number | null; spinning: boolean; reason: string };
  /** Why `run` would refuse this output folder (it holds a run of another recipe), or null. */
  conflict: string | null;
}

/** The plan of a run; reads the recipe, the model folder's config and the output folder's records. */
export function runPlanAnswer(
  req: RunPlanRequest,
  machine: MachineLoad = { load1: loadavg()[0]!, cores: availableParallelism() },
): RunPlanAnswer {
  const recipe = loadRecipe(req.recipe, req.output !== undefined ? { output: req.output } : {});
  const images = expandImages(recipe);
  const execution = planRecipe(recipe, { batch: req.batch, provider: req.provider });
  const pool = threadPlan(machine.load1, machine.cores, req.threads);
  const chosen = sessionThreads(pool, req.threads);
  const previous = readRunFile(recipe.outputDir);
  const conflict =
    previous && previous.fingerprint !== recipeFingerprint(recipe)
      ? `${recipe.outputDir} holds a run of a different recipe (started from ${previous.recipe}): use a new output folder`
      : null;
  // What a resume would skip: recorded images whose file still holds the recorded bytes.
  let done = 0;
  if (!conflict)
    for (const [index, e] of readManifest(recipe.outputDir))
      if (index < images.length && fileMatches(join(recipe.outputDir, e.file), e)) done++;
  return {
    recipe: recipe.source,
    modelDir: recipe.modelDir,
    outputDir: recipe.outputDir,
    size: { width: recipe.width, height: recipe.height },
    steps: recipe.steps,
    sampler: recipe.sampler,
    guidance: recipe.guidance,
    images: { total: images.length, done, todo: images.length - done },
    execution,
    threads: { threads: chosen.threads ?? null, spinning: chosen.spinning, reason: pool.reason },
    conflict,
  };
}
