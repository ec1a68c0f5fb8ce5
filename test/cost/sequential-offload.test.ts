/**
 * Sequential offload keeps only the layer that runs (and the next, being copied) on the device:
 * accelerate's hooks move a layer's weights when it runs. Weights that are loaded but never run
 * (a text-to-image VAE's encoder) never get there, so they cannot set the phase's peak.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveDevice } from '../../src/catalog/devices.ts';
import { breakdown } from '../../src/cost/breakdown.ts';
import { estimate } from '../../src/cost/estimate.ts';
import { isIdle } from '../../src/cost/types.ts';
import { makeWorkload } from '../../src/cost/workload.ts';

/** Bytes of the largest layer of a component among those that run (or that never run: `idle`). */
function largestLayer(c: ReturnType<typeof breakdown>[number], idle = false): number {
  const perParam = c.weightBytes / (c.parameters + c.buffers);
  return Math.max(...c.ops.filter((o) => isIdle(o) === idle).map((o) => o.params * perParam));
}

test("sequential offload's VAE decode holds two of the decoder's layers, not the idle encoder", () => {
  const w = makeWorkload({ model: 'sdxl', width: 512, height: 512 });
  const vae = breakdown(w).find((c) => c.phase === 'vae-decode');
  assert.ok(vae, 'the pipeline has a VAE');
  // The fixture is what the rule is about: an encoder loaded whole, larger than any decoder layer.
  assert.equal(vae.ops.filter(isIdle).length, 1);
  const largestRun = largestLayer(vae);
  assert.ok(largestLayer(vae, true) > 10 * largestRun);

  const e = estimate(w, resolveDevice('GeForce GTX 1070'), { strategy: 'sequential-offload' });
  const decode = e.chosen.memory.phases.find((p) => p.phase === 'vae-decode');
  assert.ok(decode);
  assert.equal(decode.weightBytes, 2 * largestRun);
});

test('an embedding table is a layer that runs: sequential offload moves it whole', () => {
  const w = makeWorkload({ model: 'sdxl', width: 512, height: 512 });
  const encoders = breakdown(w).filter((c) => c.phase === 'text-encoding');
  const largest = Math.max(...encoders.map((c) => largestLayer(c)));
  // OpenCLIP bigG's token embedding, 49408 × 1280 in fp16, is the largest layer that runs.
  assert.ok(Math.abs(largest - 49408 * 1280 * 2) / largest < 0.01);
  const e = estimate(w, resolveDevice('GeForce GTX 1070'), { strategy: 'sequential-offload' });
  assert.equal(e.chosen.memory.phases.find((p) => p.phase === 'text-encoding')!.weightBytes, 2 * largest);
});
