/**
 * The PyTorch path: the emitted script is valid Python that carries the graph builder's cases, and
 * `--import` reads the JSON that script prints (a hand-written sample in its exact format, since no
 * GPU or torch is available here) into the calibration, rejecting anything malformed in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrationFor, loadStore } from '../../src/bench/calibration.ts';
import { BenchError } from '../../src/bench/errors.ts';
import { importTorchResults, parseTorchResults } from '../../src/bench/import.ts';
import { emitTorchScript, torchCases } from '../../src/bench/torch.ts';
import { graphParameters } from '../../src/bench/graph/index.ts';
import { resolveDevice } from '../../src/catalog/devices.ts';
import { machineFromProbe } from '../../src/planner/machine.ts';
import { fakeProbe } from '../../src/probe/fake.ts';

const FIXTURE = new URL('../fixtures/bench/torch-results.json', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'genready-torch-'));
const machine = machineFromProbe(fakeProbe({ ramGiB: 32 }));

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
  // PyTorch is not installable here: a stand-in torch that only counts parameters builds the modules.
  const path = join(dir, 'all.py');
  emitTorchScript(path, { models: ['sd15', 'sd21', 'sdxl', 'sdxl-refiner', 'sdxl-turbo'], sizes: [[512, 512]] });
  const fixtures = new URL('../fixtures/bench/', import.meta.url).pathname;
  const py = spawnSync('python3', [join(fixtures, 'count_params.py'), path], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(fixtures, 'fake_torch'), PYTHONDONTWRITEBYTECODE: '1' } });
  assert.equal(py.status, 0, py.stderr);
  const rows = JSON.parse(py.stdout) as { model: string; phase: string; built: number; expected: number }[];
  assert.equal(rows.length, 10);
  for (const r of rows) assert.equal(r.built, r.expected, `${r.model} ${r.phase}`);
  assert.equal(rows.find((r) => r.model === 'sd15' && r.phase === 'denoising')!.built, 859_520_964);
});

test('the default script measures SD 1.5 at 512² and SDXL at 1024²', () => {
  const cases = torchCases();
  assert.deepEqual([...new Set(cases.map((c) => `${c.model}@${c.width}`))], ['sd15@512', 'sdxl@1024']);
  // The Python template has UNets and VAEs only: a DiT model is refused in one line, not half-written.
  assert.throws(() => torchCases({ models: ['pixart-sigma'] }), (e: unknown) => e instanceof BenchError && /PyTorch script builds unet and autoencoder-kl models only/.test(e.message));
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

test('malformed imports are one-line errors naming the problem; nothing is stored', () => {
  const good = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  const cases: [string, unknown, RegExp][] = [
    ['not json', '{"format": ', /is not JSON/],
    ['another tool', { ...good, format: 'something-else' }, /not a genready torch benchmark: format/],
    ['negative time', { ...good, results: [{ ...good.results[0], measuredSeconds: -1 }] }, /results\.0\.measuredSeconds/],
    ['no results', { ...good, results: [] }, /results/],
    ['wrong parameter count', { ...good, results: [{ ...good.results[0], parameters: 123 }] }, /built 123 parameters, genready's graph has 859520964/],
    ['unknown model', { ...good, results: [{ ...good.results[0], model: 'sd99' }] }, /results\.0 \(sd99 denoising\): unknown model/],
    ['unknown GPU', { ...good, environment: { ...good.environment, device: 'Voodoo 5 6000' } }, /"Voodoo 5 6000" is not in the catalog; pass --device/],
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
  assert.equal(importTorchResults(renamed, machine, 'RTX 4090', join(dir, 'cal-renamed.json')).device.id, 'nvidia-geforce-rtx-4090');
  assert.equal(parseTorchResults(JSON.stringify(good), 'x').results.length, 2);
});
