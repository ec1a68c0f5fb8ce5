/**
 * The conformance suite every RunStore passes (src/runner/ports.ts states the contract). Call
 * `storeConformance(name, harness)` from a test file with a harness for the store under test; the
 * filesystem store's is test/runner/store-fs.test.ts. Runs use the fake backend (deterministic, no
 * model files), so the suite tests the store and the loop, not onnxruntime.
 *
 * Checked: a run stores every image once with the same bytes as a run elsewhere; a resume makes
 * nothing; a process killed (SIGKILL) mid-generation, right after an image, or with a commit in
 * flight, then resumed, ends byte-identical to an uninterrupted run with one record per index; an
 * image bit-flipped at the same size, truncated or deleted is not "done" and is made again without a
 * second record; two runs of one key at once: exactly one writes, the other is refused 'run-locked';
 * a run whose writer was killed is resumed at once.
 *
 * Stores with a shared side (`openShared`, for the queue's many makers) also pass: an image is
 * written once, offered again with the same bytes it is 'same', with other bytes a 'conflict' that
 * keeps the first bytes; the first record of an index stays; a record without its image is not
 * listed; the lock holder adopts records once each; two maker processes at once on the same images
 * get exactly one 'written' per image and never a torn or replaced file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fakeBackend } from '../../src/runner/backends/fake.ts';
import { RunnerError } from '../../src/runner/errors.ts';
import type { RunStore } from '../../src/runner/ports.ts';
import { runProduction } from '../../src/runner/production.ts';
import { expandImages } from '../../src/runner/recipe.ts';
import { manifestEntry } from './_manifest-entry.ts';
import { conformanceRecipe } from './_store-recipe.ts';
import { bytesOf } from './store-conformance-data.ts';

export interface StoreHarness {
  /** The store of run `key`; the same key is the same run (a resume), another key a new run. */
  make(key: string): RunStore;
  /** Absolute path of a module exporting `makeStore(key): RunStore`, for child processes. */
  childModule: string;
  /** The stored bytes of an image by file name, or null when there are none. */
  image(key: string, file: string): Promise<Buffer | null>;
  /** Damage a stored image: one bit flipped at the same size, cut in half, or removed. */
  damage(key: string, file: string, how: 'flip' | 'truncate' | 'delete'): Promise<void>;
  /** The index of every record line as stored, in order (to count lines per index). */
  recordIndices(key: string): Promise<number[]>;
  /** Environment for child processes (where the store lives). */
  env?: Record<string, string>;
}

const CHILD = fileURLToPath(new URL('./_store-child.ts', import.meta.url));
const WRITER = fileURLToPath(new URL('./store-conformance-writer.ts', import.meta.url));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const FILES = expandImages(conformanceRecipe()).map((i) => i.file);

let counter = 0;
const fresh = (tag: string) => `${tag}-${process.pid}-${Date.now()}-${counter++}`;

function run(h: StoreHarness, key: string, delayMs = 0) {
  return runProduction(conformanceRecipe(), { backend: fakeBackend({ delayMs }), store: h.make(key) });
}

