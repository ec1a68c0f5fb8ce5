/**
 * Which units run fp32 and 16-bit matrix work: TF32 for fp32 products only where the run allows it
 * (apps turn it on, PyTorch's default since 1.12 leaves it off), TF32 for convolutions always
 * (cuDNN's default); 16-bit tensors on GPUs without fast 16-bit math run the libraries' pseudo-half
 * kernels on the FP32 ALUs, at their own efficiency.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workloadInput } from '../../src/answers/workload.ts';
import { resolveDevice } from '../../src/catalog/devices.ts';
import { MODEL_CONSTANTS } from '../../src/cost/constants.ts';
import { estimate } from '../../src/cost/estimate.ts';
import { gemmPeak, peakRate } from '../../src/cost/rates.ts';
import { makeWorkload, type SoftwareStack, tf32Matmul, type WorkloadInput } from '../../src/cost/workload.ts';

const phases = (device: string, input: Partial<WorkloadInput>) => {
  const e = estimate(makeWorkload({ model: 'sdxl', width: 1024, height: 1024, ...input }), resolveDevice(device), {
    strategy: 'gpu',
  });
  return Object.fromEntries(e.chosen.time.phases.map((p) => [p.phase, p.seconds]));
};

test('fp32 products run TF32 from an app, IEEE FP32 from a script on PyTorch 1.12 or later, as the run says where it says', () => {
  const cases: [SoftwareStack, boolean][] = [
    [{}, true],
    [{ frontend: 'app' }, true],
    [{ frontend: 'script' }, false],
    [{ frontend: 'script', torch: 1.11 }, true],
    [{ frontend: 'script', torch: 2.5 }, false],
    [{ frontend: 'script', tf32: true }, true],
    [{ frontend: 'app', tf32: false }, false],
  ];
  for (const [stack, on] of cases) assert.equal(tf32Matmul(stack), on, JSON.stringify(stack));
  assert.equal(workloadInput({ model: 'sdxl', tf32: 'off' }).software?.tf32, false);
  assert.equal(workloadInput({ model: 'sdxl', tf32: 'on' }).software?.tf32, true);
});

test('without TF32 an A100 runs fp32 linear layers on its 19.5 TFLOP/s FP32 ALUs; convolutions and 16-bit work do not change', () => {
  const a100 = resolveDevice('A100 40GB');
  assert.equal(gemmPeak(a100, 'fp32', false).flops, a100.fp32Tflops * 1e12);
  assert.equal(gemmPeak(a100, 'fp32', false).units, 'vector');
  assert.deepEqual(gemmPeak(a100, 'fp32', true), peakRate(a100, 'fp32'));
  assert.equal(peakRate(a100, 'fp32').units, 'matrix');
  assert.deepEqual(gemmPeak(a100, 'fp16', false), peakRate(a100, 'fp16'));

  const on = phases('A100 40GB', { precision: 'fp32', software: { frontend: 'script', tf32: true } });
  const off = phases('A100 40GB', { precision: 'fp32', software: { frontend: 'script', tf32: false } });
  // SDXL's UNet is two-thirds linear layers: IEEE FP32 at 1/8 of the TF32 rate makes a step several times slower.
  assert.ok(off.denoising! > 2.5 * on.denoising!, `${off.denoising} vs ${on.denoising}`);
  // The VAE decoder is convolutions, which cuDNN runs TF32 either way.
  assert.ok(Math.abs(off['vae-decode']! / on['vae-decode']! - 1) < 0.05, `${off['vae-decode']} vs ${on['vae-decode']}`);
  const half = (tf32: boolean) =>
    phases('A100 40GB', { precision: 'fp16', software: { frontend: 'script', tf32 } }).denoising;
  assert.equal(half(false), half(true));
  // A GPU without TF32 (V100) runs fp32 on its FP32 ALUs whatever the setting.
  const v100 = (tf32: boolean) =>
    phases('V100', { precision: 'fp32', software: { frontend: 'script', tf32 } }).denoising;
  assert.equal(v100(false), v100(true));
});

test('16-bit tensors run pseudo-half on Pascal and without bf16 hardware on CUDA, natively elsewhere', () => {
  for (const [device, compute] of [
    ['GTX 1070', 'fp16'],
    ['Tesla P40', 'fp16'],
    ['V100', 'bf16'],
  ] as const) {
    const p = peakRate(resolveDevice(device), compute);
    assert.equal(p.pseudoHalf, true, device);
    assert.equal(p.units, 'vector', device);
  }
  for (const [device, compute] of [
    ['RTX 3060', 'fp16'],
    ['RX 6900 XT', 'fp16'],
    ['Apple M2 Ultra', 'fp16'],
    ['GTX 1070', 'fp32'],
  ] as const)
    assert.equal(peakRate(resolveDevice(device), compute).pseudoHalf, undefined, device);
  // The pseudo-half efficiency is what sets a Pascal card's fp16 step, so it moves the estimate.
  const w = makeWorkload({ model: 'sd15' });
  const step = (pseudoHalf: number) =>
    estimate(w, resolveDevice('GTX 1070'), {
      strategy: 'gpu',
      constants: { ...MODEL_CONSTANTS, efficiency: { ...MODEL_CONSTANTS.efficiency, pseudoHalf } },
    }).chosen.time.secondsPerStep;
  assert.ok(step(0.3) > 1.2 * step(0.6));
});
