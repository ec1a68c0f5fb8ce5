import { availableParallelism, loadavg } from 'node:os';
import { relative } from 'node:path';
import { defineCommand } from 'citty';
import { SingleBar } from 'cli-progress';
import { parseRunPlan, runPlanAnswer } from '../../answers/run-plan.ts';
import { missingProviderMessage } from '../../ort/gpu-runtimes.ts';
import { threadPlan } from '../../ort/threads.ts';
import { RunnerError } from '../../runner/errors.ts';
import { writeExample } from '../../runner/example.ts';
import { type RunEvents, type RunSummary, runProduction } from '../../runner/production.ts';
import { loadRecipe } from '../../runner/recipe.ts';
import { cliAnswer, num, rejectUnknownFlags, requestOf } from '../_args.ts';
import type { Output } from '../output.ts';

const runArgs = {
  recipe: { type: 'positional', description: 'recipe file (.json, .yaml)', required: false },
  batch: { type: 'string', description: 'images per denoiser call (overrides the recipe and the planner)' },
  provider: { type: 'string', description: 'onnxruntime execution provider: cpu (default), cuda, dml, coreml' },
  threads: { type: 'string', description: 'onnxruntime threads (default: one per core); the images do not change' },
  redoRejected: { type: 'boolean', description: 'regenerate the images marked "reject" in review, with new seeds' },
  example: { type: 'string', description: 'write a tiny model and a ready recipe into this folder, then stop' },
  output: {
    type: 'string',
    description: "output folder (default: the recipe's output, which must stay inside the recipe's folder)",
  },
  json: { type: 'boolean', description: 'print the summary as JSON' },
  plan: {
    type: 'boolean',
    description: 'show what the run would do (images left, batch, provider, threads) and stop; writes nothing',
  },
  queue: {
    type: 'string',
    description: 'coordinate workers through Redis: redis://[:password@]host:port (docs/scale-out.md)',
  },
  chunk: { type: 'string', description: 'with --queue: images per queued job (8)' },
  attempts: { type: 'string', description: 'with --queue: tries per chunk before its images count as failed (3)' },
  mixed: {
    type: 'boolean',
    description: 'with --queue: let workers of every backend class join (bytes differ across classes)',
  },
} as const;

