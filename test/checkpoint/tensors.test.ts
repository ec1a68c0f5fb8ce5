/**
 * Loading weights into the graph's layout: the same weights written in diffusers and in LDM names
 * (and in fp32, fp16, bf16) load to identical graph tensors; layouts (transpose, squeeze) and
 * conversions are exact; a tensor of the wrong shape or missing is a one-line error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CheckpointError } from '../../src/checkpoint/errors.ts';
import {
  clipTextNameMap,
  fluxNameMap,
  openClipTextNameMap,
  unetNameMap,
  vaeDecoderNameMap,
} from '../../src/checkpoint/names.ts';
import { readSafetensorsHeader } from '../../src/checkpoint/safetensors.ts';
import { halfToFloat, loadGraphWeights, toFloat32 } from '../../src/checkpoint/tensors.ts';
import type { DType } from '../../src/checkpoint/types.ts';
import { writeSafetensors } from '../../src/checkpoint/write.ts';
import { buildGraph } from '../../src/graph/index.ts';
import { tinyClipProjected, tinyFlux, tinyUNet, tinyVae } from '../bench/_tiny.ts';

const dir = mkdtempSync(join(tmpdir(), 'genready-tensors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Values exactly representable in bf16 and fp16 alike: k/64 for small k. */
const value = (t: number, i: number) => (((t * 31 + i * 7) % 97) - 48) / 64;

function encode(dtype: DType, values: Float32Array): Uint8Array {
  const n = values.length;
  if (dtype === 'F32') return new Uint8Array(values.buffer.slice(0));
  const out = new Uint8Array(n * 2);
  const dv = new DataView(out.buffer);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < n; i++) {
    f[0] = values[i]!;
    if (dtype === 'BF16') dv.setUint16(2 * i, u[0]! >>> 16, true);
    else {
      // fp16 of k/64 (|k| < 64): exact normal numbers or zero.
      const x = values[i]!;
      if (x === 0) dv.setUint16(2 * i, 0, true);
      else {
        const e = Math.floor(Math.log2(Math.abs(x)));
        const m = Math.round((Math.abs(x) / 2 ** e - 1) * 1024);
        dv.setUint16(2 * i, (x < 0 ? 0x8000 : 0) | ((e + 15) << 10) | m, true);
      }
    }
  }
  return out;
}

