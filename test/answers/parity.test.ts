/**
 * One request, two interfaces: every API route and the matching CLI `--json` (run in-process)
 * give identical answers, and a bad request gives the same error, worded with `--flag` on the
 * command line and `field` in the API.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCommand } from 'citty';
import { RequestError } from '../../src/answers/errors.ts';
import { flagName, UsageError } from '../../src/cli/_args.ts';
import { checkCommand } from '../../src/cli/commands/check.ts';
import { constantsCommand } from '../../src/cli/commands/constants.ts';
import { devicesCommand } from '../../src/cli/commands/devices.ts';
import { estimateCommand } from '../../src/cli/commands/estimate.ts';
import { gpusCommand } from '../../src/cli/commands/gpus.ts';
import { modelsCommand } from '../../src/cli/commands/models.ts';
import { planCommand } from '../../src/cli/commands/plan.ts';
import { validateCommand } from '../../src/cli/commands/validate.ts';
import type { Output } from '../../src/cli/output.ts';
import { createApp } from '../../src/server/app.ts';
import { productionDeps } from '../../src/server/deps.ts';

const app = createApp({ deps: productionDeps(), webRoot: null });

type Fields = Record<string, string | number | boolean>;

/** The command line a person would type for these request fields. */
function argvOf(fields: Fields): string[] {
  return Object.entries(fields).flatMap(([k, v]) =>
    v === true ? [flagName(k)] : v === false ? [`--no-${flagName(k).slice(2)}`] : [flagName(k), String(v)],
  );
}

/** The CLI in-process: the command's `--json` output, or the error it throws. */
async function cli(cmd: object, argv: string[]): Promise<{ json?: unknown; error?: unknown }> {
  let json: unknown;
  const out: Output = { text: () => {}, json: (v) => (json = v) };
  try {
    await runCommand(cmd as never, { rawArgs: [...argv, '--json'], data: out });
  } catch (error) {
    return { error };
  }
  return { json: JSON.parse(JSON.stringify(json)) };
}

async function api(path: string, body?: Fields): Promise<{ status: number; json: unknown }> {
  const res =
    body === undefined
      ? await app.request(path)
      : await app.request(path, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
  return { status: res.status, json: await res.json() };
}

const query = (f: Fields) =>
  Object.keys(f).length ? `?${new URLSearchParams(Object.entries(f).map(([k, v]) => [k, String(v)]))}` : '';

interface Case {
  name: string;
  cmd: object;
  /** POST route with a JSON body, or GET route with a query. */
  route: `POST ${string}` | `GET ${string}`;
  fields: Fields;
}

const CASES: Case[] = [
  { name: 'estimate without a device', cmd: estimateCommand, route: 'POST /api/estimate', fields: { model: 'sd15' } },
  {
    name: 'estimate on a device with a size, as strings',
    cmd: estimateCommand,
    route: 'POST /api/estimate',
    fields: { model: 'sdxl', device: 'RTX 4060 Ti 16GB', size: '1024x768', batch: '2', calibration: false },
  },
  {
    name: 'estimate whose batch decode does not fit (carries the VAE-tiling hint)',
    cmd: estimateCommand,
    route: 'POST /api/estimate',
    fields: { model: 'sdxl', device: 'RTX 4060 Ti 16GB', size: '1024x1024', batch: 4, calibration: false },
  },
  {
    name: 'estimate with every workload field',
    cmd: estimateCommand,
    route: 'POST /api/estimate',
    fields: {
      model: 'sdxl',
      device: 'RTX 3060 12GB',
      width: 832,
      height: 1216,
      steps: 20,
      precision: 'fp8',
      textPrecision: 'fp16',
      vaePrecision: 'fp16',
      cfg: 'off',
      attention: 'sliced',
      vaeTiling: true,
      controlnet: true,
      strategy: 'model-offload',
      torchVersion: '2.5.1',
      rocmVersion: 6.4,
      frontend: 'script',
      runtime: Object.keys((await import('../../src/cost/constants.ts')).RUNTIMES).at(-1)!,
      ram: 16,
    },
  },
  {
    name: 'check of a hypothetical machine',
    cmd: checkCommand,
    route: 'GET /api/check',
    fields: { as: 'RTX 3060 12GB', ram: 16 },
  },
  {
    name: 'check without a GPU, verbose',
    cmd: checkCommand,
    route: 'GET /api/check',
    fields: { as: 'none', verbose: true },
  },
  { name: 'check of this machine', cmd: checkCommand, route: 'GET /api/check', fields: {} },
  {
    name: 'plan for a catalog GPU',
    cmd: planCommand,
    route: 'POST /api/plan',
    fields: { model: 'sdxl', size: '1024x1024', images: 2000, within: '1h30m', as: 'RTX 4060 Ti 16GB', budget: 900 },
  },
  {
    name: 'gpus in words refined by fields',
    cmd: gpusCommand,
    route: 'POST /api/gpus',
    fields: { for: 'sdxl 1024x1024 batch 4', steps: 20, vendor: 'nvidia', maxPrice: 2000 },
  },
  { name: 'gpus by model', cmd: gpusCommand, route: 'POST /api/gpus', fields: { model: 'sd15', top: 3 } },
  { name: 'models', cmd: modelsCommand, route: 'GET /api/models', fields: {} },
  { name: 'devices of a vendor', cmd: devicesCommand, route: 'GET /api/devices', fields: { vendor: 'apple' } },
  { name: 'devices --match', cmd: devicesCommand, route: 'GET /api/devices', fields: { match: 'Apple M2 16GB' } },
  { name: 'constants', cmd: constantsCommand, route: 'GET /api/constants', fields: {} },
  { name: 'validate', cmd: validateCommand, route: 'GET /api/validate', fields: {} },
];

async function both(c: Case) {
  const [method, path] = c.route.split(' ') as ['GET' | 'POST', string];
  const viaApi = method === 'POST' ? await api(path, c.fields) : await api(path + query(c.fields));
  const viaCli = await cli(c.cmd, argvOf(c.fields));
  return { viaApi, viaCli };
}

describe('the CLI --json and the API give the same answer to the same request', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const { viaApi, viaCli } = await both(c);
      assert.equal(viaCli.error, undefined, String(viaCli.error));
      assert.equal(viaApi.status, 200, JSON.stringify(viaApi.json));
      assert.deepEqual(viaApi.json, viaCli.json);
    });
  }

  test('the VAE-tiling hint is a field of the answer, in both', async () => {
    const { viaApi } = await both(CASES[2]!);
    const a = viaApi.json as { fits: boolean; vaeTilingHint: { fits: boolean; strategy: string } | null };
    assert.equal(a.fits, false);
    assert.equal(a.vaeTilingHint?.fits, true);
    const fits = (await both(CASES[1]!)).viaApi.json as { vaeTilingHint: unknown };
    assert.equal(fits.vaeTilingHint, null);
  });
});