function clock(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

/** Progress on stderr: a bar with images/hour and time left on a terminal, one line per image otherwise. */
function progress(quiet: boolean): RunEvents & { stop(): void } {
  const tty = process.stderr.isTTY === true && !quiet;
  let bar: SingleBar | null = null;
  let started = 0;
  let doneAtStart = 0;
  let total = 0;
  let stepInfo = '';
  const rates = (done: number) => {
    const elapsed = (performance.now() - started) / 1000;
    const made = done - doneAtStart;
    const perHour = made > 0 ? (made / elapsed) * 3600 : 0;
    const left = perHour > 0 ? ((total - done) / perHour) * 3600 : NaN;
    return { perHour: Math.round(perHour).toLocaleString('en-US'), left: clock(left) };
  };
  return {
    onNote(line) {
      process.stderr.write(`genready run: ${line}\n`);
    },
    onPlan(p) {
      total = p.total;
      doneAtStart = p.done;
      started = performance.now();
      process.stderr.write(
        `genready run: ${p.todo} to make, ${p.done} already done, model ${p.model}; ${p.plan.reason}; provider ${p.plan.providers[0]}\n`,
      );
      if (tty && p.todo > 0) {
        bar = new SingleBar({
          format: '{bar} {value}/{total} images | {perHour} images/hour | {left} left | {step}',
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
        });
        bar.start(p.total, p.done, { perHour: '0', left: '--:--', step: '' });
      }
    },
    onStep(s, n) {
      stepInfo = `step ${s}/${n}`;
      bar?.update({ step: stepInfo });
    },
    onImage(e, p) {
      const r = rates(p.done);
      if (bar) bar.update(p.done, { perHour: r.perHour, left: r.left, step: stepInfo });
      else if (!quiet)
        process.stderr.write(`[${p.done}/${p.total}] ${e.file} · ${r.perHour} images/hour · ${r.left} left\n`);
    },
    stop() {
      bar?.stop();
    },
  };
}

export const runRecipeCommand = defineCommand({
  meta: {
    name: 'run',
    description:
      'Generate a recipe’s images from a .safetensors checkpoint, a diffusers folder or an ONNX export; resumable; records every image',
  },
  args: runArgs,
  async run({ args, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, runArgs);
    const out = data as Output;
    if (typeof args.example === 'string') {
      if (args.example === '') throw new RunnerError('bad-flag', '--example needs a folder');
      const ex = await writeExample(args.example);
      const recipe = relative(process.cwd(), ex.recipe) || ex.recipe;
      if (args.json) return out.json({ recipe: ex.recipe, modelDir: ex.modelDir, parameters: ex.parameters });
      out.text(
        `wrote a tiny model (${ex.parameters.toLocaleString('en-US')} parameters, random weights) and ${recipe}\n` +
          'its images will be noise: the weights are random, not trained; it shows the pipeline, the records and resume at work\n' +
          `try: npx genready run ${recipe}`,
      );
      return;
    }
    if (typeof args.recipe !== 'string' || args.recipe === '')
      throw new RunnerError('no-recipe', 'give a recipe file: genready run RECIPE.json (or --example DIR to make one)');
    if (args.plan)
      return printRunPlan(args.recipe, requestOf(args, runArgs, ['json', 'plan']), args.json === true, out);
    const batch = num('batch', args.batch);
    if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > 64))
      throw new RunnerError('bad-flag', `--batch must be a whole number from 1 to 64, got ${args.batch}`);
    const threads = num('threads', args.threads);
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 256))
      throw new RunnerError('bad-flag', `--threads must be a whole number from 1 to 256, got ${args.threads}`);
    const missing = typeof args.provider === 'string' ? missingProviderMessage(args.provider) : null;
    if (missing) throw new RunnerError('provider-missing', missing);
    // On a busy machine onnxruntime's one-thread-per-core pool fights the other processes (src/ort/threads.ts).
    const load = threadPlan(loadavg()[0]!, availableParallelism(), threads);
    const chosenThreads = threads ?? (load.spinning ? undefined : load.threads);
    if (args.output === '') throw new RunnerError('bad-flag', '--output needs a folder');
    const recipe = loadRecipe(args.recipe, typeof args.output === 'string' ? { output: args.output } : {});
    if (args.queue !== undefined) return (await import('./queue.ts')).runQueued(recipe, args, out);
    const p = progress(args.json === true);
    let summary: RunSummary;
    try {
      summary = await runProduction(recipe, {
        ...(batch !== undefined ? { batch } : {}),
        ...(typeof args.provider === 'string' ? { provider: args.provider } : {}),
        ...(chosenThreads !== undefined ? { threads: chosenThreads } : {}),
        redoRejected: args.redoRejected === true,
        events: p,
      });
    } finally {
      p.stop();
    }
    if (args.json) return out.json(summary);
    const where = relative(process.cwd(), summary.outputDir) || '.';
    const rate =
      summary.made > 0
        ? ` in ${summary.seconds.toFixed(1)} s (${Math.round(summary.imagesPerHour).toLocaleString('en-US')} images/hour)`
        : '';
    const what = args.redoRejected
      ? `${summary.made} rejected image(s) redone`
      : `${summary.made} image(s) made, ${summary.skipped} already there, ${summary.total} in the recipe`;
    out.text(`${what}${rate} → ${where}/ (manifest.jsonl)`);
  },
});

/** `run RECIPE --plan`: the answer of src/answers/run-plan.ts (also `POST /api/run-plan`), as text or JSON. */
async function printRunPlan(recipe: string, fields: Record<string, unknown>, json: boolean, out: Output) {
  const p = await cliAnswer(() => runPlanAnswer(parseRunPlan({ ...fields, recipe })));
  if (json) return out.json(p);
  const here = (path: string) => {
    const r = relative(process.cwd(), path);
    return r.startsWith('..') ? path : r || '.';
  };
  const e = p.execution;
  out.text(
    [
      `${here(p.recipe)}: ${p.images.total} image(s) of ${p.size.width}×${p.size.height}, ${p.steps} steps ${p.sampler}, guidance ${p.guidance}`,
      `  model ${here(p.modelDir)}${e.catalogModel ? ` (the catalog's ${e.catalogModel})` : ''} → ${here(p.outputDir)}/`,
      p.conflict ? `  run would refuse: ${p.conflict}` : `  ${p.images.done} already made, ${p.images.todo} to make`,
      `  ${e.reason}; provider ${e.providers.join(', then ')}`,
      `  onnxruntime: ${p.threads.reason}`,
    ].join('\n'),
  );
}
