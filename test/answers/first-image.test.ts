/**
 * The first-image cost travels in the estimate answer, so `genready estimate --json` and
 * `POST /api/estimate` carry the same figures, and the text output prints them from the answer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateAnswer, isOnDevice, parseEstimate } from '../../src/answers/estimate.ts';
import type { Local } from '../../src/answers/local.ts';
import { renderEstimate } from '../../src/cli/commands/estimate.ts';
import { createApp } from '../../src/server/app.ts';
import { productionDeps } from '../../src/server/deps.ts';
import { seconds } from '../../src/text/units.ts';

// No machine is asked about: the device is a catalog entry and calibration is off.
const local: Local = {
  machine: () => Promise.reject(new Error('not asked')),
  calibration: () => null,
};
const fields = { model: 'sdxl', device: 'RTX 3060 12GB', calibration: false };

test('the estimate answer carries the first image apart from the steady rate, the API the same', async () => {
  const a = await estimateAnswer(parseEstimate(fields), local);
  assert.ok(isOnDevice(a));
  const f = a.firstImage;
  assert.equal(f.steadySecondsPerImage, a.time.secondsPerImage);
  assert.ok(f.firstImageSeconds > f.firstImageCachedSeconds && f.firstImageCachedSeconds > f.steadySecondsPerImage);
  const app = createApp({ deps: productionDeps(), webRoot: null });
  const res = await app.request('/api/estimate', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(fields),
  });
  assert.equal(res.status, 200);
  assert.deepEqual((await res.json()).firstImage, JSON.parse(JSON.stringify(f)));
});

test('the text output says the cold-start first image from the answer, with its parts', async () => {
  const a = await estimateAnswer(parseEstimate(fields), local);
  assert.ok(isOnDevice(a));
  const line = renderEstimate(a).find((l) => l.startsWith('first image'));
  assert.ok(line, 'a first-image line');
  const f = a.firstImage;
  for (const s of [f.firstImageSeconds, f.readSeconds, f.loadSeconds, f.warmupSeconds, f.firstImageCachedSeconds])
    assert.ok(line.includes(seconds(s)), `${seconds(s)} in: ${line}`);
});