const BAD: Case[] = [
  {
    name: 'an unknown strategy',
    cmd: estimateCommand,
    route: 'POST /api/estimate',
    fields: { model: 'sdxl', width: 1024, height: 1024, strategy: 'teleport' },
  },
  { name: 'an empty device', cmd: estimateCommand, route: 'POST /api/estimate', fields: { model: 'sdxl', device: '' } },
  { name: 'a hex width', cmd: estimateCommand, route: 'POST /api/estimate', fields: { model: 'sdxl', width: '0x400' } },
  {
    name: 'a size and a width',
    cmd: estimateCommand,
    route: 'POST /api/estimate',
    fields: { model: 'sdxl', size: '1024x1024', width: 512 },
  },
  {
    name: 'a width off the latent grid',
    cmd: estimateCommand,
    route: 'POST /api/estimate',
    fields: { model: 'flux1-dev', width: 1000 },
  },
  {
    name: 'negative RAM',
    cmd: estimateCommand,
    route: 'POST /api/estimate',
    fields: { model: 'sdxl', device: 'RTX 4090', ram: -5 },
  },
  {
    name: 'a version that is not one',
    cmd: estimateCommand,
    route: 'POST /api/estimate',
    fields: { model: 'sd15', device: 'Apple M1 Pro 32GB', torchVersion: 'latest' },
  },
  {
    name: 'a frontend that is not one',
    cmd: estimateCommand,
    route: 'POST /api/estimate',
    fields: { model: 'sd15', device: 'RTX 4090', frontend: 'notebook' },
  },
  { name: 'a zero max price', cmd: gpusCommand, route: 'POST /api/gpus', fields: { model: 'sdxl', maxPrice: 0 } },
  {
    name: 'a negative top',
    cmd: gpusCommand,
    route: 'POST /api/gpus',
    fields: { model: 'sdxl', top: -1 },
  },
  {
    name: 'words and a model',
    cmd: gpusCommand,
    route: 'POST /api/gpus',
    fields: { for: 'sdxl 1024x1024', model: 'sd15' },
  },
  {
    name: 'an empty duration',
    cmd: planCommand,
    route: 'POST /api/plan',
    fields: { model: 'sdxl', images: 10, within: '', as: 'RTX 4090' },
  },
  { name: 'a missing target', cmd: planCommand, route: 'POST /api/plan', fields: { model: 'sdxl', within: '8h' } },
  { name: 'RAM without a machine', cmd: checkCommand, route: 'GET /api/check', fields: { ram: 16 } },
  { name: 'an unknown vendor', cmd: devicesCommand, route: 'GET /api/devices', fields: { vendor: 'voodoo' } },
];

describe('a bad request is the same error in both, named in each interface’s words', () => {
  for (const c of BAD) {
    test(c.name, async () => {
      const { viaApi, viaCli } = await both(c);
      assert.equal(viaApi.status, 400);
      const e = (viaApi.json as { error: { message: string; field: string } }).error;
      assert.ok(viaCli.error instanceof UsageError, String(viaCli.error));
      const cause = (viaCli.error as UsageError).cause;
      assert.ok(cause instanceof RequestError);
      assert.equal(cause.message, e.message, 'the same check produced both');
      assert.equal(cause.field, e.field);
      assert.equal((viaCli.error as Error).message, cause.render(flagName));
      assert.ok(e.message.includes(e.field) && (viaCli.error as Error).message.includes(flagName(e.field)));
      assert.doesNotMatch(e.message, /--/, 'the API does not speak CLI syntax');
    });
  }
});
