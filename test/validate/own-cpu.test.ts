/**
 * genready's own CPU runs (data/eval/own-cpu.jsonl: SD 1.5's phases on onnxruntime, on a Zen 3 EPYC
 * and a Xeon with AVX-512) against the CPU time model, predicted from each CPU's features alone.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { predictSeconds } from '../../src/bench/calibration.ts';
import { cpuDevice, onThreads } from '../../src/catalog/cpu.ts';
import { CatalogError } from '../../src/catalog/errors.ts';
import { validationMarkdown } from '../../src/validate/markdown.ts';
import { compareOwnCpu, OWN_CPU_FILE, ownCpuReport, parseOwnCpu } from '../../src/validate/own-cpu.ts';
import { validate } from '../../src/validate/validate.ts';
import { cli } from '../cli/helpers.ts';

const report = ownCpuReport();

test('the kept CPU runs parse, with unique ids, both vector units and every phase', () => {
  const rows = report.rows.map((c) => c.row);
  assert.ok(rows.length >= 20, String(rows.length));
  assert.equal(new Set(rows.map((r) => r.id)).size, rows.length);
  assert.deepEqual([...new Set(report.rows.map((c) => c.device.computeId))].sort(), ['avx2', 'avx512+avx2+amx']);
  assert.deepEqual([...new Set(rows.map((r) => r.phase))].sort(), ['denoising', 'text-encoding', 'vae-decode']);
  // SD 2.1 (OpenCLIP ViT-H, its own UNet) and SDXL's UNet: architectures no CPU constant was measured on.
  assert.deepEqual([...new Set(rows.map((r) => r.model))].sort(), ['sd15', 'sd21', 'sdxl']);
  // Only the rows that set cpu.avx2 are fitted; the rest check the model.
  assert.deepEqual(
    rows.filter((r) => r.fitted).map((r) => r.fitted),
    ['cpu.avx2', 'cpu.avx2'],
  );
  assert.equal(report.checked.n + report.fitted.n, rows.length);
});

test('every kept CPU run is predicted within 20 %, from its cores, clock and vector units alone', () => {
  for (const c of report.rows)
    assert.ok(Math.abs(c.ratio - 1) < 0.2, `${c.row.id}: predicted / measured ${c.ratio.toFixed(2)}`);
  assert.ok(report.checked.median < 0.1, `median ${report.checked.median}`);
});

test('a kept run is predicted as `genready bench` predicts it: the cores it ran on, at the clock it read', () => {
  const oneThread = report.rows.find((c) => c.row.timing === 'wall' && c.row.threads < c.row.cpu.cores)!;
  const cpuTime = report.rows.find((c) => c.row.timing === 'cpu-time')!;
  for (const c of [oneThread, cpuTime]) {
    const device = onThreads(cpuDevice(c.row.cpu), 1, c.row.cpu.cores);
    const seconds = predictSeconds({ ...c.row, batch: 1, precision: 'fp32', strategy: 'cpu' }, device);
    assert.equal(c.predicted, seconds, c.row.id);
  }
  // The same run on all the cores would be predicted faster: the thread count is honoured.
  const all = predictSeconds(
    { ...oneThread.row, batch: 1, precision: 'fp32', strategy: 'cpu' },
    cpuDevice(oneThread.row.cpu),
  );
  assert.ok(all < 0.6 * oneThread.predicted, `${all} vs ${oneThread.predicted}`);
});

test('a malformed kept row is a one-line error naming the file, the line and the field', () => {
  const lines = readFileSync(OWN_CPU_FILE, 'utf8').split('\n').filter(Boolean);
  const row = JSON.parse(lines[0]!);
  const bad = (mutate: (r: Record<string, unknown>) => unknown, pattern: RegExp) => {
    const r = structuredClone(row);
    const out = mutate(r);
    const text = typeof out === 'string' ? out : JSON.stringify(r);
    assert.throws(
      () => parseOwnCpu(`${lines[1]}\n${text}\n`, 'own-cpu.jsonl'),
      (e: unknown) => e instanceof CatalogError && pattern.test(e.message) && !e.message.includes('\n'),
    );
  };
  bad(() => '{"id": "C0001",', /^own-cpu\.jsonl:2: not JSON$/);
  bad((r) => void (r.phase = 'upscale'), /^own-cpu\.jsonl:2: phase: /);
  bad((r) => void (r.seconds = -1), /^own-cpu\.jsonl:2: seconds: /);
  bad((r) => void ((r.cpu as { clockGHz: unknown }).clockGHz = '4 GHz'), /^own-cpu\.jsonl:2: cpu\.clockGHz: /);
  bad((r) => void (r.threads = 64), /^own-cpu\.jsonl:2: threads: 64 on 2 cores$/);
  bad((r) => void (r.extra = true), /^own-cpu\.jsonl:2: row: /);
  // A row the model cannot take names itself: an unknown model, a size off the latent grid.
  for (const [field, value, pattern] of [
    ['model', 'sd99', /^C0001: .*sd99/],
    ['width', 257, /^C0001: .*257/],
  ] as const) {
    const r = parseOwnCpu(lines[0]!)[0]!;
    assert.throws(
      () => compareOwnCpu([{ ...r, [field]: value }]),
      (e: unknown) => e instanceof CatalogError && pattern.test(e.message) && !e.message.includes('\n'),
    );
  }
  // An absent file is no runs, not an error: a checkout without data still validates.
  const dir = mkdtempSync(join(tmpdir(), 'genready-own-cpu-'));
  assert.equal(ownCpuReport(join(dir, 'missing.jsonl')).rows.length, 0);
  writeFileSync(join(dir, 'empty.jsonl'), '\n');
  assert.equal(ownCpuReport(join(dir, 'empty.jsonl')).checked.n, 0);
});

test('genready validate reports the kept CPU runs apart from the published rows, in its table, JSON and markdown', () => {
  const text = cli(['validate']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /own CPU runs \(onnxruntime\)/);
  assert.match(text.stdout, new RegExp(`never fitted\\s+\\d+\\.\\d % / \\d+\\.\\d % n=${report.checked.n}`));
  const j = JSON.parse(cli(['validate', '--json']).stdout) as {
    ownCpu: { file: string; checked: { n: number }; rows: { id: string; predictedSeconds: number }[] };
  };
  assert.equal(j.ownCpu.file, 'data/eval/own-cpu.jsonl');
  assert.equal(j.ownCpu.rows.length, report.rows.length);
  assert.equal(j.ownCpu.checked.n, report.checked.n);
  assert.equal(j.ownCpu.rows[0]!.predictedSeconds, report.rows[0]!.predicted);
  const md = validationMarkdown(validate(), '2026-12-04', [], report);
  assert.match(md, /## Our own CPU measurements/);
  assert.match(
    md,
    /\| C0001 AMD EPYC \(Zen 3\) at 2\.95 GHz, 1 of 2 cores \(CPU time\): sd15 denoising 256×256 \(fitted: cpu\.avx2\) \| 5\.53 s \| \d\.\d\d \|/,
  );
});
