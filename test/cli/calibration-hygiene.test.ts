/**
 * Calibration hygiene: a busy bench is shown but not saved unless --save; a calibration scales only
 * the models it measured; a calibration from another CPU is said; threads and spinning follow the load.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  calibrationFor,
  loadCalibration,
  loadStore,
  type Measurement,
  predictSeconds,
  recordMeasurements,
  saveDecision,
} from '../../src/bench/calibration.ts';
import { sessionThreadOptions, threadPlan } from '../../src/ort/threads.ts';
import { machineFromProbe } from '../../src/planner/machine.ts';
import { modelVerdicts } from '../../src/planner/verdict.ts';
import { fakeProbe } from '../../src/probe/fake.ts';

describe('the busy-bench rule', () => {
  const cases: [string, boolean | undefined, number, number, boolean][] = [
    ['quiet machine, no flag: saved', undefined, 0.3, 2, true],
    ['load equal to the cores, no flag: saved', undefined, 2, 2, true],
    ['load above the cores, no flag: shown, not saved', undefined, 2.6, 2, false],
    ['busy with --save: saved', true, 2.6, 2, true],
    ['quiet with --no-save: not saved', false, 0.1, 8, false],
  ];
  for (const [name, asked, load, cores, save] of cases)
    it(name, () => assert.equal(saveDecision(asked, load, cores).save, save));

  it('says why and how to keep it', () => {
    assert.equal(
      saveDecision(undefined, 2.6, 2).note,
      "not saved as this machine's calibration: the machine was busy (load 2.6 on 2 cores); run it again when it is quiet, or add --save",
    );
    assert.match(saveDecision(true, 2.6, 2).note!, /^saved although the machine was busy .*as --save asked$/);
    assert.equal(saveDecision(undefined, 0.3, 2).note, null);
  });
});

describe('a calibration scales only what it measured', () => {
  const m = machineFromProbe(fakeProbe({ ramGiB: 64, cores: 2, cpuModel: 'Test CPU 9000' }));
  const path = join(mkdtempSync(join(tmpdir(), 'genready-cal-')), 'calibration.json');
  const c = { model: 'sd15', width: 256, height: 256, batch: 1, precision: 'fp32', strategy: 'cpu' } as const;
  const measurement = (phase: Measurement['phase']): Measurement => ({
    ...c,
    phase,
    measuredSeconds: predictSeconds({ ...c, phase }, m.host) * 3,
    peakMemoryBytes: 1e9,
    environment: {
      device: m.host.name,
      deviceId: m.host.id,
      runtime: 'onnxruntime',
      provider: 'cpu',
      cpu: 'Test CPU 9000',
      cores: 2,
      ramBytes: 64e9,
      os: 'linux',
      versions: { onnxruntime: '1.30.0' },
      date: '2026-12-01T10:00:00.000Z',
    },
  });
  recordMeasurements([measurement('denoising'), measurement('vae-decode')], path);
  const calibration = calibrationFor(m.host, loadStore(path))!;

  it('records the models measured', () => assert.deepEqual(calibration.models, ['sd15']));

  it('sd15 is "measured here" and 3× slower; every other model keeps its estimate exactly', () => {
    const plain = modelVerdicts(m);
    const cal = modelVerdicts(m, { calibration });
    for (const [i, v] of cal.entries()) {
      const p = plain[i]!;
      if (v.model === 'sd15') {
        assert.equal(v.basis, 'measured here');
        assert.ok(v.secondsPerImage! > 2 * p.secondsPerImage!, `${v.secondsPerImage} vs ${p.secondsPerImage}`);
      } else {
        assert.equal(v.basis, 'estimated', v.model);
        assert.equal(v.secondsPerImage, p.secondsPerImage, v.model);
      }
    }
  });

  it('check is told when the calibration comes from another CPU', () => {
    assert.equal(loadCalibration(m.host, path, 'Test CPU 9000').warning, undefined);
    const other = loadCalibration(m.host, path, 'AMD EPYC 7B13');
    assert.ok(other.calibration);
    assert.match(
      other.warning!,
      /measured on another CPU \(Test CPU 9000; this one is AMD EPYC 7B13\): run genready bench again$/,
    );
  });
});

describe('onnxruntime threads from the load', () => {
  it('a quiet machine: one thread per core, spinning', () =>
    assert.deepEqual(threadPlan(0.2, 2), {
      threads: 2,
      spinning: true,
      reason: '2 threads (quiet machine, load 0.2)',
    }));
  it('a busy 2-core machine: 1 thread, no spinning', () => {
    const p = threadPlan(2.4, 2);
    assert.deepEqual([p.threads, p.spinning], [1, false]);
  });
  it('a partly busy 8-core machine leaves the cores in use', () => {
    const p = threadPlan(3, 8);
    assert.deepEqual([p.threads, p.spinning], [5, false]);
  });
  it('threads asked for are kept; spinning still follows the load', () => {
    assert.deepEqual([threadPlan(5, 2, 4).threads, threadPlan(5, 2, 4).spinning], [4, false]);
  });
  it('becomes onnxruntime session options', () =>
    assert.deepEqual(sessionThreadOptions({ threads: 1, spinning: false }), {
      intraOpNumThreads: 1,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    }));
});
