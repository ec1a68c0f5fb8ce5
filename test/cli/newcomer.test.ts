/** Small things a new user meets: run --example's hint, devices --match as a table, estimate on a CPU in RAM terms. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli } from './helpers.ts';

describe('a new user', () => {
  it('run --example says the images are noise and gives a command that works without a global install', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'genready-ex-')), 'demo');
    const r = cli(['run', '--example', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^its images will be noise: the weights are random, not trained/m);
    assert.match(r.stdout, /^try: npx genready run .*demo\/recipe\.json$/m);
  });

  it('devices --match prints a table (JSON only with --json)', () => {
    const r = cli(['devices', '--match', 'RTX 4090']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^memory +24 GiB$/m);
    assert.match(r.stdout, /^bandwidth +1008 GB\/s$/m);
    assert.equal(r.stdout.includes('{'), false);
    const j = JSON.parse(cli(['devices', '--match', 'RTX 4090', '--json']).stdout);
    assert.equal(j.device.memoryGiB, 24);
  });

  it('estimate on a CPU speaks of RAM, not of "device 0.00 GB"', () => {
    const r = cli(['estimate', '--model', 'sd15', '--device', 'here', '--size', '512x512']);
    assert.equal(r.code, 0, r.stderr);
    if (!/strategy cpu\)/.test(r.stdout)) return; // this machine has a GPU: not the case under test
    assert.match(r.stdout, /: (comfortable|tight) — RAM [\d.]+ GB of [\d.]+ GB usable$/m);
    assert.doesNotMatch(r.stdout, /device 0\.00 GB|weights on device/);
  });
});
