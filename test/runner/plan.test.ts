import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { matchCatalogModel, planExecution } from '../../src/runner/plan.ts';

function folderWithUnet(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'genready-plan-'));
  mkdirSync(join(dir, 'unet'));
  writeFileSync(join(dir, 'unet', 'config.json'), JSON.stringify(config));
  return dir;
}

const sd15 = { block_out_channels: [320, 640, 1280, 1280], cross_attention_dim: 768 };
const base = { recipeBatch: 'auto' as const, width: 512, height: 512, steps: 20, guidance: 7 };

describe('execution plan', () => {
  it('recognises a catalog model by its UNet structure, SDXL by its added conditioning', () => {
    assert.match(matchCatalogModel(folderWithUnet(sd15))!.id, /sd.*1.*5|sd15/i);
    const xl = matchCatalogModel(
      folderWithUnet({
        block_out_channels: [320, 640, 1280],
        cross_attention_dim: 2048,
        addition_embed_type: 'text_time',
      }),
    );
    assert.ok(xl && xl.denoiser.arch.kind === 'unet' && xl.denoiser.arch.additionEmbedInput !== null);
    assert.equal(matchCatalogModel(folderWithUnet({ block_out_channels: [32, 64], cross_attention_dim: 32 })), null);
  });

  it('batch "auto" asks the planner for a catalog model and says so; 1 otherwise; explicit numbers win', () => {
    const auto = planExecution({ ...base, modelDir: folderWithUnet(sd15) });
    assert.ok([1, 2, 4, 8].includes(auto.batch));
    assert.match(auto.reason, /^batch \d: planner's best for .* on .* \(≈[\d]+ images\/hour estimated\)$/);
    const unknown = planExecution({
      ...base,
      modelDir: folderWithUnet({ block_out_channels: [32, 64], cross_attention_dim: 32 }),
    });
    assert.equal(unknown.batch, 1);
    assert.match(unknown.reason, /"auto" needs a model the catalog knows/);
    assert.equal(planExecution({ ...base, modelDir: folderWithUnet(sd15), recipeBatch: 3 }).batch, 3);
    assert.equal(
      planExecution({ ...base, modelDir: folderWithUnet(sd15), batchOverride: 5 }).reason,
      'batch 5 from --batch',
    );
  });

  it('lists the CPU provider as the fallback and rejects unknown providers', () => {
    assert.deepEqual(
      planExecution({ ...base, recipeBatch: 1, modelDir: folderWithUnet({}), provider: 'cuda' }).providers,
      ['cuda', 'cpu'],
    );
    assert.throws(
      () => planExecution({ ...base, recipeBatch: 1, modelDir: folderWithUnet({}), provider: 'tpu' }),
      /--provider must be one of cpu, cuda, dml, coreml/,
    );
  });
});
