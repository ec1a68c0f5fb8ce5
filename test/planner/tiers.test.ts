/**
 * Capability tiers for the machines practitioners use as landmarks, evaluated through the same
 * hypothetical-machine path as `genready check --as`. Each row states the practitioner's expectation.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveDevice } from '../../src/catalog/devices.ts';
import { machineFromProbe } from '../../src/planner/machine.ts';
import { failurePatterns, modelVerdicts, tierOf } from '../../src/planner/verdict.ts';
import { fakeProbe } from '../../src/probe/fake.ts';

function machine(gpu: string | null, ramGiB = 32) {
  if (!gpu) return machineFromProbe(fakeProbe({ ramGiB, cores: 16, cpuModel: 'AMD Ryzen 9 7950X' }));
  const d = resolveDevice(gpu);
  const m = machineFromProbe(
    fakeProbe({
      gpuName: d.name,
      vendor: d.vendor,
      unifiedMemory: d.unifiedMemory,
      ...(d.unifiedMemory ? {} : { gpuMemoryGiB: d.memoryGiB! }),
      ramGiB,
    }),
  );
  return { ...m, device: d };
}

const TABLE: [string | null, number, string][] = [
  [null, 1, 'no GPU: verification only, production belongs in the cloud'],
  ['GTX 1650', 2, '4 GB runs SD 1.5 at 512² on the device, slowly; nothing larger'],
  ['RTX 3060 8GB', 2, '8 GB: SD 1.5 comfortably; SDXL with a ControlNet does not fit on the device'],
  ['RTX 3060 12GB', 3, '12 GB: SDXL at 1024² with a ControlNet on the device; FLUX fp8 does not fit'],
  ['RTX 4060 Ti 16GB', 4, '16 GB: SDXL batches and FLUX.1-dev fp8 on the device'],
  ['RTX 4090', 4, '24 GB and fast: mass production'],
  ['Apple M2 16GB', 2, 'unified memory holds SDXL but the GPU is too slow for practical production'],
  ['H100', 4, 'datacenter GPU'],
];

for (const [gpu, level, why] of TABLE) {
  test(`tier ${level} for ${gpu ?? 'no GPU'} — ${why}`, () => {
    const t = tierOf(machine(gpu));
    assert.equal(
      t.level,
      level,
      JSON.stringify(t.requirements.map((r) => r.results.map((x) => `${x.label}: ${x.why}`))),
    );
  });
}

test('the report says when the VRAM rule of thumb and the capability tier disagree', () => {
  const mac = tierOf(machine('Apple M2 16GB'));
  assert.equal(mac.ruleOfThumb.level, 4);
  assert.match(mac.disagreement ?? '', /slower than/);
  assert.equal(tierOf(machine('RTX 4090')).disagreement, null);
});

test('failure patterns: no GPU with a strong CPU; a fast card with little memory', () => {
  const cpu = machine(null);
  const ids = failurePatterns(cpu, tierOf(cpu), modelVerdicts(cpu)).map((f) => f.id);
  assert.ok(ids.includes('no-gpu') && ids.includes('chosen-by-cpu'), ids.join(','));
  const fast8 = machine('RTX 4060 Ti 8GB');
  assert.ok(failurePatterns(fast8, tierOf(fast8), modelVerdicts(fast8)).some((f) => f.id === 'vram-neglected'));
  const small = machine('RTX 4090', 8);
  assert.ok(failurePatterns(small, tierOf(small), modelVerdicts(small)).some((f) => f.id === 'ram-too-small'));
});

test('per-model verdicts: FLUX.1-dev in bf16 does not fit 24 GB whole (fp8 or offload); SD 1.5 runs on the device everywhere from 4 GB', () => {
  const v = modelVerdicts(machine('RTX 4090', 64));
  const flux = v.find((x) => x.model === 'flux1-dev')!;
  // The ladder's rung: lowered weights (fp8 on the 4090's fp8 tensor cores) or an offload, never bf16 all on the device.
  assert.ok(flux.verdict.rung === 'lower-precision' || flux.mode === 'with-offload', JSON.stringify(flux.verdict));
  assert.notEqual(flux.verdict.rung, 'gpu');
  assert.equal(v.find((x) => x.model === 'sd15')!.mode, 'on-device');
  assert.equal(modelVerdicts(machine('GTX 1650')).find((x) => x.model === 'sd15')!.mode, 'on-device');
});

test('disk too small: named with the models whose weights it cannot hold; absent with room to spare', () => {
  const d = resolveDevice('RTX 4090');
  const at = (freeDiskGiB: number) => {
    const m = {
      ...machineFromProbe(fakeProbe({ gpuName: d.name, vendor: d.vendor, gpuMemoryGiB: 24, ramGiB: 64, freeDiskGiB })),
      device: d,
    };
    const t = tierOf(m);
    return failurePatterns(m, t, modelVerdicts(m));
  };
  const small = at(20).find((p) => p.id === 'disk-too-small');
  assert.ok(small, 'FLUX.1-dev weights (~34 GB) cannot fit 20 GiB');
  assert.match(small.message, /flux1-dev \(\d+ GB\)/);
  assert.doesNotMatch(small.message, /sd15/, 'SD 1.5 (~2 GB) fits');
  assert.equal(
    at(500).find((p) => p.id === 'disk-too-small'),
    undefined,
  );
});
