/**
 * Key coverage against real checkpoints' tensor lists (test/fixtures/checkpoint, see SOURCES.md), and
 * for every family the catalog has a graph for: its name maps name exactly the graph's weights at
 * full size, and the files they describe (in each naming, with the buffers the files also hold) are
 * recognised by `inspect` completely as that family, at the published parameter count.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { models as catalog } from '../../data/models/index.ts';
import { resolveModel } from '../../src/catalog/models.ts';
import type { AutoencoderArch, ClipTextArch, CrossDiTArch, MMDiTArch } from '../../src/catalog/models.types.ts';
import { inspectCheckpoint } from '../../src/checkpoint/inspect.ts';
import {
  clipTextNameMap,
  crossDitNameMap,
  fluxNameMap,
  mmditNameMap,
  type NameEntry,
  type Naming,
  openClipTextNameMap,
  unetNameMap,
  vaeDecoderNameMap,
} from '../../src/checkpoint/names.ts';
import { writeSafetensors } from '../../src/checkpoint/write.ts';
import { buildGraph, type GraphArch } from '../../src/graph/index.ts';
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

/** The tensors a name map describes in one naming (a fused tensor once), plus the file's extra buffers. */
function layoutOf(map: readonly NameEntry[], naming: Naming, prefix = '', extra: [string, number[]][] = []): Spec[] {
  const out = new Map<string, number[]>();
  for (const e of map) out.set(prefix + e[naming]!, e.shape[naming]);
  for (const [name, shape] of extra) out.set(prefix + name, shape);
  return [...out].map(([name, shape]) => ({ name, shape, dtype: 'F16' as const }));
}

/** `# absent NAME` lines of a spot fixture: tensors the real file does not have. */
function absentIn(name: string): string[] {
  return readFileSync(new URL(name, FIX), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('# absent '))
    .map((l) => l.slice('# absent '.length).trim());
}

const graphNames = (a: GraphArch) => buildGraph(a, 'float32').weights.map((w) => `${w.name} ${w.dims.join(',')}`);
const mapNames = (m: readonly NameEntry[]) => m.map((e) => `${e.graph} ${e.graphShape.join(',')}`);

/** The position tables SD3's files store: a buffer in the catalog (`buffers`), not a graph weight. */
const sd3Buffer = (a: MMDiTArch, naming: Naming): [string, number[]] => [
  naming === 'ldm' ? 'pos_embed' : 'pos_embed.pos_embed',
  [1, a.posEmbedMaxSize ** 2, a.heads * a.headDim],
];

describe('key coverage: SD3 / SD3.5 MMDiT (Stability AI single files and diffusers)', () => {
  const cases = [
    ['sd3-medium', 'sd3-medium.sai.spot.txt'],
    ['sd35-medium', 'sd35-medium.sai.spot.txt'],
    ['sd35-large', 'sd35-large.sai.spot.txt'],
  ] as const;
  for (const [model, spot] of cases)
    it(`${model}: the name map holds the real names and shapes, and both namings are recognised completely`, () => {
      const m = resolveModel(model);
      const arch = m.denoiser.arch as MMDiTArch;
      const map = mmditNameMap(arch);
      assert.deepEqual(mapNames(map), graphNames(arch));
      const sai = layoutOf(map, 'ldm', 'model.diffusion_model.', [sd3Buffer(arch, 'ldm')]);
      hasAll(sai, fixture(spot));
      const names = new Set(sai.map((t) => t.name));
      for (const gone of absentIn(spot)) assert.ok(!names.has(gone), `${gone} is not in the real file`);
      for (const naming of ['ldm', 'diffusers'] as const) {
        const p = join(dir, `${model}-${naming}.safetensors`);
        writeSafetensors(p, layoutOf(map, naming, '', [sd3Buffer(arch, naming)]));
        const r = inspectCheckpoint(p);
        assert.deepEqual([r.kind, r.model, r.missing, r.unexpected.count], ['denoiser', model, [], 0], naming);
        // The published figure excludes the stored position table (the catalog's `buffers`).
        assert.equal(r.parameters, m.denoiser.published.parameters + (m.denoiser.buffers ?? 0), naming);
      }
    });

  it('reads fused qkv as row thirds and swaps the (shift, scale) halves SAI stores for the two-way adaLNs', () => {
    const arch = resolveModel('sd3-medium').denoiser.arch as MMDiTArch;
    const map = mmditNameMap(arch);
    const by = new Map(map.map((e) => [e.graph, e]));
    assert.deepEqual(by.get('block0.attn.to_k.weight')!.rows, { ldm: [1536, 3072] });
    assert.deepEqual(by.get('block0.attn.add_v_proj.bias')!.rows, { ldm: [3072, 4608] });
    assert.deepEqual(by.get('block23.norm1_context.linear.weight')!.swapHalves, { ldm: true });
    assert.deepEqual(by.get('norm_out.linear.bias')!.swapHalves, { ldm: true });
    assert.equal(by.get('block22.norm1_context.linear.weight')!.swapHalves, undefined);
  });
});

