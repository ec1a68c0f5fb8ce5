/** Key coverage against real checkpoints' tensor lists (test/fixtures/checkpoint, see SOURCES.md). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveModel } from '../../src/catalog/models.ts';
import { inspectCheckpoint } from '../../src/checkpoint/inspect.ts';
import { writeSafetensors } from '../../src/checkpoint/write.ts';
import { fluxTensors } from './_flux.ts';
import { ldmVaeTensors, type Spec, sd15Tensors } from './_sd15.ts';

/** The `# tensors N` line of a spot fixture: the real file's tensor count. */
function declaredCount(name: string): number {
  return Number(/# tensors (\d+)/.exec(readFileSync(new URL(name, FIX), 'utf8'))![1]);
}

function hasAll(specs: readonly Spec[], spot: { name: string; shape: number[] }[]) {
  const by = new Map(specs.map((t) => [t.name, t.shape.join(',')]));
  for (const t of spot) assert.equal(by.get(t.name), t.shape.join(','), t.name);
}

const published = (model: string, role: 'denoiser' | 'vae') => {
  const m = resolveModel(model);
  return (role === 'denoiser' ? m.denoiser : m.vae).published.parameters;
};

/** T5 v1.1 XXL encoder as transformers' T5EncoderModel saves it (shared embedding, 24 blocks). */
function t5Tensors(): Spec[] {
  const out: Spec[] = [{ name: 'shared.weight', shape: [32128, 4096], dtype: 'F16' }];
  const w = (name: string, ...shape: number[]) => out.push({ name, shape, dtype: 'F16' });
  for (let b = 0; b < 24; b++) {
    const p = `encoder.block.${b}.layer`;
    for (const x of ['q', 'k', 'v', 'o']) w(`${p}.0.SelfAttention.${x}.weight`, 4096, 4096);
    if (b === 0) w(`${p}.0.SelfAttention.relative_attention_bias.weight`, 32, 64);
    w(`${p}.0.layer_norm.weight`, 4096);
    w(`${p}.1.DenseReluDense.wi_0.weight`, 10240, 4096);
    w(`${p}.1.DenseReluDense.wi_1.weight`, 10240, 4096);
    w(`${p}.1.DenseReluDense.wo.weight`, 4096, 10240);
    w(`${p}.1.layer_norm.weight`, 4096);
  }
  w('encoder.final_layer_norm.weight', 4096);
  return out;
}

const FIX = new URL('../fixtures/checkpoint/', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'genready-cov-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fixture(name: string): { name: string; shape: number[] }[] {
  return readFileSync(new URL(name, FIX), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
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

describe('key coverage: FLUX.1 (BFL files)', () => {
  it('dev: the real file’s 780 tensors and spot shapes, recognised completely, 11.9 B parameters', () => {
    const specs = fluxTensors(true);
    assert.equal(specs.length, declaredCount('flux1-dev.spot.txt'));
    hasAll(specs, fixture('flux1-dev.spot.txt'));
    const p = join(dir, 'flux1-dev.safetensors');
    writeSafetensors(p, specs);
    const r = inspectCheckpoint(p);
    assert.deepEqual([r.kind, r.model], ['denoiser', 'flux1-dev']);
    assert.equal(r.parameters, published('flux1-dev', 'denoiser'));
    assert.deepEqual([r.missing, r.unexpected.count], [[], 0]);
  });

  it('schnell: the same without guidance_in, and its own published count', () => {
    const p = join(dir, 'flux1-schnell.safetensors');
    writeSafetensors(p, fluxTensors(false));
    const r = inspectCheckpoint(p);
    assert.deepEqual([r.kind, r.model], ['denoiser', 'flux1-schnell']);
    assert.equal(r.parameters, published('flux1-schnell', 'denoiser'));
  });

  it('ae.safetensors: 244 tensors, a 16-channel VAE that SD3 shares (model null)', () => {
    const specs = ldmVaeTensors('', 16, 'F32');
    assert.equal(specs.length, declaredCount('flux1-ae.spot.txt'));
    hasAll(specs, fixture('flux1-ae.spot.txt'));
    const p = join(dir, 'ae.safetensors');
    writeSafetensors(p, specs);
    const r = inspectCheckpoint(p);
    assert.deepEqual([r.kind, r.model, r.components[0]?.arch], ['vae', null, 'vae16']);
    assert.equal(r.parameters, published('flux1-dev', 'vae'));
  });

  it('clip_l and t5xxl files: text encoders shared by several families (model null), T5 at its published size', () => {
    const spot = fixture('flux1-text-encoders.spot.txt');
    const clip = sd15Tensors()
      .filter((t) => t.name.startsWith('cond_stage_model.transformer.'))
      .map((t) => ({ ...t, name: t.name.slice('cond_stage_model.transformer.'.length) }));
    const t5 = t5Tensors();
    hasAll(
      clip,
      spot.filter((t) => t.name.startsWith('text_model.')),
    );
    hasAll(
      t5,
      spot.filter((t) => !t.name.startsWith('text_model.')),
    );
    for (const [name, specs, arch] of [
      ['clip_l.safetensors', clip, 'clip-l'],
      ['t5xxl_fp16.safetensors', t5, 't5xxl'],
    ] as const) {
      const p = join(dir, name);
      writeSafetensors(p, specs);
      const r = inspectCheckpoint(p);
      assert.deepEqual([r.kind, r.model, r.components[0]?.arch, r.missing], ['text-encoder', null, arch, []]);
      if (arch === 't5xxl') assert.equal(r.parameters, resolveModel('flux1-dev').textEncoders[1]!.published.parameters);
    }
  });
});
