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
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fakeBackend } from '../../src/runner/backends/fake.ts';
import { RunnerError } from '../../src/runner/errors.ts';
import type { RunStore } from '../../src/runner/ports.ts';
import { runProduction } from '../../src/runner/production.ts';
import { expandImages } from '../../src/runner/recipe.ts';
import { conformanceRecipe } from './_store-recipe.ts';

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
  });
}
