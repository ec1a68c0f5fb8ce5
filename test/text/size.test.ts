/**
 * One reading of a "WxH" size: the request path (answers/fields.ts) and recipes (runner/recipe.ts)
 * read the same strings as the same size, and refuse the same strings.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSize } from '../../src/answers/fields.ts';
import { recipeFrom } from '../../src/runner/recipe.ts';
import { readSize } from '../../src/text/size.ts';

const READ: [string, [number, number] | null][] = [
  ['512x512', [512, 512]],
  ['1024x768', [1024, 768]],
  ['1024X768', [1024, 768]],
  ['1024×768', [1024, 768]],
  ['1024*768', [1024, 768]],
  [' 640 x 480 ', [640, 480]],
  ['512', null],
  ['512x', null],
  ['x512', null],
  ['512x512x3', null],
  ['512,512', null],
  ['-512x512', null],
  ['5.5x512', null],
  ['', null],
  ['big', null],
];

const recipe = (size: string) =>
  recipeFrom({ model: './m', prompt: 'a cat', seeds: [1], steps: 4, guidance: 7, sampler: 'euler', size }, '/w/r.json');

describe('readSize', () => {
  for (const [text, size] of READ)
    it(`reads ${JSON.stringify(text)} as ${size ? size.join(' by ') : 'not a size'}`, () =>
      assert.deepEqual(readSize(text), size));
});

describe('requests and recipes read a size alike', () => {
  for (const [text, size] of READ.filter(([t]) => t !== '')) {
    it(`${JSON.stringify(text)}`, () => {
      if (size) {
        assert.deepEqual(parseSize(text, 16384), size);
        const r = recipe(text);
        assert.deepEqual([r.width, r.height], size);
      } else {
        assert.throws(() => parseSize(text, 16384), /must look like 1024x1024/);
        assert.throws(() => recipe(text), /size: size looks like "512x512"/);
      }
    });
  }
});
