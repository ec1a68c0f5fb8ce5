/**
 * The PyTorch path: the emitted script is valid Python that carries the graph builder's cases, and
 * `--import` reads the JSON that script prints (a hand-written sample in its exact format, since no
 * GPU is available here) into the calibration, rejecting anything malformed in one line. Full-size
 * modules are counted with a stand-in torch (building FLUX in fp32 would take 48 GB); the script
 * running on real torch (1.13, CPU) is test/bench/torch-crosscheck.test.ts.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { models as catalog } from '../../data/models/index.ts';
import { calibrationFor, loadStore } from '../../src/bench/calibration.ts';
import { BenchError } from '../../src/bench/errors.ts';
import { importTorchResults, parseTorchResults } from '../../src/bench/import.ts';
import {
  emitTorchScript,
  renderTorchScript,
  torchCases,
  torchCasesFor,
  torchCheckComponent,
  torchPipelinesFor,
} from '../../src/bench/torch.ts';
import { resolveDevice } from '../../src/catalog/devices.ts';
import type { AutoencoderArch, FluxArch } from '../../src/catalog/models.types.ts';
import { fluxNameMap, vaeDecoderNameMap } from '../../src/checkpoint/names.ts';
import { sumParams, walk } from '../../src/cost/analyze/index.ts';
import { graphParameters } from '../../src/graph/index.ts';
import { machineFromProbe } from '../../src/planner/machine.ts';
import { fakeProbe } from '../../src/probe/fake.ts';

const FIXTURE = new URL('../fixtures/bench/torch-results.json', import.meta.url);
const FIXTURES = new URL('../fixtures/bench/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'genready-torch-'));
const machine = machineFromProbe(fakeProbe({ ramGiB: 32 }));

/** Builds every case's modules with the stand-in torch (no memory for full-size weights) and returns built vs expected parameters. */
function countParams(script: string): { model: string; phase: string; built: number; expected: number }[] {
  const py = spawnSync('python3', [join(FIXTURES, 'count_params.py'), script], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: join(FIXTURES, 'fake_torch'), PYTHONDONTWRITEBYTECODE: '1' },
  });
  assert.equal(py.status, 0, py.stderr);
  return JSON.parse(py.stdout);
}