describe('key coverage: PixArt-Σ (original and diffusers)', () => {
  const m = resolveModel('pixart-sigma');
  const arch = m.denoiser.arch as CrossDiTArch;
  const d = arch.heads * arch.headDim;
  const map = crossDitNameMap(arch);
  // The original state dict also holds the 64×64 position table and the learned null caption (300 × 4096).
  const originalBuffers: [string, number[]][] = [
    ['pos_embed', [1, 64 * 64, d]],
    ['y_embedder.y_embedding', [300, arch.captionChannels]],
  ];

  it('names the graph’s weights; the real names and shapes are in both namings', () => {
    assert.deepEqual(mapNames(map), graphNames(arch));
    hasAll(layoutOf(map, 'ldm', '', originalBuffers), fixture('pixart-sigma.original.spot.txt'));
    hasAll(layoutOf(map, 'diffusers'), fixture('pixart-sigma.diffusers.spot.txt'));
    const by = new Map(map.map((e) => [e.graph, e]));
    assert.deepEqual(by.get('block0.attn2.to_v.weight')!.rows, { ldm: [d, 2 * d] });
    assert.deepEqual(by.get('block0.attn1.to_v.weight')!.rows, { ldm: [2 * d, 3 * d] });
  });

  for (const naming of ['ldm', 'diffusers'] as const)
    it(`the ${naming === 'ldm' ? 'original' : 'diffusers'} layout is recognised completely at the published size`, () => {
      const p = join(dir, `pixart-${naming}.safetensors`);
      writeSafetensors(p, layoutOf(map, naming, '', naming === 'ldm' ? originalBuffers : []));
      const r = inspectCheckpoint(p);
      assert.deepEqual([r.kind, r.model, r.missing, r.unexpected.count], ['denoiser', 'pixart-sigma', [], 0]);
      const buffers =
        naming === 'ldm' ? originalBuffers.reduce((s, [, sh]) => s + sh.reduce((a, b) => a * b, 1), 0) : 0;
      assert.equal(r.parameters, m.denoiser.published.parameters + buffers);
    });
});

describe('key coverage: every family the catalog has a graph for', () => {
  /** The denoiser's name map and the file namings it covers. */
  function denoiserMap(a: GraphArch, model: string): { map: NameEntry[]; namings: Naming[] } {
    switch (a.kind) {
      case 'unet':
        // SD 1.x holds the transformers' projections as 1×1 convs.
        return { map: unetNameMap(a, { convProjection: model === 'sd15' }), namings: ['ldm', 'diffusers'] };
      case 'mmdit':
        return { map: mmditNameMap(a), namings: ['ldm', 'diffusers'] };
      case 'cross-dit':
        return { map: crossDitNameMap(a), namings: ['diffusers'] };
      case 'flux':
        // Diffusers splits FLUX's fused tensors: only BFL's names are one tensor per graph weight.
        return { map: fluxNameMap(a), namings: ['ldm'] };
      default:
        throw new Error(`no name map for ${a.kind}`);
    }
  }
  const withGraph = catalog.filter((m) => ['unet', 'mmdit', 'flux', 'cross-dit'].includes(m.denoiser.arch.kind));

  it('covers every catalog model whose denoiser has a graph', () => {
    assert.deepEqual(
      withGraph.map((m) => m.id),
      catalog.map((m) => m.id),
    );
  });

  for (const m of withGraph)
    it(`${m.id}: denoiser, VAE decoder and CLIP maps name the graphs' weights; its denoiser file is recognised`, () => {
      const a = m.denoiser.arch as GraphArch;
      const { map, namings } = denoiserMap(a, m.id);
      assert.deepEqual(mapNames(map), graphNames(a));
      assert.deepEqual(mapNames(vaeDecoderNameMap(m.vae.arch as AutoencoderArch)), graphNames(m.vae.arch as GraphArch));
      for (const te of m.textEncoders.filter((t) => t.arch.kind === 'clip-text')) {
        const clip = te.arch as ClipTextArch;
        assert.deepEqual(mapNames(clipTextNameMap(clip)), graphNames(clip));
        // OpenCLIP's names (SD 2.x, SDXL, SD3's clip_g) bind the same graph weights.
        if (clip.width > 768) assert.deepEqual(mapNames(openClipTextNameMap(clip)), graphNames(clip));
      }
      for (const naming of namings) {
        const extra = a.kind === 'mmdit' ? [sd3Buffer(a, naming)] : [];
        const prefix = naming === 'ldm' && a.kind === 'unet' ? 'model.diffusion_model.' : '';
        const p = join(dir, `${m.id}-every-${naming}.safetensors`);
        writeSafetensors(p, layoutOf(map, naming, prefix, extra));
        const r = inspectCheckpoint(p);
        // SDXL Turbo is SDXL's architecture distilled: its file cannot be told from SDXL base by its tensors.
        const expected = m.id === 'sdxl-turbo' ? 'sdxl' : m.id;
        assert.deepEqual([r.model, r.missing, r.unexpected.count], [expected, [], 0], `${m.id} ${naming}`);
        assert.equal(r.parameters, m.denoiser.published.parameters + (m.denoiser.buffers ?? 0), `${m.id} ${naming}`);
      }
    });
});
