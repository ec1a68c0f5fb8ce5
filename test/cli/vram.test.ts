/** A hypothetical GPU given by its memory only (--vram 24, --as 24GB), for a card not in the catalog. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listDevices } from '../../src/catalog/devices.ts';
import { parseVram, vramDevice } from '../../src/planner/vram-machine.ts';
import { cli } from './helpers.ts';

describe('--vram / --as NGB', () => {
  it('reads a memory size, and leaves device names alone', () => {
    assert.deepEqual(['24', '24GB', '24 GiB', '12.5g', 'RTX 3060 12GB', 'none'].map(parseVram), [
      24,
      24,
      24,
      12.5,
      null,
      null,
    ]);
  });

  it('has exactly that memory and the speed of the slowest NVIDIA desktop card with at least as much', () => {
    const d = vramDevice(20);
    assert.equal(d.memoryGiB, 20);
    const ref = listDevices().find((x) => d.name === `hypothetical 20 GB GPU (speed of ${x.name})`);
    assert.ok(ref, d.name);
    const peers = listDevices().filter(
      (x) => x.vendor === 'NVIDIA' && x.segment === 'consumer_desktop' && x.memoryGiB === ref.memoryGiB,
    );
    assert.ok(ref.memoryGiB! >= 20);
    for (const p of peers) assert.ok((p.fp16MatrixTflops ?? 0) >= (ref.fp16MatrixTflops ?? 0), p.name);
  });

  it('check --vram 24 evaluates that machine; a bad size is one line, exit 1', () => {
    const r = cli(['check', '--vram', '24', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.machine.device.memoryGiB, 24);
    assert.match(j.machine.device.note, /^hypothetical: a 24 GB GPU with the speed of /);
    const same = JSON.parse(cli(['check', '--as', '24GB', '--json']).stdout);
    assert.deepEqual(same.models, j.models);
    const bad = cli(['check', '--vram', 'lots']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'genready: --vram must be a number, got "lots"\n');
  });
});
