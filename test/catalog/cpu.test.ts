import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuDevice, DEFAULT_CLOCK_GHZ, DEFAULT_CPU_BANDWIDTH_GBS } from '../../src/catalog/cpu.ts';
import { getDevice } from '../../src/catalog/devices.ts';
import { CatalogError } from '../../src/catalog/errors.ts';

describe('cpuDevice', () => {
  it('computes peak FP32 as cores × FLOP/cycle × clock: 8 AVX2 cores at 4.5 GHz = 1.152 TFLOPS', () => {
    const cpu = cpuDevice({
      model: 'AMD Ryzen 7 5800X 8-Core Processor',
      cores: 8,
      threads: 16,
      clockGHz: 4.5,
      simd: { avx2: true },
    });
    assert.equal(cpu.fp32Tflops, 1.152);
  });

  it('agrees with the catalog CPU rows built on the same convention', () => {
    const catalog = getDevice('amd-ryzen-7-5800x');
    const derived = cpuDevice({ model: 'Ryzen 7 5800X', cores: 8, clockGHz: 4.5, simd: { avx2: true } });
    assert.ok(catalog && Math.abs(catalog.fp32Tflops - derived.fp32Tflops) < 0.01);
  });

  const rates: [label: string, simd: { avx2?: boolean; avx512?: boolean; neon?: boolean }, flopsPerCycle: number][] = [
    ['AVX-512', { avx2: true, avx512: true }, 64],
    ['AVX2', { avx2: true }, 32],
    ['NEON', { neon: true }, 16],
    ['no SIMD flags', {}, 8],
  ];
  for (const [label, simd, perCycle] of rates) {
    it(`uses ${perCycle} FLOP/cycle for ${label}`, () => {
      assert.equal(cpuDevice({ model: 'x', cores: 1, clockGHz: 1, simd }).fp32Tflops, perCycle / 1000);
    });
  }

  it('lets a probe override FLOP/cycle (Zen 4 AVX-512 is double-pumped: 32)', () => {
    const zen4 = cpuDevice({
      model: 'AMD Ryzen 7 7700X',
      cores: 8,
      clockGHz: 5,
      simd: { avx2: true, avx512: true },
      flopsPerCycle: 32,
    });
    assert.equal(zen4.fp32Tflops, 1.28);
  });

  it('falls back to dual-channel DDR4-3200 and a default clock, and says so', () => {
    const cpu = cpuDevice({ model: 'Some CPU', cores: 4, simd: { avx2: true } });
    assert.equal(cpu.memoryBandwidthGBs, DEFAULT_CPU_BANDWIDTH_GBS);
    assert.equal(cpu.memoryBandwidthGBs, 51.2);
    assert.equal(cpu.fp32Tflops, (4 * 32 * DEFAULT_CLOCK_GHZ) / 1000);
    assert.match(cpu.notes, /DDR4-3200/);
    assert.match(cpu.notes, /clock unknown/);
  });

  it('describes a unified-memory CPU device with the RAM as its memory', () => {
    const cpu = cpuDevice({
      model: 'Intel Core i5-12400',
      cores: 6,
      clockGHz: 4,
      simd: { avx2: true },
      ramGiB: 32,
      memoryBandwidthGBs: 76.8,
    });
    assert.equal(cpu.backend, 'cpu');
    assert.equal(cpu.segment, 'cpu');
    assert.equal(cpu.unifiedMemory, true);
    assert.equal(cpu.memoryGiB, 32);
    assert.equal(cpu.memoryBandwidthGBs, 76.8);
    assert.equal(cpu.pcie, null);
    assert.equal(cpu.vendor, 'Intel');
    assert.equal(cpu.id, 'cpu-intel-core-i5-12400');
    assert.equal(cpu.source, 'derived: cores × FLOP/cycle × clock (genready cpu model)');
  });

  it('leaves memory null when RAM is unknown', () => {
    assert.equal(cpuDevice({ model: 'x', cores: 2, simd: {} }).memoryGiB, null);
  });

  it('adds AMX BF16/INT8 matrix peaks only when AMX is present', () => {
    const amx = cpuDevice({
      model: 'Intel Xeon',
      cores: 8,
      clockGHz: 2,
      simd: { avx2: true, avx512: true, amx: true },
    });
    assert.equal(amx.bf16Support, true);
    assert.equal(amx.bf16MatrixTflops, (8 * 1024 * 2) / 1000);
    assert.equal(amx.int8Tops, (8 * 2048 * 2) / 1000);
    const plain = cpuDevice({ model: 'x', cores: 8, simd: { avx2: true } });
    assert.equal(plain.bf16MatrixTflops, null);
    assert.equal(plain.bf16Support, false);
  });

  it('rejects impossible specs with a CatalogError', () => {
    for (const bad of [{ cores: 0 }, { cores: 2.5 }, { cores: 4, clockGHz: -1 }]) {
      assert.throws(() => cpuDevice({ model: 'x', simd: {}, ...bad }), CatalogError);
    }
  });
});
