/** Bad request fields over HTTP (issue 20): 400 with the field named in API words, never 200. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createApp } from '../../src/server/app.ts';
import { productionDeps } from '../../src/server/deps.ts';

const app = createApp({ deps: productionDeps(), webRoot: null });

async function bad(path: string, body: unknown, re: RegExp, field?: string) {
  const res =
    body === undefined
      ? await app.request(path)
      : await app.request(path, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
  const j = (await res.json()) as { error: { message: string; field?: string } };
  assert.equal(res.status, 400, JSON.stringify(j).slice(0, 300));
  assert.match(j.error.message, re);
  assert.doesNotMatch(j.error.message, /--/, 'API errors do not speak CLI syntax');
  if (field) assert.equal(j.error.field, field);
  return j.error.message;
}

describe('the API refuses what it used to accept', () => {
  test('{"ram":-5} is a 400, not a "does not fit"', async () => {
    await bad('/api/estimate', { model: 'sdxl', device: 'RTX 4090', ram: -5 }, /^ram must be a number above 0/, 'ram');
    await bad('/api/estimate', { model: 'sdxl', device: 'RTX 4090', ram: 0 }, /^ram must be a number above 0/);
    await bad('/api/check?as=RTX%204090&ram=-5', undefined, /^ram must be a number above 0/, 'ram');
  });

  test('{"top":-1} is a 400, not everything', async () => {
    await bad('/api/gpus', { model: 'sdxl', top: -1 }, /^top must be a whole number above 0/, 'top');
    await bad('/api/plan', { model: 'sdxl', images: 10, within: '8h', top: -1 }, /^top must be a whole number above 0/);
  });

  test('{"model":42} says "model must be a string", not "is required"', async () => {
    const m = await bad('/api/estimate', { model: 42 }, /^model must be a string, got a number$/, 'model');
    assert.doesNotMatch(m, /required/);
    await bad('/api/plan', { model: 42, images: 1, within: '8h' }, /^model must be a string/);
  });

  test('empty values are errors, not "not given"', async () => {
    await bad('/api/estimate', { model: 'sdxl', device: '' }, /^device needs a value/, 'device');
    await bad('/api/estimate', { model: 'sdxl', width: '' }, /^width needs a value/);
    await bad('/api/plan', { model: 'sdxl', images: 10, within: '' }, /^within needs a value/);
    await bad('/api/check?as=', undefined, /^as needs a value/);
  });

  test('an enum value outside its set names the allowed values', async () => {
    await bad('/api/estimate', { model: 'sdxl', strategy: 'teleport' }, /^strategy must be one of auto, gpu/);
    await bad('/api/devices?vendor=voodoo', undefined, /^vendor must be one of nvidia/);
  });

  test('contradictory fields are refused', async () => {
    await bad('/api/estimate', { model: 'sdxl', size: '1024x1024', width: 512 }, /^size and width contradict/);
    await bad('/api/gpus', { for: 'sdxl 1024x1024', model: 'sd15' }, /^for and model contradict/);
  });

  test('a size off the latent grid is worded with the field name', async () => {
    await bad(
      '/api/estimate',
      { model: 'flux1-dev', width: 1000 },
      /^flux1-dev needs width to be a multiple of 16/,
      'width',
    );
  });

  test('library rules are worded for the API too (a CPU takes only the cpu strategy; a sweep needs a device)', async () => {
    await bad(
      '/api/estimate',
      { model: 'sd15', device: 'Ryzen 9 7950X', strategy: 'gpu' },
      /^strategy must be cpu or auto on .*Ryzen 9 7950X/,
      'strategy',
    );
    await bad('/api/sweep', { model: 'sd15' }, /^device is required/, 'device');
  });

  test('an unknown field gets a did-you-mean', async () => {
    await bad(
      '/api/estimate',
      { model: 'sdxl', devcie: 'RTX 4090' },
      /unknown field "devcie" for estimate; did you mean device\?/,
    );
  });

  test('errors never echo a huge input back', async () => {
    const huge = '9'.repeat(50_000);
    for (const body of [{ model: 'sdxl', width: `${huge}x` }, { model: huge }, { model: 'sdxl', size: huge }]) {
      const m = await bad('/api/estimate', body, /./);
      assert.ok(m.length < 200, `${m.length} characters`);
    }
    const m = await bad('/api/estimate', `{"model":"sdxl","${'k'.repeat(50_000)}":1}`, /unknown field/);
    assert.ok(m.length < 400, `${m.length} characters`);
  });
});
