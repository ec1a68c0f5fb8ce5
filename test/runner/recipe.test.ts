import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { expandImages, loadRecipe, recipeFingerprint, recipeFrom } from '../../src/runner/recipe.ts';

const base = {
  model: './m',
  prompt: 'a cat',
  seeds: [1, 2],
  steps: 20,
  guidance: 7,
  sampler: 'euler_a',
  width: 512,
  height: 512,
};
const make = (over: Record<string, unknown>, drop: string[] = []) => {
  const r: Record<string, unknown> = { ...base, ...over };
  for (const k of drop) delete r[k];
  return recipeFrom(r, '/work/r.json');
};

describe('recipe', () => {
  it('reads JSON and YAML alike, resolving paths against the recipe’s folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-recipe-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify(base));
    writeFileSync(
      join(dir, 'b.yaml'),
      'model: ./m\nprompt: a cat\nseeds: [1, 2]\nsteps: 20\nguidance: 7\nsampler: Euler a\nsize: 512x512\n',
    );
    const a = loadRecipe(join(dir, 'a.json'));
    const b = loadRecipe(join(dir, 'b.yaml'));
    assert.equal(a.modelDir, join(dir, 'm'));
    assert.equal(a.outputDir, join(dir, 'out'));
    assert.equal(b.sampler, 'euler_a');
    assert.equal(recipeFingerprint(a), recipeFingerprint(b));
  });

  // Each bad input gives one line that names the field.
  const bad: [string, Record<string, unknown>, RegExp, string[]?][] = [
    ['steps below 1', { steps: 0 }, /r\.json: steps: steps must be at least 1/],
    ['a fractional step count', { steps: 2.5 }, /steps: steps must be a whole number/],
    [
      'an unknown sampler, listing the valid ones',
      { sampler: 'heun' },
      /sampler: unknown sampler "heun"; use one of euler \("Euler"\), euler_a \("Euler a"\)/,
    ],
    ['a width that is not a multiple of 8', { width: 500 }, /width: width must be a multiple of 8/],
    ['a typo in a field name', { stpes: 20 }, /unknown field "stpes"/],
    ['a missing field', {}, /guidance: is required/, ['guidance']],
    ['a negative seed in a list', { seeds: [1, -2] }, /seeds\[1\]|seeds: /],
    ['two prompt sources', { prompts: ['x'] }, /prompt: give exactly one of prompt, prompts or promptFile/],
    ['size and width together', { size: '512x512' }, /size: give size or width\/height, not both/],
    [
      'a file name with a folder',
      { filename: '../x-{index}.png' },
      /filename: the file name pattern must be a plain name/,
    ],
    ['a backwards seed range', { seeds: '9-3' }, /seeds: range "9-3" runs backwards/],
    ['more images than listed seeds', { count: 3 }, /count: 3 images per prompt but seeds lists only 2/],
    ['batch as a word other than auto', { batch: 'max' }, /batch: /],
  ];
  for (const [name, over, re, drop] of bad) {
    it(`rejects ${name} with a one-line error naming the field`, () => {
      assert.throws(
        () => make(over, drop),
        (e: Error) => re.test(e.message) && !e.message.includes('\n'),
      );
    });
  }

  it('says when the file is not valid YAML or JSON, and when it is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-recipe-'));
    writeFileSync(join(dir, 'x.yaml'), 'model: [unclosed\n');
    assert.throws(() => loadRecipe(join(dir, 'x.yaml')), /not valid YAML/);
    writeFileSync(join(dir, 'x.json'), '{"model": ');
    assert.throws(() => loadRecipe(join(dir, 'x.json')), /not valid JSON/);
    assert.throws(() => loadRecipe(join(dir, 'nope.json')), /does not exist/);
  });

  it('expands prompts × seeds in a fixed order with distinct file names', () => {
    const r = make({ prompts: ['a cat', 'a dog'], seeds: '10-12', filename: '{index:03}-{prompt}-{seed}.png' }, [
      'prompt',
    ]);
    const im = expandImages(r);
    assert.equal(im.length, 6);
    assert.deepEqual(
      im.map((x) => x.seed),
      [10, 11, 12, 10, 11, 12],
    );
    assert.equal(im[4]!.file, '004-a-dog-11.png');
    assert.equal(im[4]!.index, 4);
  });

  it('takes seeds as {start, count}, a single seed with count, and a prompt file', () => {
    assert.deepEqual(make({ seeds: { start: 5, count: 3 } }).seeds, [5, 6, 7]);
    assert.deepEqual(make({ seeds: 9, count: 2 }).seeds, [9, 10]);
    const dir = mkdtempSync(join(tmpdir(), 'genready-recipe-'));
    writeFileSync(join(dir, 'p.txt'), '# comment\na cat\n\na dog\n');
    const r = recipeFrom({ ...base, prompt: undefined, promptFile: 'p.txt' }, join(dir, 'r.json'));
    assert.deepEqual(r.prompts, ['a cat', 'a dog']);
  });

  it('refuses a file name pattern that gives two images the same name', () => {
    const r = make({ prompts: ['a', 'b'], filename: 'img-{seed}.png' }, ['prompt']);
    assert.throws(() => expandImages(r), /gives images 0 and 2 the same name "img-1.png"; add \{index\}/);
  });

  it('fingerprints only what decides the pixels', () => {
    assert.equal(recipeFingerprint(make({ batch: 4, output: 'elsewhere' })), recipeFingerprint(make({})));
    assert.notEqual(recipeFingerprint(make({ guidance: 7.5 })), recipeFingerprint(make({})));
  });
});
