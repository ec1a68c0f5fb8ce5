/**
 * bin/genready.mjs runs a bundle of src/ built on first use; it must answer exactly as the sources
 * run through tsx do (GENREADY_NO_BUNDLE=1), data files included (each module keeps its own URL).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
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
    // Newest first: builds of earlier sources may stay a while (see the next test).
    const builds = readdirSync(CACHE)
      .filter((d) => !d.includes('.tmp-'))
      .sort((x, y) => statSync(join(CACHE, y)).mtimeMs - statSync(join(CACHE, x)).mtimeMs);
    assert.ok(builds.length >= 1);
    assert.ok(readdirSync(join(CACHE, builds[0]!)).filter((f) => f.startsWith('chunk-')).length > 5);
  });

  it('prunes builds of other sources only once no process can still be loading from them', () => {
    // Its own cache folder: pruning the shared one would pull chunks from under the other tests. It
    // sits beside the shared one, where the bundle's packages resolve from the project's node_modules.
    mkdirSync(join(CACHE, '..'), { recursive: true });
    const cache = mkdtempSync(join(CACHE, '..', 'genready-cli-test-'));
    const stale = join(cache, 'earlier-sources-an-hour-ago');
    const fresh = join(cache, 'earlier-sources-just-now');
    for (const d of [stale, fresh]) mkdirSync(d);
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(stale, hourAgo, hourAgo);
    const r = cli(['--version'], { GENREADY_BUNDLE_CACHE: cache });
    assert.equal(r.code, 0, r.stderr);
    const left = readdirSync(cache);
    assert.ok(!left.includes('earlier-sources-an-hour-ago'), left.join(', '));
    assert.ok(left.includes('earlier-sources-just-now'), left.join(', '));
    const built = left.filter((d) => d.startsWith('earlier-') === false);
    assert.equal(built.length, 1, left.join(', '));
    assert.ok(readdirSync(join(cache, built[0]!)).some((f) => f === 'main.mjs'));
    rmSync(cache, { recursive: true, force: true });
  });
});