describe('loading weights into the graph layout', () => {
  const map = unetNameMap(tinyUNet, { convProjection: true });
  /** Torch-layout values per entry, indexed by entry position. */
  const torch = map.map((e, t) =>
    Float32Array.from({ length: e.shape.ldm.reduce((a, b) => a * b, 1) }, (_, i) => value(t, i)),
  );

  function write(naming: 'ldm' | 'diffusers', dtype: DType) {
    const p = join(dir, `unet-${naming}-${dtype}.safetensors`);
    writeSafetensors(
      p,
      map.map((e, t) => ({
        name: naming === 'ldm' ? `model.diffusion_model.${e.ldm}` : e.diffusers!,
        dtype,
        shape: e.shape[naming],
        data: encode(dtype, torch[t]!),
      })),
    );
    return readSafetensorsHeader(p);
  }

  it('gives byte-identical graph weights from diffusers and LDM names, in fp32, fp16 and bf16', () => {
    const ref = loadGraphWeights([write('ldm', 'F32')], 'model.diffusion_model.', map, 'ldm');
    for (const [naming, dtype] of [
      ['diffusers', 'F32'],
      ['diffusers', 'F16'],
      ['ldm', 'BF16'],
    ] as const) {
      const got = loadGraphWeights(
        [write(naming, dtype)],
        naming === 'ldm' ? 'model.diffusion_model.' : '',
        map,
        naming,
      );
      assert.equal(got.length, ref.length);
      for (let i = 0; i < ref.length; i++) {
        assert.equal(got[i]!.name, ref[i]!.name);
        assert.deepEqual(
          Buffer.from(got[i]!.data.buffer),
          Buffer.from(ref[i]!.data.buffer),
          `${naming} ${dtype} ${got[i]!.name}`,
        );
      }
    }
    // Every graph weight is covered, with the builder's dims.
    const g = buildGraph(tinyUNet, 'float32');
    assert.deepEqual(
      ref.map((w) => `${w.name} ${w.dims.join(',')}`),
      g.weights.map((w) => `${w.name} ${w.dims.join(',')}`),
    );
  });

  it('transposes linear weights and squeezes 1×1 convs into [in, out]', () => {
    const ref = loadGraphWeights([write('ldm', 'F32')], 'model.diffusion_model.', map, 'ldm');
    const idx = map.findIndex((e) => e.graph.endsWith('attn2.to_k.weight'));
    const e = map[idx]!;
    const [o, i] = e.shape.ldm as [number, number];
    const w = ref[idx]!;
    assert.deepEqual(w.dims, [i, o]);
    assert.equal(w.data[2 * o + 1], torch[idx]![1 * i + 2], 'graph[2][1] = torch[1][2]');
    const proj = map.findIndex((x) => x.graph.endsWith('proj_in.weight'));
    assert.equal(map[proj]!.shape.ldm.length, 4, 'SD 1.x proj_in is a 1×1 conv in the file');
    const [po, pi] = map[proj]!.shape.ldm as [number, number];
    assert.equal(ref[proj]!.data[3 * po + 2], torch[proj]![2 * pi + 3]);
  });

  it('converts fp16 exactly, including subnormals and infinities', () => {
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0xc000), -2);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0x7c00), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
    assert.equal(halfToFloat(0x7bff), 65504);
    assert.throws(() => toFloat32('I64', new Uint8Array(8), 'f', 't'), /I64 weights cannot be loaded/);
    // The typed-array path (aligned) and the DataView path (unaligned) agree.
    const raw = new Uint8Array([0, 0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x80, 0x3f]);
    assert.deepEqual([...toFloat32('F16', raw.subarray(1, 5), 'f', 't')], [1, -2]);
    assert.deepEqual([...toFloat32('F16', raw.slice(1, 5), 'f', 't')], [1, -2]);
    const bf16Bits = new Float32Array(new Uint32Array([0x00010000]).buffer)[0]!;
    assert.deepEqual([...toFloat32('BF16', raw.subarray(5, 9), 'f', 't')], [bf16Bits, 1]);
    assert.deepEqual([...toFloat32('BF16', raw.slice(5, 9), 'f', 't')], [bf16Bits, 1]);
  });

  it('refuses a tensor of another shape, naming file and tensor, and a missing one', () => {
    const vmap = vaeDecoderNameMap(tinyVae);
    const p = join(dir, 'vae-bad.safetensors');
    writeSafetensors(
      p,
      vmap.map((e, t) => ({
        name: e.ldm,
        dtype: 'F16' as const,
        shape: t === 3 ? [...e.shape.ldm.slice(0, -1), e.shape.ldm.at(-1)! + 1] : e.shape.ldm,
      })),
    );
    const h = readSafetensorsHeader(p);
    assert.throws(
      () => loadGraphWeights([h], '', vmap, 'ldm'),
      (err: unknown) =>
        err instanceof CheckpointError &&
        err.code === 'shape-mismatch' &&
        err.message.startsWith(p) &&
        err.message.includes(vmap[3]!.ldm),
    );
    assert.throws(
      () => loadGraphWeights([h], 'first_stage_model.', vmap, 'ldm'),
      (err: unknown) => err instanceof CheckpointError && err.code === 'missing-tensor',
    );
  });
});