test('the emitted script compiles and embeds every case with the parameter count of the graph builder', () => {
  const path = join(dir, 'bench.py');
  const r = emitTorchScript(path, { models: ['sd15', 'sdxl'], sizes: [[512, 512]] });
  assert.deepEqual(r, { cases: 4, models: ['sd15', 'sdxl'] });
  const py = spawnSync('python3', ['-m', 'py_compile', path], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const text = readFileSync(path, 'utf8');
  assert.doesNotMatch(text, /__(CASES|WARMUP|ITERATIONS|SEED|GENREADY_VERSION)__/);
  assert.match(text, /scaled_dot_product_attention/);
  assert.doesNotMatch(text, /from_pretrained|hf_hub|requests|urllib/, 'nothing is downloaded');
  const cases = JSON.parse(/CASES = json\.loads\(r"""([\s\S]*?)"""\)/.exec(text)![1]!) as ReturnType<typeof torchCases>;
  assert.equal(cases.length, 4);
  for (const c of cases) assert.equal(c.parameters, graphParameters(c.arch));
  const sd15 = cases.find((c) => c.model === 'sd15' && c.phase === 'denoising')!;
  assert.deepEqual([sd15.forwardBatch, sd15.latentHeight, sd15.textTokens], [2, 64, 77]);
});

test('the script builds PyTorch modules with exactly the parameters of the ONNX graphs, for every UNet-family model', () => {
  // A stand-in torch that only counts parameters builds the full-size modules.
  const path = join(dir, 'all.py');
  emitTorchScript(path, { models: ['sd15', 'sd21', 'sdxl', 'sdxl-refiner', 'sdxl-turbo'], sizes: [[512, 512]] });
  const rows = countParams(path);
  assert.equal(rows.length, 10);
  for (const r of rows) assert.equal(r.built, r.expected, `${r.model} ${r.phase}`);
  assert.equal(rows.find((r) => r.model === 'sd15' && r.phase === 'denoising')!.built, 859_520_964);
});

test('the script builds the transformer denoisers (SD3, SD3.5 MMDiT-X, FLUX, PixArt) with exactly the parameters of the ONNX graphs', () => {
  const path = join(dir, 'dits.py');
  const models = ['sd3-medium', 'sd35-medium', 'flux1-dev', 'flux1-schnell', 'pixart-sigma'];
  emitTorchScript(path, { models, sizes: [[1024, 1024]] });
  assert.equal(spawnSync('python3', ['-m', 'py_compile', path], { encoding: 'utf8' }).status, 0);
  const rows = countParams(path).filter((r) => r.phase === 'denoising');
  assert.deepEqual(
    rows.map((r) => r.model),
    models,
  );
  for (const r of rows) assert.equal(r.built, r.expected, r.model);
  // And the analyzer's count (the graphs equal it): FLUX equals the published instantiated figure.
  for (const m of catalog.filter((x) => models.includes(x.id))) {
    const a = m.denoiser.arch;
    assert.equal(
      rows.find((r) => r.model === m.id)!.built,
      sumParams(walk(a, { width: 1024, height: 1024, latentWidth: 128, latentHeight: 128, textTokens: 77 })),
      m.id,
    );
  }
  assert.equal(rows.find((r) => r.model === 'flux1-dev')!.built, 11_901_408_320);
});

test('the default script measures SD 1.5 at 512² and SDXL at 1024²; a DiT case carries its own inputs description', () => {
  const cases = torchCases();
  assert.deepEqual([...new Set(cases.map((c) => `${c.model}@${c.width}`))], ['sd15@512', 'sdxl@1024']);
  const [flux] = torchCases({ models: ['flux1-schnell'], sizes: [[512, 512]] });
  assert.deepEqual([flux!.arch.kind, flux!.latentHeight, flux!.textTokens, flux!.forwardBatch], ['flux', 64, 256, 1]);
});

test('--import reads the script output as the calibration of the GPU it ran on', () => {
  const cal = join(dir, 'cal-ok.json');
  const r = importTorchResults(FIXTURE.pathname, machine, undefined, cal);
  assert.equal(r.device.id, 'nvidia-geforce-rtx-4090');
  assert.equal(r.report.environment.runtime, 'pytorch');
  assert.equal(r.report.results.length, 2);
  const step = r.report.results[0]!;
  assert.equal(step.measuredSeconds, 0.0386);
  assert.equal(step.medianSeconds, 0.0391);
  assert.equal(step.peakMemoryBytes, 2248146944);
  assert.ok(step.predictedSeconds > 0.005 && step.predictedSeconds < 0.5, String(step.predictedSeconds));
  const c = calibrationFor(resolveDevice('RTX 4090'), loadStore(cal))!;
  assert.ok(Math.abs(c.factors.denoising! - 0.0386 / step.predictedSeconds) < 1e-9);
  assert.match(c.source, /^pytorch 2\.5\.1\+cu124 cuda$/);
});

test('--import accepts transformer denoisers (FLUX, SD3, PixArt) measured by the script', () => {
  const good = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  const step = good.results[0];
  const rows = [
    {
      ...step,
      model: 'flux1-dev',
      width: 1024,
      height: 1024,
      forwardBatch: 1,
      parameters: 11_901_408_320,
      measuredSeconds: 0.41,
    },
    {
      ...step,
      model: 'sd3-medium',
      width: 1024,
      height: 1024,
      forwardBatch: 2,
      parameters: graphParameters(catalog.find((m) => m.id === 'sd3-medium')!.denoiser.arch),
      measuredSeconds: 0.12,
    },
    {
      ...step,
      model: 'pixart-sigma',
      width: 1024,
      height: 1024,
      forwardBatch: 2,
      parameters: 610_856_096,
      measuredSeconds: 0.09,
    },
  ];
  const file = join(dir, 'dits.json');
  writeFileSync(file, JSON.stringify({ ...good, results: rows }));
  const r = importTorchResults(file, machine, undefined, join(dir, 'cal-dits.json'));
  assert.deepEqual(
    r.report.results.map((x) => x.model),
    ['flux1-dev', 'sd3-medium', 'pixart-sigma'],
  );
  for (const x of r.report.results) assert.ok(x.predictedSeconds > 0, x.model);
});

test('malformed imports are one-line errors naming the problem; nothing is stored', () => {
  const good = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  const cases: [string, unknown, RegExp][] = [
    ['not json', '{"format": ', /is not JSON/],
    ['another tool', { ...good, format: 'something-else' }, /not a genready torch benchmark: format/],
    [
      'negative time',
      { ...good, results: [{ ...good.results[0], measuredSeconds: -1 }] },
      /results\.0\.measuredSeconds/,
    ],
    ['no results', { ...good, results: [] }, /results/],
    [
      'wrong parameter count',
      { ...good, results: [{ ...good.results[0], parameters: 123 }] },
      /built 123 parameters, genready's graph has 859520964/,
    ],
    [
      'unknown model',
      { ...good, results: [{ ...good.results[0], model: 'sd99' }] },
      /results\.0 \(sd99 denoising\): unknown model/,
    ],
    [
      'unknown GPU',
      { ...good, environment: { ...good.environment, device: 'Voodoo 5 6000' } },
      /"Voodoo 5 6000" is not in the catalog; pass --device/,
    ],
  ];
  for (const [name, body, re] of cases) {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.json`);
    const cal = join(dir, `cal-${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
    assert.throws(
      () => importTorchResults(file, machine, undefined, cal),
      (e: unknown) => e instanceof BenchError && re.test(e.message) && !e.message.includes('\n'),
      name,
    );
    assert.deepEqual(loadStore(cal).devices, {}, `${name}: nothing stored`);
  }
  assert.throws(() => importTorchResults(join(dir, 'missing.json'), machine), /cannot read .*missing\.json: ENOENT/);
  // --device names the GPU when the script's name is not in the catalog.
  const renamed = join(dir, 'renamed.json');
  writeFileSync(renamed, JSON.stringify({ ...good, environment: { ...good.environment, device: 'Some Cloud GPU' } }));
  assert.equal(
    importTorchResults(renamed, machine, 'RTX 4090', join(dir, 'cal-renamed.json')).device.id,
    'nvidia-geforce-rtx-4090',
  );
  assert.equal(parseTorchResults(JSON.stringify(good), 'x').results.length, 2);
});

test('a sweep script carries pipelines and per-case precision and attention; it compiles', () => {
  const path = join(dir, 'sweep.py');
  const cases = torchCasesFor([
    { model: 'sd15', size: [512, 512], batch: 8, phases: ['denoising'], attention: 'naive' },
    { model: 'sdxl', size: [1024, 1024], phases: ['vae-decode'], precision: 'fp32' },
  ]);
  const pipelines = torchPipelinesFor([{ model: 'sd15', size: [512, 512], batch: 4 }]);
  writeFileSync(path, renderTorchScript(cases, { warmup: 0, iterations: 1, pipelines }));
  assert.equal(spawnSync('python3', ['-m', 'py_compile', path], { encoding: 'utf8' }).status, 0);
  const text = readFileSync(path, 'utf8');
  assert.doesNotMatch(text, /__(CASES|PIPELINES|WARMUP|ITERATIONS|SEED|GENREADY_VERSION)__/);
  const embedded = JSON.parse(/PIPELINES = json\.loads\(r"""([\s\S]*?)"""\)/.exec(text)![1]!) as typeof pipelines;
  assert.deepEqual([embedded[0]!.batch, embedded[0]!.denoiser.forwardBatch, embedded[0]!.vae.forwardBatch], [4, 8, 4]);
  assert.deepEqual(
    cases.map((c) => [c.attention, c.precision]),
    [
      ['naive', 'fp16'],
      ['sdpa', 'fp32'],
    ],
  );
  assert.throws(() => renderTorchScript(cases, { iterations: 0 }), /--iterations must be a whole number ≥ 1/);
});

test('--import keeps naive/math attention cases and pipelines out of the calibration', () => {
  const good = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  const step = good.results[0];
  const body = {
    ...good,
    results: [
      { ...step, measuredSeconds: 0.04 },
      { ...step, attention: 'naive', measuredSeconds: 4 },
    ],
    failed: [{ model: 'sdxl', phase: 'pipeline', width: 1024, height: 1024, batch: 64, error: 'CUDA out of memory' }],
  };
  const file = join(dir, 'mixed.json');
  writeFileSync(file, JSON.stringify(body));
  const cal = join(dir, 'cal-mixed.json');
  const r = importTorchResults(file, machine, undefined, cal);
  assert.equal(r.report.results.length, 2);
  assert.equal(r.calibrated, 1);
  const stored = loadStore(cal).devices['nvidia-geforce-rtx-4090']!.measurements;
  assert.deepEqual(
    stored.map((m) => m.measuredSeconds),
    [0.04],
  );
});

test('the check mode embeds the name map as [graph, checkpoint name, kind, rows, swap] and refuses kinds it cannot bind', () => {
  const sd15 = catalog.find((m) => m.id === 'sd15')!;
  const vae = sd15.vae.arch as AutoencoderArch;
  const c = torchCheckComponent('vae', vae, vaeDecoderNameMap(vae), 'ldm', 'first_stage_model.');
  assert.deepEqual([c.role, c.inputs, c.outputs], ['vae', ['latent_sample'], ['sample']]);
  assert.deepEqual(
    c.entries.find((e) => e[0] === 'mid.attn.to_q.weight'),
    ['mid.attn.to_q.weight', 'first_stage_model.decoder.mid.attn_1.q.weight', 'conv1x1-linear', null, false],
  );
  const text = renderTorchScript([], { check: [c] });
  const embedded = JSON.parse(/CHECK = json\.loads\(r"""([\s\S]*?)"""\)/.exec(text)![1]!) as (typeof c)[];
  assert.equal(embedded[0]!.entries.length, c.entries.length);
  const flux = catalog.find((m) => m.id === 'flux1-dev')!.denoiser.arch as FluxArch;
  assert.throws(
    () => torchCheckComponent('flux', flux, fluxNameMap(flux), 'ldm'),
    (e: unknown) =>
      e instanceof BenchError && /PixArt DiTs, VAE decoders and CLIP text encoders, not flux/.test(e.message),
  );
});
