/** `genready run` / `verify` as a person uses them: the example flow, and one-line errors. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli } from '../cli/helpers.ts';

describe('genready run (CLI)', () => {
  it('--example writes a model and recipe that run, and verify confirms an image', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'genready-cli-')), 'ex');
    const ex = cli(['run', '--example', dir]);
    assert.equal(ex.code, 0, ex.stderr);
    assert.match(ex.stdout, /try: npx genready run .*recipe\.json/);
    const run = cli(['run', join(dir, 'recipe.json')]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /8 image\(s\) made, 0 already there, 8 in the recipe in [\d.]+ s \([\d,]+ images\/hour\)/);
    assert.match(
      run.stderr,
      /8 to make, 0 already done, model tiny-sd \([0-9a-f]{10}\); batch 2 from the recipe; provider cpu/,
    );
    assert.match(run.stderr, /\[8\/8\] 0007-4\.png · [\d,]+ images\/hour · [\d:]+ left/);
    const files = readdirSync(join(dir, 'out'));
    assert.ok(files.includes('manifest.jsonl') && files.filter((f) => f.endsWith('.png')).length === 8);
    const v = cli(['verify', join(dir, 'out', '0005-2.png')]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /0005-2\.png: match — made again in [\d.]+ s, identical bytes \(seed 2/);
  });

  it('bad input is one line on stderr and exit 1, never a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-cli-'));
    const recipe = join(dir, 'r.yaml');
    writeFileSync(
      recipe,
      'model: ./m\nprompt: a cat\nseeds: 1-4\nsteps: 0\nguidance: 7\nsampler: euler\nsize: 64x64\n',
    );
    // One real process for the whole path (bin → main → exit code)…
    const r = cli(['run', recipe]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^genready: .*r\.yaml: steps: steps must be at least 1\n$/);
    // …and the other cases in-process through the same entry point, capturing stderr.
    const cases: [string[], RegExp][] = [
      [['run', recipe, '--bacth', '2'], /^genready: unknown option "--bacth"; did you mean --batch\?\n$/],
      [['run'], /^genready: give a recipe file: genready run RECIPE\.json/],
      [['verify', join(dir, 'nope.png')], /^genready: .*nope\.png does not exist\n$/],
      [['run', '--example', dir], /is not empty; give a new or empty folder/],
      [['run', recipe, '--batch', '0'], /--batch must be a whole number from 1 to 64/],
    ];
    for (const [args, re] of cases) {
      const { code, stderr } = await inProcess(args);
      assert.equal(code, 1, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, re);
      assert.equal(stderr.split('\n').length, 2, 'one line');
    }
    writeFileSync(recipe, readFileSync(recipe, 'utf8').replace('steps: 0', 'steps: 4'));
    const m = await inProcess(['run', recipe]);
    assert.equal(m.code, 1);
    assert.match(m.stderr, /^genready: model folder .*\/m does not exist\n$/);
  });
});

async function inProcess(argv: string[]): Promise<{ code: number; stderr: string }> {
  const { run } = await import('../../src/cli/main.ts');
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await run(argv, { text: () => {}, json: () => {} });
    return { code, stderr };
  } finally {
    process.stderr.write = write;
  }
}
