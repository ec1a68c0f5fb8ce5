/** Key coverage against real checkpoints' tensor lists (test/fixtures/checkpoint, see SOURCES.md). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveModel } from '../../src/catalog/models.ts';
import { inspectCheckpoint } from '../../src/checkpoint/inspect.ts';
import { writeSafetensors } from '../../src/checkpoint/write.ts';
import { sd15Tensors } from './_sd15.ts';

const FIX = new URL('../fixtures/checkpoint/', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'genready-cov-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fixture(name: string): { name: string; shape: number[] }[] {
  return readFileSync(new URL(name, FIX), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [n, s = ''] = l.split(' ');
      return { name: n!, shape: s ? s.split(',').map(Number) : [] };
    });
}

describe('key coverage: ControlNet v1.1 SD 1.5 canny', () => {
  const list = fixture('control_v11p_sd15_canny.tensors.txt');

  it('is recognised completely: ControlNet for sd15, every tensor claimed, nothing missing', () => {
    const p = join(dir, 'control_v11p_sd15_canny.safetensors');
    writeSafetensors(
      p,
      list.map((t) => ({ ...t, dtype: 'F16' as const })),
    );
    const r = inspectCheckpoint(p);
    assert.equal(r.kind, 'controlnet');
    assert.equal(r.model, 'sd15');
    assert.equal(r.unexpected.count, 0, r.unexpected.examples.join(', '));
    assert.deepEqual(r.missing, []);
    const cn = resolveModel('sd15').addons.find((a) => a.role === 'controlnet')!;
    assert.equal(r.parameters, cn.published.parameters);
  });

  it('holds the SD 1.5 UNet encoder under the same names and shapes', () => {
    const unet = new Map(sd15Tensors().map((t) => [t.name, t.shape.join(',')]));
    const shared = list.filter((t) => /^control_model\.(time_embed|input_blocks|middle_block)\./.test(t.name));
    // All but the 12 zero convs, the 8 hint convs (weight + bias each) and middle_block_out.
    assert.equal(shared.length, list.length - 24 - 16 - 2);
    for (const t of shared) {
      const name = t.name.replace('control_model.', 'model.diffusion_model.');
      assert.equal(unet.get(name), t.shape.join(','), name);
    }
  });
});
