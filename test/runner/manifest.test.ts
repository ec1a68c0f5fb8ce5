import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MANIFEST, type ManifestEntry, ManifestWriter, readManifest } from '../../src/runner/manifest.ts';
import { readReview, redoPlan, redoSeed, setMark } from '../../src/runner/review.ts';

const entry = (index: number, over: Partial<ManifestEntry> = {}): ManifestEntry => ({
  v: 1,
  index,
  file: `${index}.png`,
  sha256: 'x',
  bytes: 1,
  prompt: 'a cat',
  negativePrompt: '',
  seed: 100 + index,
  steps: 8,
  guidance: 7,
  sampler: 'euler_a',
  width: 32,
  height: 32,
  model: { dir: '/m', name: 'm', hash: 'h', files: {} },
  runtime: { engine: 'onnxruntime-node', version: '1', providers: ['cpu'], threads: 1, node: 'v20' },
  device: { cpu: 'c', cores: 1, arch: 'x64', platform: 'linux' },
  batch: 1,
  seconds: 0.1,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('manifest', () => {
  it('appends whole lines and reads them back by index', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-manifest-'));
    const w = new ManifestWriter(dir);
    w.append(entry(0));
    w.append(entry(1));
    w.close();
    assert.deepEqual([...readManifest(dir).keys()], [0, 1]);
  });

  it('survives a line torn by a kill: ignored when read, cut before the next append', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-manifest-'));
    const w = new ManifestWriter(dir);
    w.append(entry(0));
    w.close();
    appendFileSync(join(dir, MANIFEST), JSON.stringify(entry(1)).slice(0, 40));
    assert.deepEqual([...readManifest(dir).keys()], [0]);
    const w2 = new ManifestWriter(dir);
    w2.append(entry(1));
    w2.close();
    const lines = readFileSync(join(dir, MANIFEST), 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual([...readManifest(dir).keys()], [0, 1]);
  });

  it('refuses a manifest damaged in the middle rather than silently dropping images', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-manifest-'));
    writeFileSync(join(dir, MANIFEST), `${JSON.stringify(entry(0))}\n{garbage\n${JSON.stringify(entry(2))}\n`);
    assert.throws(() => readManifest(dir), /line 2 is not JSON/);
  });

  it('a later line for the same index wins (an image made again after its file was lost)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-manifest-'));
    writeFileSync(
      join(dir, MANIFEST),
      `${JSON.stringify(entry(0, { sha256: 'old' }))}\n${JSON.stringify(entry(0, { sha256: 'new' }))}\n`,
    );
    assert.equal(readManifest(dir).get(0)!.sha256, 'new');
  });
});

describe('review marks and redo', () => {
  it('stores keep/reject marks beside the manifest; null clears one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-review-'));
    setMark(dir, 3, 'reject');
    setMark(dir, 4, 'keep');
    setMark(dir, 4, null);
    assert.deepEqual(readReview(dir).marks, { 3: 'reject' });
    assert.throws(() => setMark(dir, -1, 'keep'), /index/);
    writeFileSync(join(dir, 'review.json'), '{"v":1,"marks":{"3":"maybe"}}');
    assert.throws(() => readReview(dir), /not a review file/);
  });

  it('plans one redo per rejected image, numbered after everything, with a new seed, stable across restarts', () => {
    const entries = new Map([0, 1, 2, 3].map((i) => [i, entry(i)] as const));
    const review = {
      v: 1 as const,
      marks: { 1: 'reject' as const, 2: 'keep' as const, 3: 'reject' as const },
      updatedAt: '',
    };
    const plan = redoPlan(entries, review, 4, '{index}-{seed}.png');
    assert.deepEqual(
      plan.map((p) => [p.redoOf, p.index]),
      [
        [1, 4],
        [3, 5],
      ],
    );
    assert.notEqual(plan[0]!.seed, entries.get(1)!.seed);
    assert.equal(plan[0]!.seed, redoSeed(101, 4));
    assert.equal(plan[0]!.file, `4-${plan[0]!.seed}.png`);
    // After the first redo is recorded, the second keeps its number and seed.
    entries.set(4, entry(4, { redoOf: 1, seed: plan[0]!.seed }));
    const again = redoPlan(entries, review, 4, '{index}-{seed}.png');
    assert.deepEqual(
      again.map((p) => [p.redoOf, p.index, p.seed]),
      [[3, 5, plan[1]!.seed]],
    );
    // A rejected redo is redone in turn.
    const chain = redoPlan(entries, { ...review, marks: { ...review.marks, 4: 'reject' } }, 4, '{index}-{seed}.png');
    assert.deepEqual(
      chain.map((p) => p.redoOf),
      [3, 4],
    );
  });

  it('new seeds stay in 32 bits and differ between images', () => {
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => redoSeed(7, i)));
    assert.equal(seeds.size, 1000);
    for (const s of seeds) assert.ok(s >= 0 && s <= 0xffffffff && Number.isInteger(s));
  });
});
