import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureWebBuilt, WEB_SRC } from '../../src/server/web-build.ts';

test('the dashboard is built when missing or changed, and not rebuilt otherwise', async () => {
  // A copy of the sources inside the repository (so chart.js resolves from node_modules); the real
  // dist/ is left alone. The library types the dashboard imports are type-only and not resolved.
  mkdirSync('test-artifacts', { recursive: true });
  const dir = mkdtempSync(join('test-artifacts', 'build-'));
  const src = join(dir, 'web');
  cpSync(WEB_SRC, src, { recursive: true });
  // …and the library module it bundles (the shared number formatting), at the same relative place.
  cpSync(join(WEB_SRC, '..', 'text'), join(dir, 'text'), { recursive: true });
  const out = join(dir, 'dist', 'web');
  assert.equal((await ensureWebBuilt({ src, out })).built, true);
  const js = readFileSync(join(out, 'app.js'), 'utf8');
  assert.ok(js.length > 50_000, 'chart.js is bundled in');
  assert.doesNotMatch(js, /https?:\/\/(cdn|unpkg|cdnjs|jsdelivr)/, 'nothing from a CDN');
  assert.ok(existsSync(join(out, 'index.html')) && existsSync(join(out, 'style.css')));
  assert.equal((await ensureWebBuilt({ src, out })).built, false);
  writeFileSync(join(src, 'style.css'), `${readFileSync(join(src, 'style.css'), 'utf8')}\n/* changed */\n`);
  assert.equal((await ensureWebBuilt({ src, out })).built, true);
  assert.match(readFileSync(join(out, 'style.css'), 'utf8'), /changed/);
  rmSync(dir, { recursive: true, force: true });
});
