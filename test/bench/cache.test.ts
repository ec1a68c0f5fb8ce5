/** The model cache: built once, verified and reused, and a corrupt entry is detected and rebuilt, never trusted. */

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cacheKey, cacheRoot, ensureModel, verifyEntry } from '../../src/bench/cache.ts';
import { tinyUNet, tinyVae } from './_tiny.ts';

const fresh = () => mkdtempSync(join(tmpdir(), 'genready-cache-'));

test('the cache directory is $GENREADY_CACHE_DIR, else the XDG cache directory, else ~/.cache', () => {
  assert.equal(cacheRoot({ GENREADY_CACHE_DIR: '/x/y' }), '/x/y');
  if (process.platform === 'linux') {
    assert.equal(cacheRoot({ XDG_CACHE_HOME: '/xdg' }), '/xdg/genready');
    assert.match(cacheRoot({}), /\.cache\/genready$/);
  }
});

test('a model is built once, then verified and reused', async () => {
  const root = fresh();
  const built = await ensureModel(tinyVae, { dtype: 'float32', seed: 1, root });
  assert.equal(built.status, 'built');
  const again = await ensureModel(tinyVae, { dtype: 'float32', seed: 1, root });
  assert.equal(again.status, 'reused');
  assert.equal(again.path, built.path);
  assert.equal(again.parameters, built.parameters);
  // Another seed or dtype is another entry, not a reuse.
  const other = await ensureModel(tinyVae, { dtype: 'float32', seed: 2, root });
  assert.equal(other.status, 'built');
  assert.notEqual(other.dir, built.dir);
  assert.notEqual(cacheKey(tinyVae, 'float32', 1), cacheKey(tinyVae, 'float16', 1));
});

test('a flipped byte in the model file is detected and the entry rebuilt to the original bytes', async () => {
  const root = fresh();
  const first = await ensureModel(tinyVae, { dtype: 'float32', seed: 1, root });
  const original = readFileSync(first.path);
  const bad = Buffer.from(original);
  bad[bad.length - 100] = bad[bad.length - 100]! ^ 0xff;
  writeFileSync(first.path, bad);
  const v = await verifyEntry(first.dir, cacheKey(tinyVae, 'float32', 1));
  assert.deepEqual(v, { ok: false, reason: 'model.onnx does not match its checksum' });
  const events: unknown[] = [];
  const r = await ensureModel(tinyVae, { dtype: 'float32', seed: 1, root, onBuild: (e) => events.push(e) });
  assert.equal(r.status, 'rebuilt');
  assert.equal(r.reason, 'model.onnx does not match its checksum');
  assert.equal(events.length, 1);
  assert.ok(readFileSync(r.path).equals(original));
});

test('a truncated external data file, a missing manifest or a foreign manifest each force a rebuild', async () => {
  const root = fresh();
  const opts = { dtype: 'float32' as const, seed: 3, root, externalThresholdBytes: 0 };
  const first = await ensureModel(tinyUNet, opts);
  truncateSync(`${first.path}.data`, 1000);
  let r = await ensureModel(tinyUNet, opts);
  assert.equal(r.status, 'rebuilt');
  assert.match(r.reason!, /^model\.onnx\.data is 1000 bytes, \d+ expected$/);
  assert.equal((await ensureModel(tinyUNet, opts)).status, 'reused');

  rmSync(join(r.dir, 'manifest.json'));
  r = await ensureModel(tinyUNet, opts);
  assert.equal(r.status, 'rebuilt');
  assert.match(r.reason!, /no manifest/);

  writeFileSync(join(r.dir, 'manifest.json'), '{"hello": 1}');
  r = await ensureModel(tinyUNet, opts);
  assert.equal(r.status, 'rebuilt');
  assert.match(r.reason!, /not a genready cache manifest/);
});
