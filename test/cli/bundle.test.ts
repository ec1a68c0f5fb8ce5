/**
 * bin/genready.mjs runs a bundle of src/ built on first use; it must answer exactly as the sources
 * run through tsx do (GENREADY_NO_BUNDLE=1), data files included (each module keeps its own URL).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cli } from './helpers.ts';

const CACHE = fileURLToPath(new URL('../../node_modules/.cache/genready-cli/', import.meta.url));

describe('the bundled CLI', () => {
  for (const args of [
    ['estimate', '--model', 'sdxl', '--size', '1024x1024', '--device', 'RTX 4090', '--json'],
    ['gpus', '--for', 'sd15 512x512', '--top', '5', '--json'],
    ['help', 'plan'],
  ]) {
    it(`answers ${args.join(' ')} as the sources do`, () => {
      const bundled = cli(args);
      const sources = cli(args, { GENREADY_NO_BUNDLE: '1' });
      assert.equal(bundled.code, 0, bundled.stderr);
      assert.deepEqual(bundled, sources);
    });
  }

  it('is built from the current sources, one chunk per command', () => {
    cli(['--version']);
    assert.ok(existsSync(CACHE));
    const builds = readdirSync(CACHE).filter((d) => !d.includes('.tmp-'));
    assert.equal(builds.length, 1, builds.join(', '));
    assert.ok(readdirSync(`${CACHE}${builds[0]}`).filter((f) => f.startsWith('chunk-')).length > 5);
  });
});