/** Start the child; resolves when it has exited (killed or done), with its stdout lines. */
async function child(h: StoreHarness, key: string, mode: string, n: number) {
  const p = spawn(process.execPath, ['--import', 'tsx', CHILD, h.childModule, key, mode, String(n)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...h.env },
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (b) => {
    out += b;
  });
  p.stderr.on('data', (b) => {
    err += b;
  });
  const [code, signal] = (await once(p, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal, lines: out.split('\n').filter(Boolean), err };
}

async function assertComplete(h: StoreHarness, key: string, reference: string) {
  for (const f of FILES) {
    const a = await h.image(key, f);
    const b = await h.image(reference, f);
    assert.ok(a && b && a.equals(b), `${f} is not byte-identical to the uninterrupted run`);
  }
  const idx = await h.recordIndices(key);
  assert.deepEqual(
    [...idx].sort((x, y) => x - y),
    FILES.map((_, i) => i),
    'one record per image',
  );
}

export function storeConformance(name: string, h: StoreHarness): void {
  describe(`RunStore conformance: ${name}`, () => {
    const reference = fresh('reference');

    it('a run stores every image once; a second run of the same key makes nothing', async () => {
      const s = await run(h, reference);
      assert.equal(s.made, FILES.length);
      const again = await run(h, reference);
      assert.equal(again.made, 0);
      assert.equal(again.skipped, FILES.length);
      const other = fresh('other');
      await run(h, other);
      await assertComplete(h, other, reference);
    });

    for (const [mode, n] of [
      ['step', 4],
      ['image', 1],
      ['image', 4],
      ['commit', 2],
      ['commit', 5],
    ] as const) {
      it(`a run killed (SIGKILL) ${mode === 'step' ? `at denoising step ${n}` : mode === 'image' ? `after image ${n}` : `with commit ${n} in flight`} resumes byte-identical, one record per index`, async () => {
        const key = fresh(`kill-${mode}-${n}`);
        const c = await child(h, key, mode, n);
        assert.equal(c.signal, 'SIGKILL', `the child was not killed: ${c.err}`);
        const s = await run(h, key);
        assert.ok(s.made >= FILES.length - n && s.made <= FILES.length, `made ${s.made}`);
        await assertComplete(h, key, reference);
      });
    }

    for (const how of ['flip', 'truncate', 'delete'] as const) {
      it(`an image ${how === 'flip' ? 'bit-flipped at the same size' : how === 'truncate' ? 'truncated' : 'deleted'} is not done: made again, no second record`, async () => {
        const key = fresh(`damage-${how}`);
        await run(h, key);
        await h.damage(key, FILES[2]!, how);
        const s = await run(h, key);
        assert.equal(s.made, 1, 'exactly the damaged image is made again');
        await assertComplete(h, key, reference);
      });
    }

    it('two runs of one key at once: one writes, the other is refused (run-locked)', async () => {
      const key = fresh('race');
      const results = await Promise.allSettled([run(h, key, 5), run(h, key, 5)]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter(
        (r) => r.status === 'rejected' && r.reason instanceof RunnerError && r.reason.code === 'run-locked',
      );
      assert.equal(ok.length, 1, JSON.stringify(results.map((r) => r.status)));
      assert.equal(refused.length, 1);
      await assertComplete(h, key, reference);
    });

    it('a run held by another live process is refused; once that process is killed, the resume goes ahead at once', async () => {
      const key = fresh('held');
      const holder = spawn(process.execPath, ['--import', 'tsx', CHILD, h.childModule, key, 'hold', '400'], {
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, ...h.env },
      });
      const exited = once(holder, 'exit');
      // Wait for its first image: it holds the run then.
      await new Promise<void>((res, rej) => {
        let out = '';
        holder.stdout.on('data', (b) => {
          out += b;
          if (/image \d+/.test(out)) res();
        });
        holder.on('exit', () => rej(new Error('the holder ended before its first image')));
      });
      await assert.rejects(run(h, key), (e: unknown) => e instanceof RunnerError && e.code === 'run-locked');
      holder.kill('SIGKILL');
      await exited;
      const s = await run(h, key);
      assert.ok(s.made > 0);
      await assertComplete(h, key, reference);
    });

    if (!h.make('probe').openShared) return;

    describe('shared makers (openShared)', () => {
      const entryFor = (index: number, png: Buffer) => ({
        ...manifestEntry(index),
        sha256: sha(png),
        bytes: png.length,
      });

      it("putImage: written once; the same bytes again are 'same'; other bytes a 'conflict' that keeps the first", async () => {
        const key = fresh('shared-put');
        const s = h.make(key).openShared!();
        const a = Buffer.from('first bytes of an image');
        assert.deepEqual(await s.putImage('0.png', a), { kind: 'written', sha256: sha(a) });
        assert.deepEqual(await s.putImage('0.png', Buffer.from(a)), { kind: 'same', sha256: sha(a) });
        const b = Buffer.from('other bytes, same index');
        assert.deepEqual(await s.putImage('0.png', b), { kind: 'conflict', sha256: sha(b), stored: sha(a) });
        assert.deepEqual(await h.image(key, '0.png'), a, 'the first bytes stay');
        await s.reportConflict({ index: 0, file: '0.png', stored: sha(a), offered: sha(b), worker: 'w/2', at: 'now' });
        assert.deepEqual(
          (await s.listConflicts()).map((c) => [c.index, c.offered, c.worker]),
          [[0, sha(b), 'w/2']],
        );
      });

      it('putRecord keeps the first record of an index; listRecords lists only records whose image is in place', async () => {
        const key = fresh('shared-record');
        const s = h.make(key).openShared!();
        const png = Buffer.from('image zero');
        await s.putImage('0.png', png);
        assert.equal(await s.putRecord({ ...entryFor(0, png), seconds: 1 } as never), true);
        assert.equal(await s.putRecord({ ...entryFor(0, png), seconds: 2 } as never), false);
        // A record whose image was never stored, and one whose image has another size: not listed.
        await s.putRecord(entryFor(1, Buffer.from('never stored')) as never);
        await s.putImage('2.png', Buffer.from('short'));
        await s.putRecord(entryFor(2, Buffer.from('longer than stored')) as never);
        const all = await s.listRecords();
        assert.deepEqual([...all.keys()], [0]);
        assert.equal(all.get(0)!.seconds, 1, 'the first record stays');
        assert.deepEqual([...(await s.listRecords({ only: [0, 1] })).keys()], [0]);
        assert.deepEqual([...(await s.listRecords({ except: new Set([0]) })).keys()], []);
      });

      it('the lock holder adopts shared records once each, while makers go on without the lock', async () => {
        const key = fresh('shared-adopt');
        const store = h.make(key);
        const session = await store.open();
        try {
          assert.ok(session.adopt, 'a store with a shared side adopts records');
          const s = store.openShared!();
          const png = Buffer.from('made elsewhere');
          assert.equal((await s.putImage('0.png', png)).kind, 'written', 'no lock is needed to make');
          await s.putRecord(entryFor(0, png) as never);
          const [rec] = (await s.listRecords()).values();
          assert.equal((await session.adopt(rec!))?.sha256, sha(png));
          assert.equal((await session.adopt(rec!))?.sha256, sha(png));
          assert.equal(await session.adopt(entryFor(1, Buffer.from('not there')) as never), null);
          assert.deepEqual([...(await session.done()).keys()], [0]);
        } finally {
          await session.close();
        }
        assert.deepEqual(await h.recordIndices(key), [0], 'one manifest record for the adopted image');
      });

      it("two maker processes at once on the same images: exactly one 'written' each, never a torn or replaced file", async () => {
        const key = fresh('shared-race');
        const n = 40;
        const makers = ['a', 'b'].map((tag) => {
          const p = spawn(process.execPath, ['--import', 'tsx', WRITER, h.childModule, key, tag, String(n)], {
            stdio: ['pipe', 'pipe', 'pipe'],
            env: { ...process.env, ...h.env },
          });
          let out = '';
          let err = '';
          p.stdout.on('data', (b) => {
            out += b;
          });
          p.stderr.on('data', (b) => {
            err += b;
          });
          const ready = new Promise<void>((res, rej) => {
            p.stdout.on('data', () => {
              if (out.startsWith('ready\n')) res();
            });
            p.once('exit', () => rej(new Error(`maker ${tag} ended early: ${err}`)));
          });
          const exited = once(p, 'exit') as Promise<[number | null]>;
          return { tag, p, ready, exited, lines: () => out, err: () => err };
        });
        await Promise.all(makers.map((m) => m.ready));
        for (const m of makers) m.p.stdin!.end('go\n');
        for (const m of makers) assert.equal((await m.exited)[0], 0, m.err());
        const outcomes = makers.map((m) =>
          m
            .lines()
            .split('\n')
            .slice(1)
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { index: number; kind: string; sha256: string }),
        );
        const records = await h.make(key).openShared!().listRecords();
        for (let i = 0; i < n; i++) {
          const kinds = outcomes.map((o) => o.find((x) => x.index === i)!.kind).sort();
          assert.deepEqual(kinds, i % 2 === 0 ? ['same', 'written'] : ['conflict', 'written'], `image ${i}`);
          const winner = makers[outcomes.findIndex((o) => o.find((x) => x.index === i)!.kind === 'written')]!;
          const stored = await h.image(key, `${i}.png`);
          assert.ok(stored?.equals(bytesOf(i, winner.tag)), `image ${i} holds the winner's whole bytes`);
          assert.equal(records.get(i)?.sha256, sha(stored!), `record ${i} names the stored bytes`);
        }
        assert.equal(records.size, n);
      });
    });
  });
}
