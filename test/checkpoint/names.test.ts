/**
 * Name maps (data/checkpoint/names.ts): the graph names and shapes are exactly the graph builder's
 * weights; the LDM names and shapes are exactly the independently written SD 1.5 file; the diffusers
 * and LDM layouts of SD 1.5, SD 2.1 and SDXL base/refiner expanded from the catalog's architectures
 * are recognised completely and sum to the published parameter counts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveModel } from '../../src/catalog/models.ts';
import type { AutoencoderArch, ClipTextArch, FluxArch, UNetArch } from '../../src/catalog/models.types.ts';
import { inspectCheckpoint } from '../../src/checkpoint/inspect.ts';
import {
  clipTextNameMap,
  fluxNameMap,
  type NameEntry,
  type Naming,
  openClipTextNameMap,
  unetNameMap,
  vaeDecoderNameMap,
} from '../../src/checkpoint/names.ts';
import { writeSafetensors } from '../../src/checkpoint/write.ts';
import { buildGraph } from '../../src/graph/index.ts';
import {
  tinyClip,
  tinyClipProjected,
  tinyFlux,
  tinyFluxSchnell,
  tinyUNet,
  tinyUNetXL,
  tinyVae,
} from '../bench/_tiny.ts';
import { fluxTensors } from './_flux.ts';
import { sd15Tensors } from './_sd15.ts';

const dir = mkdtempSync(join(tmpdir(), 'genready-names-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const graphList = (es: NameEntry[]) => es.map((e) => `${e.graph} ${e.graphShape.join(',')}`);
const list = (es: NameEntry[], n: Naming) => es.map((e) => `${e[n]} ${e.shape[n].join(',')}`);

describe('name maps', () => {
  it('name every weight of the graphs the builder makes, with its shape, in order', () => {
    const cases: [UNetArch | AutoencoderArch | ClipTextArch | FluxArch, NameEntry[]][] = [
      [tinyUNet, unetNameMap(tinyUNet, { convProjection: false })],
      [tinyUNetXL, unetNameMap(tinyUNetXL, { convProjection: false })],
      [tinyVae, vaeDecoderNameMap(tinyVae)],
      [tinyClip, clipTextNameMap(tinyClip)],
      [tinyClipProjected, clipTextNameMap(tinyClipProjected)],
      [tinyFlux, fluxNameMap(tinyFlux)],
      [tinyFluxSchnell, fluxNameMap(tinyFluxSchnell)],
    ];
    for (const [arch, map] of cases) {
      const g = buildGraph(arch, 'float32');
      assert.deepEqual(
        graphList(map),
        g.weights.map((w) => `${w.name} ${w.dims.join(',')}`),
        arch.kind,
      );
    }
  });

  it('give the SD 1.5 single file’s LDM names and shapes exactly (UNet, VAE decoder, CLIP)', () => {
    const sd = resolveModel('sd15');
    const file = sd15Tensors();
    const under = (p: string, keep: (n: string) => boolean = () => true) =>
      file
        .filter((t) => t.name.startsWith(p) && t.dtype !== 'I64' && keep(t.name))
        .map((t) => `${t.name.slice(p.length)} ${t.shape.join(',')}`)
        .sort();
    assert.deepEqual(
      list(unetNameMap(sd.denoiser.arch as UNetArch, { convProjection: true }), 'ldm').sort(),
      under('model.diffusion_model.'),
    );
    assert.deepEqual(
      list(vaeDecoderNameMap(sd.vae.arch as AutoencoderArch), 'ldm').sort(),
      under('first_stage_model.', (n) => /^first_stage_model\.(decoder\.|post_quant_conv)/.test(n)),
    );
    assert.deepEqual(
      list(clipTextNameMap(sd.textEncoders[0]!.arch as ClipTextArch), 'ldm').sort(),
      under('cond_stage_model.transformer.'),
    );
  });

  const unets: [model: string, convProjection: boolean][] = [
    ['sd15', true],
    ['sd21', false],
    ['sdxl', false],
    ['sdxl-refiner', false],
  ];
  for (const [model, convProjection] of unets)
    for (const naming of ['diffusers', 'ldm'] as const)
      it(`expand ${model}'s UNet in ${naming} names to a file inspect recognises completely at the published size`, () => {
        const m = resolveModel(model);
        const map = unetNameMap(m.denoiser.arch as UNetArch, { convProjection });
        const p = join(dir, `${model}-${naming}.safetensors`);
        writeSafetensors(
          p,
          map.map((e) => ({
            name: naming === 'ldm' ? `model.diffusion_model.${e.ldm}` : e.diffusers!,
            shape: e.shape[naming],
            dtype: 'F16' as const,
          })),
        );
        const r = inspectCheckpoint(p);
        assert.equal(r.model, model);
        assert.equal(r.components[0]?.naming, naming);
        assert.deepEqual([r.missing, r.unexpected.count], [[], 0]);
        assert.equal(r.parameters, m.denoiser.published.parameters);
      });
});

describe('OpenCLIP name maps at full size', () => {
  const cases = [
    // SD 2.x files keep all 24 ViT-H layers; the pipeline (and the catalog) uses 23.
    { model: 'sd21', te: 0, prefix: 'cond_stage_model.model.', fileLayers: 24, arch: 'openclip-h' },
    { model: 'sdxl', te: 1, prefix: 'conditioner.embedders.1.model.', fileLayers: 32, arch: 'openclip-bigg' },
  ] as const;
  for (const c of cases)
    it(`${c.model}: the LDM text encoder expands to a component inspect recognises, at the published size`, () => {
      const arch = resolveModel(c.model).textEncoders[c.te]!.arch as ClipTextArch;
      const published = resolveModel(c.model).textEncoders[c.te]!.published.parameters;
      const used = openClipTextNameMap(arch);
      const inFile = openClipTextNameMap({ ...arch, layers: c.fileLayers });
      const tensors = new Map<string, number[]>();
      for (const e of inFile) tensors.set(e.ldm, e.shape.ldm);
      // The fused q/k/v counts once; what the pipeline uses is the published figure.
      const usedNames = new Set(used.map((e) => e.ldm));
      const usedParams = [...usedNames].reduce((s, n) => s + tensors.get(n)!.reduce((a, b) => a * b, 1), 0);
      assert.equal(usedParams, published);
      const p = join(dir, `${c.model}-openclip.safetensors`);
      writeSafetensors(
        p,
        [...tensors].map(([name, shape]) => ({ name: c.prefix + name, shape, dtype: 'F16' as const })),
      );
      const r = inspectCheckpoint(p);
      assert.equal(r.components.length, 1);
      assert.deepEqual(
        [r.components[0]!.arch, r.components[0]!.naming, r.components[0]!.prefix],
        [c.arch, 'openclip', c.prefix],
      );
      assert.deepEqual([r.missing, r.unexpected.count], [[], 0]);
    });
});

describe('FLUX.1 name map', () => {
  for (const [model, guidance] of [
    ['flux1-dev', true],
    ['flux1-schnell', false],
  ] as const)
    it(`${model}: the BFL column is exactly the real file's layout (780 / 776 tensors)`, () => {
      const map = fluxNameMap(resolveModel(model).denoiser.arch as FluxArch);
      assert.deepEqual(
        list(map, 'ldm').sort(),
        fluxTensors(guidance)
          .map((t) => `${t.name} ${t.shape.join(',')}`)
          .sort(),
      );
      // Diffusers splits the fused qkv and linear1: those have no one-tensor name there.
      assert.ok(map.some((e) => e.graph.endsWith('img_attn.qkv.weight') && e.diffusers === null));
    });
});