describe('OpenCLIP names (SD 2.x / SDXL single files)', () => {
  it('load fused q/k/v and the [in, out] projection to the same graph weights as the diffusers names', () => {
    const hfMap = clipTextNameMap(tinyClipProjected);
    const ocMap = openClipTextNameMap(tinyClipProjected);
    const d = tinyClipProjected.width;
    // Torch-layout values in the diffusers (transformers) naming.
    const hf = new Map(
      hfMap.map((e, t) => [
        e.diffusers!,
        {
          shape: e.shape.diffusers,
          data: Float32Array.from({ length: e.shape.diffusers.reduce((a, b) => a * b, 1) }, (_, i) => value(t, i)),
        },
      ]),
    );
    const pHf = join(dir, 'clip-hf.safetensors');
    writeSafetensors(
      pHf,
      [...hf].map(([name, x]) => ({
        name,
        dtype: 'F32' as const,
        shape: x.shape,
        data: new Uint8Array(x.data.buffer),
      })),
    );
    // The same weights as OpenCLIP holds them: q, k, v stacked; the projection as [in, out].
    const oc = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const e of ocMap) {
      const x = hf.get(e.diffusers!)!;
      const prev = oc.get(e.ldm);
      if (e.rows?.ldm) {
        const full = prev ?? { shape: e.shape.ldm, data: new Float32Array(e.shape.ldm.reduce((a, b) => a * b, 1)) };
        full.data.set(x.data, e.rows.ldm[0] * (x.data.length / (e.rows.ldm[1] - e.rows.ldm[0])));
        oc.set(e.ldm, full);
      } else if (e.kind.ldm === 'in-out') {
        const [o, i] = x.shape as [number, number];
        const tr = new Float32Array(o * i);
        for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) tr[c * o + r] = x.data[r * i + c]!;
        oc.set(e.ldm, { shape: [i, o], data: tr });
      } else oc.set(e.ldm, x);
    }
    assert.ok(oc.has('transformer.resblocks.0.attn.in_proj_weight'));
    assert.deepEqual(oc.get('transformer.resblocks.0.attn.in_proj_bias')!.shape, [3 * d]);
    const pOc = join(dir, 'clip-openclip.safetensors');
    writeSafetensors(
      pOc,
      [...oc].map(([name, x]) => ({
        name: `cond_stage_model.model.${name}`,
        dtype: 'F32' as const,
        shape: x.shape,
        data: new Uint8Array(x.data.buffer),
      })),
    );
    const a = loadGraphWeights([readSafetensorsHeader(pHf)], '', hfMap, 'diffusers');
    const b = loadGraphWeights([readSafetensorsHeader(pOc)], 'cond_stage_model.model.', ocMap, 'ldm');
    assert.deepEqual(
      b.map((w) => w.name),
      a.map((w) => w.name),
    );
    for (let i = 0; i < a.length; i++)
      assert.deepEqual(Buffer.from(b[i]!.data.buffer), Buffer.from(a[i]!.data.buffer), a[i]!.name);
  });
});

describe('nameMapFor', () => {
  it('reads from the file whether the UNet’s transformer projections are 1×1 convs (SD 1.x) or linear', async () => {
    const { nameMapFor } = await import('../../src/checkpoint/load.ts');
    for (const convProjection of [true, false]) {
      const m = unetNameMap(tinyUNet, { convProjection });
      const p = join(dir, `proj-${convProjection}.safetensors`);
      writeSafetensors(
        p,
        m.map((e) => ({ name: `model.diffusion_model.${e.ldm}`, dtype: 'F16' as const, shape: e.shape.ldm })),
      );
      const h = readSafetensorsHeader(p);
      const { map, naming } = nameMapFor({ naming: 'ldm', tensorPrefix: 'model.diffusion_model.' }, tinyUNet, [h]);
      assert.equal(naming, 'ldm');
      const proj = map.find((e) => e.graph.endsWith('proj_in.weight'))!;
      assert.equal(proj.shape.ldm.length, convProjection ? 4 : 2);
      assert.equal(loadGraphWeights([h], 'model.diffusion_model.', map, naming).length, m.length);
    }
  });
});

describe('FLUX.1 weights from BFL files', () => {
  it('swap the final adaLN halves (BFL: shift, scale; graph: scale, shift) and refuse diffusers’ split names', () => {
    const map = fluxNameMap(tinyFlux);
    const torch = map.map((e, t) =>
      Float32Array.from({ length: e.shape.ldm.reduce((a, b) => a * b, 1) }, (_, i) => value(t, i)),
    );
    const p = join(dir, 'flux-bfl.safetensors');
    writeSafetensors(
      p,
      map.map((e, t) => ({
        name: e.ldm,
        dtype: 'F32' as const,
        shape: e.shape.ldm,
        data: new Uint8Array(torch[t]!.buffer),
      })),
    );
    const h = readSafetensorsHeader(p);
    const w = loadGraphWeights([h], '', map, 'ldm');
    const d = tinyFlux.hidden;
    const k = map.findIndex((e) => e.graph === 'final_layer.adaLN_modulation.weight');
    // graph [d, 2d] (in, out); BFL torch [2d, d] with rows 0..d-1 = shift. Graph column r < d is scale = BFL row d + r.
    for (const [c, r] of [
      [0, 0],
      [3, 5],
      [d - 1, d - 1],
    ] as const) {
      assert.equal(w[k]!.data[c * 2 * d + r], torch[k]![(r + d) * d + c]);
      assert.equal(w[k]!.data[c * 2 * d + r + d], torch[k]![r * d + c]);
    }
    const b = map.findIndex((e) => e.graph === 'final_layer.adaLN_modulation.bias');
    assert.equal(w[b]!.data[0], torch[b]![d]);
    assert.throws(
      () =>
        loadGraphWeights(
          [h],
          '',
          map.filter((e) => e.diffusers === null),
          'diffusers',
        ),
      (err: unknown) => err instanceof CheckpointError && err.code === 'no-name-map',
    );
  });
});
