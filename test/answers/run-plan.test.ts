/**
 * The run plan (`genready run RECIPE --plan`, `POST /api/run-plan`): one answer from
 * src/answers/run-plan.ts through both interfaces (the parity.test.ts pattern), what it says about
 * a run folder (images made and checked, left, a folder of another recipe), and that planning
 * writes nothing and loads no onnxruntime.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCommand } from 'citty';
import { RequestError } from '../../src/answers/errors.ts';
import { parseRunPlan, type RunPlanAnswer, runPlanAnswer } from '../../src/answers/run-plan.ts';
import { flagName, UsageError } from '../../src/cli/_args.ts';
import { runRecipeCommand } from '../../src/cli/commands/run.ts';
import type { Output } from '../../src/cli/output.ts';
import { EXAMPLE_RECIPE } from '../../src/runner/example.ts';
import { runProduction } from '../../src/runner/production.ts';
import { loadRecipe } from '../../src/runner/recipe.ts';
import { createApp } from '../../src/server/app.ts';
import { productionDeps } from '../../src/server/deps.ts';
import { tinyExample } from '../runner/_example.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const app = createApp({ deps: productionDeps(), webRoot: null });

type Fields = Record<string, string | number>;

async function cli(recipe: string, fields: Fields): Promise<{ json?: RunPlanAnswer; error?: unknown }> {
  let json: unknown;
  const out: Output = { text: () => {}, json: (v) => (json = v) };
  const argv = Object.entries(fields).flatMap(([k, v]) => [flagName(k), String(v)]);
  try {
    await runCommand(runRecipeCommand as never, { rawArgs: [recipe, ...argv, '--plan', '--json'], data: out });
  } catch (error) {
    return { error };
  }
  return { json: JSON.parse(JSON.stringify(json)) };
}

async function api(body: Fields): Promise<{ status: number; json: unknown }> {
  const res = await app.request('/api/run-plan', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/**
 * Both interfaces for one request. The thread plan follows the 1-minute load average, which the
 * kernel updates every 5 s: when it moved between the two calls, ask both again.
 */
async function both(recipe: string, fields: Fields = {}) {
  for (let i = 0; ; i++) {
    const viaCli = await cli(recipe, fields);
    const viaApi = await api({ recipe, ...fields });
    const threadsOf = (x: unknown) => JSON.stringify((x as { threads?: unknown } | undefined)?.threads);
    if (i === 3 || threadsOf(viaCli.json) === threadsOf(viaApi.json)) return { viaCli, viaApi };
  }
}

let ex: Awaited<ReturnType<typeof tinyExample>>;
/** A recipe of 4 images (2 prompts × 2 seeds, 2 steps) beside the example model. */
let small: string;
before(async () => {
  ex = await tinyExample();
  small = join(ex.dir, 'small.json');
  writeFileSync(small, JSON.stringify({ ...EXAMPLE_RECIPE, seeds: '1-2', steps: 2, output: './small-out' }));
});

describe('run --plan and POST /api/run-plan give the same answer', () => {
  const cases: [string, () => string, () => Fields][] = [
    ['the example recipe', () => ex.recipePath, () => ({})],
    [
      'with batch, threads, provider and output',
      () => ex.recipePath,
      () => ({ batch: 3, threads: 2, provider: 'cpu' }),
    ],
    ['a batch and an output folder as strings', () => small, () => ({ batch: '2', output: join(ex.dir, 'elsewhere') })],
  ];
  for (const [name, recipe, fields] of cases)
    test(name, async () => {
      const { viaCli, viaApi } = await both(recipe(), fields());
      assert.equal(viaCli.error, undefined, String(viaCli.error));
      assert.equal(viaApi.status, 200, JSON.stringify(viaApi.json));
      assert.deepEqual(viaApi.json, viaCli.json);
    });

  test('the flags are applied: batch from --batch, threads as asked', async () => {
    const { viaApi } = await both(ex.recipePath, { batch: 3, threads: 2 });
    const a = viaApi.json as RunPlanAnswer;
    assert.equal(a.execution.batch, 3);
    assert.equal(a.execution.reason, 'batch 3 from --batch');
    assert.equal(a.threads.threads, 2);
    assert.deepEqual(a.images, { total: 8, done: 0, todo: 8 });
  });
});

describe('what the plan says about the run folder', () => {
  test('counts the images already made whose files still match, and writes nothing', async () => {
    const recipe = loadRecipe(small);
    await runProduction(recipe);
    const files = readdirSync(recipe.outputDir).sort();
    assert.deepEqual(runPlanAnswer(parseRunPlan({ recipe: small })).images, { total: 4, done: 4, todo: 0 });
    // A deleted image is one to make again, as a resume would.
    rmSync(join(recipe.outputDir, files.find((f) => f.endsWith('.png'))!));
    const { viaCli, viaApi } = await both(small);
    assert.deepEqual((viaApi.json as RunPlanAnswer).images, { total: 4, done: 3, todo: 1 });
    assert.deepEqual(viaApi.json, viaCli.json);
    assert.deepEqual(readdirSync(recipe.outputDir).length, files.length - 1, 'planning wrote nothing');
  });

  test('says when the output folder holds another recipe’s run (which run refuses)', async () => {
    const other = join(ex.dir, 'other.json');
    writeFileSync(other, JSON.stringify({ ...EXAMPLE_RECIPE, seeds: '1-2', steps: 3, output: './small-out' }));
    const { viaCli, viaApi } = await both(other);
    const a = viaApi.json as RunPlanAnswer;
    assert.match(a.conflict ?? '', /holds a run of a different recipe \(started from .*small\.json\)/);
    assert.equal(a.images.done, 0);
    assert.deepEqual(viaApi.json, viaCli.json);
  });

  test('loads no onnxruntime (planning a run needs no model loaded)', () => {
    const script = `import('./src/answers/run-plan.ts').then((m) => {
      m.runPlanAnswer(m.parseRunPlan({ recipe: ${JSON.stringify(small)} }));
      const { createRequire } = require('node:module');
      process.stdout.write(String(Object.keys(createRequire(process.cwd() + '/').cache).some((k) => k.includes('onnxruntime'))));
    })`;
    assert.equal(
      execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8' }),
      'false',
    );
  });
});

describe('a bad run-plan request is the same error in both, in each interface’s words', () => {
  const bad: [string, Fields][] = [
    ['a zero batch', { batch: 0 }],
    ['an unknown provider', { provider: 'tpu' }],
    ['fractional threads', { threads: 1.5 }],
  ];
  for (const [name, fields] of bad)
    test(name, async () => {
      const { viaCli, viaApi } = await both(ex.recipePath, fields);
      assert.equal(viaApi.status, 400);
      const e = (viaApi.json as { error: { message: string; field: string } }).error;
      assert.ok(viaCli.error instanceof UsageError, String(viaCli.error));
      const cause = (viaCli.error as UsageError).cause;
      assert.ok(cause instanceof RequestError);
      assert.equal(cause.message, e.message);
      assert.equal((viaCli.error as Error).message, cause.render(flagName));
      assert.ok((viaCli.error as Error).message.includes(flagName(e.field)));
      assert.doesNotMatch(e.message, /--/);
    });

  test('a recipe that does not exist: one line, the same in both', async () => {
    const { viaCli, viaApi } = await both(join(ex.dir, 'nope.json'));
    assert.equal(viaApi.status, 400);
    const e = (viaApi.json as { error: { code: string; message: string } }).error;
    assert.equal(e.code, 'no-recipe');
    assert.equal((viaCli.error as Error).message, e.message);
  });
});
