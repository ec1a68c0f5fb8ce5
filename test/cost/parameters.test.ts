/**
 * Every component's parameter count, derived layer by layer, against its published figure (or the
 * count from instantiating the reference implementation), within 1 %. The figure's source is in the
 * catalog entry next to the architecture; the expectations here are the published numbers themselves.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { components, listModels } from '../../src/catalog/models.ts';
import type { Architecture } from '../../src/catalog/models.types.ts';
import { sumMacs, sumParams, walk } from '../../src/cost/analyze/index.ts';

const geometry = { width: 1024, height: 1024, latentWidth: 128, latentHeight: 128, textTokens: 77 };
const paramsOf = (a: Architecture) => sumParams(walk(a, geometry));

// Published figures, restated here so that a catalog edit cannot move both sides at once.
const PUBLISHED: Record<string, { figure: number; source: string }> = {
  'UNet (SD 1.5)': { figure: 860e6, source: '"860M UNet" — CompVis/stable-diffusion README' },
  'UNet (SD 2.1-v)': { figure: 865e6, source: '"865M UNet" — Stability-AI/stablediffusion README' },
  'UNet (SDXL)': {
    figure: 2.567e9,
    source: 'SDXL base unet 5.14 GB fp16 (HF tree) / 2 B per param; "2.6B" SDXL paper',
  },
  'UNet (SDXL refiner)': { figure: 2.2595e9, source: 'refiner unet 4.52 GB fp16 (HF tree) / 2 B' },
  'MMDiT (SD3 Medium, 24 blocks)': { figure: 2.03e9, source: 'SD3 "2B"; Keras 2.99B incl. CLIPs+VAE; 4.17 GB fp16' },
  'MMDiT (SD3.5 Large, 38 blocks)': { figure: 8.1e9, source: 'SD3.5 Large "8.1B" (Stability)' },
  'MMDiT-X (SD3.5 Medium, 24 blocks)': {
    figure: 2.47e9 - 0.2265e9,
    source: '"2.5 billion" incl. the 226.5M-entry 384² position table (Stability); parameters alone 2.243B',
  },
  'FLUX transformer (19 double + 38 single blocks)': {
    figure: 11.9e9,
    source: '"12 billion parameter" — FLUX.1-dev model card; 23.8 GB bf16',
  },
  'FLUX transformer (no guidance embedding)': { figure: 11.89e9, source: 'FLUX.1-schnell 23.8 GB bf16' },
  'PixArt transformer (28 blocks)': { figure: 0.611e9, source: '"0.6B" — PixArt-sigma README; 2.44 GB fp32' },
  'CLIP ViT-L/14 text': { figure: 123e6, source: '"123M text encoder" — CompVis/stable-diffusion README' },
  'T5 v1.1 XXL encoder (256 tokens)': { figure: 4.762e9, source: 'T5 v1.1 XXL encoder 9.52 GB fp16 shards' },
  'OpenCLIP ViT-bigG/14 text + projection': { figure: 694.7e6, source: 'SDXL text_encoder_2 1.39 GB fp16' },
  'OpenCLIP ViT-H/14 text (23 layers)': { figure: 340.4e6, source: 'SD 2.1 text_encoder 1.36 GB fp32 / 4 B' },
  'AutoencoderKL 4-ch (SD/SDXL)': { figure: 83.65e6, source: 'SD VAE 167 MB fp16' },
  'AutoencoderKL 4-ch (SDXL, fp32 decode)': { figure: 83.65e6, source: 'SDXL vae 335 MB fp32 / 4 B' },
  'AutoencoderKL 16-ch (SD3/FLUX)': { figure: 83.82e6, source: 'FLUX ae.safetensors 335 MB fp32 / 4 B' },
  'ControlNet (SD 1.5)': { figure: 361.3e6, source: 'control_v11p_sd15_canny 723 MB fp16' },
  'ControlNet (SDXL, full size)': { figure: 1.251e9, source: 'controlnet-canny-sdxl-1.0 2.5 GB fp16' },
};

test('every catalog component matches its published parameter count within 1 %', () => {
  const seen = new Set<string>();
  for (const m of listModels()) {
    for (const c of components(m)) {
      const derived = paramsOf(c.arch);
      // the catalog's own published figure (exact instantiation counts, with their sources)
      assert.ok(
        Math.abs(derived / c.published.parameters - 1) < 0.01,
        `${m.id} ${c.name}: ${derived} vs ${c.published.parameters} (${c.published.source})`,
      );
      const pub = PUBLISHED[c.name];
      if (pub) {
        seen.add(c.name);
        assert.ok(
          Math.abs(derived / pub.figure - 1) < 0.01,
          `${c.name}: derived ${derived} vs published ${pub.figure} (${pub.source})`,
        );
      }
    }
  }
  for (const name of Object.keys(PUBLISHED)) {
    if (name.startsWith('T5')) continue; // token count is in the name; checked through the catalog figure
    assert.ok(seen.has(name), `published figure for ${name} was never checked`);
  }
});

test('the exact instantiation counts reproduce to the parameter', () => {
  const exact: [string, number][] = [
    ['sd15', 859_520_964],
    ['sdxl', 2_567_463_684],
    ['sd3-medium', 2_028_328_000],
    ['sd35-medium', 2_243_171_520],
    ['flux1-dev', 11_901_408_320],
    ['pixart-sigma', 610_856_096],
  ];
  for (const [id, n] of exact) {
    const m = listModels().find((x) => x.id === id)!;
    assert.equal(paramsOf(m.denoiser.arch), n, id);
  }
});

test('multiply-accumulates per forward match the meta-device counts (architectures.md §16) within 1 %', () => {
  const g = (side: number, tokens: number) => ({
    width: side,
    height: side,
    latentWidth: side / 8,
    latentHeight: side / 8,
    textTokens: tokens,
  });
  // [model id, side, text tokens, published GMAC per forward at batch 1]
  const cases: [string, number, number, number][] = [
    ['sd15', 512, 77, 401.6],
    ['sd21', 768, 77, 1074.6],
    ['sdxl', 1024, 77, 3380.6],
    ['sd3-medium', 1024, 333, 4452.2],
    ['sd35-large', 1024, 333, 15560.6],
    ['flux1-dev', 1024, 512, 37192.3],
    ['flux1-dev', 512, 512, 10751.3],
    ['pixart-sigma', 1024, 300, 3316.8],
  ];
  for (const [id, side, tokens, gmac] of cases) {
    const m = listModels().find((x) => x.id === id)!;
    const macs = sumMacs(walk(m.denoiser.arch, g(side, tokens))) / 1e9;
    assert.ok(Math.abs(macs / gmac - 1) < 0.01, `${id}@${side}: ${macs.toFixed(1)} vs ${gmac} GMAC`);
  }
  const vae = listModels()[0]!.vae.arch;
  assert.ok(Math.abs(sumMacs(walk(vae, g(1024, 77))) / 1e9 / 5235.2 - 1) < 0.01, 'VAE decode @1024');
});
