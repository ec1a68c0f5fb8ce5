/**
 * A worker plans `batch: "auto"` for its own probed device: its GPU for a GPU provider, its CPU for
 * cpu; and reports the GPU and the tier that device reaches.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { listModels } from '../../src/catalog/models.ts';
import { hypotheticalMachine } from '../../src/planner/machine.ts';
import { bestThroughput } from '../../src/planner/throughput.ts';
import { tierOf } from '../../src/planner/verdict.ts';
import { fakeProbe } from '../../src/probe/fake.ts';
import { workerMachine } from '../../src/queue/machine.ts';
import { planExecution } from '../../src/runner/plan.ts';

/** A model folder whose UNet has SD 1.5's structure (all the planner reads of it). */
function sd15Folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'genready-plan-'));
  const a = listModels().find((m) => m.id === 'sd15')!.denoiser.arch;
  assert.equal(a.kind, 'unet');
  mkdirSync(join(dir, 'unet'));
  writeFileSync(
    join(dir, 'unet', 'config.json'),
    JSON.stringify({ block_out_channels: a.blockOut, cross_attention_dim: a.crossAttentionDim }),
  );
  return dir;
}

const work = { recipeBatch: 'auto' as const, width: 512, height: 512, steps: 20, guidance: 7 };

describe('a worker plans for its own machine', () => {
  const probe = fakeProbe({ gpuName: 'NVIDIA GeForce RTX 4090', gpuMemoryGiB: 24, ramGiB: 64, cores: 16 });

  it('a GPU provider plans on the probed GPU, a cpu worker on the CPU; each with the tier of that device', () => {
    const gpu = workerMachine(probe, 'cuda');
    assert.equal(gpu.gpu, 'NVIDIA GeForce RTX 4090');
    assert.equal(gpu.device.name, 'GeForce RTX 4090');
    assert.equal(gpu.tier.level, tierOf(hypotheticalMachine(gpu.device)).level);
    const cpu = workerMachine(probe, 'cpu');
    assert.equal(cpu.device.backend, 'cpu');
    assert.equal(cpu.gpu, 'NVIDIA GeForce RTX 4090', 'the GPU is still reported');
    assert.match(cpu.note, /^cpu provider: the CPU/);
    assert.ok(cpu.tier.level < gpu.tier.level, 'the CPU reaches a lower tier than a 4090');
    // No GPU found: a cuda worker is planned on the CPU, and says so.
    const none = workerMachine(fakeProbe({ ramGiB: 16 }), 'cuda');
    assert.equal(none.gpu, null);
    assert.match(none.note, /^no GPU detected for cuda: the CPU/);
  });

  it('batch "auto" on a GPU worker is the planner\'s best batch for that GPU, not batch 1', () => {
    const dir = sd15Folder();
    const m = workerMachine(probe, 'cuda');
    const p = planExecution({ modelDir: dir, ...work, provider: 'cuda', device: m.device });
    const best = bestThroughput(m.device, {
      model: listModels().find((x) => x.id === 'sd15')!,
      width: 512,
      height: 512,
      steps: 20,
      precision: 'fp32',
      componentPrecision: { 'text-encoder': 'fp32', vae: 'fp32' },
      cfg: true,
    });
    assert.equal(p.batch, best.batch);
    assert.ok(p.batch > 1, `a 24 GB GPU batches SD 1.5 at 512² (got ${p.batch})`);
    assert.match(p.reason, /planner's best for sd15 on GeForce RTX 4090/);
    assert.deepEqual(p.providers, ['cuda', 'cpu']);
    // Without a device (what `genready run --provider cuda` does), auto stays at 1 and says why.
    const blind = planExecution({ modelDir: dir, ...work, provider: 'cuda' });
    assert.equal(blind.batch, 1);
    assert.match(blind.reason, /plans for the CPU provider only/);
    // An explicit batch always wins.
    assert.equal(
      planExecution({ modelDir: dir, ...work, recipeBatch: 3, provider: 'cuda', device: m.device }).batch,
      3,
    );
  });
});
