/**
 * Issue 20, runner part: hostile and careless input gives one clear line (exit 1), never a hang, a
 * crash, "internal error" or lost data. One test per finding, named for it.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fakeBackend } from '../../src/runner/backends/fake.ts';
import { RunnerError } from '../../src/runner/errors.ts';
import { MANIFEST, ManifestWriter } from '../../src/runner/manifest.ts';
import { encodePng, readPngText } from '../../src/runner/png.ts';
import { runProduction } from '../../src/runner/production.ts';
import { loadRecipe, recipeFrom } from '../../src/runner/recipe.ts';
import { acquireRunLock, LOCK_FILE, processStart } from '../../src/runner/stores/_lock.ts';
import { FsRunStore } from '../../src/runner/stores/fs.ts';
import { verifyImage } from '../../src/runner/verify.ts';
import { tinyExample } from './_example.ts';
import { conformanceRecipe } from './_store-recipe.ts';

const BIN = fileURLToPath(new URL('../../bin/genready.mjs', import.meta.url));
const tmp = (tag: string) => mkdtempSync(join(tmpdir(), `genready-${tag}-`));
const linux = process.platform === 'linux';

/** The real CLI in a child process, with a time limit: a hang fails the test instead of stalling it. */
function cli(args: string[], timeout = 60_000) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLine(r: ReturnType<typeof cli>, re: RegExp) {
  assert.equal(r.signal, null, `killed by ${r.signal} (a hang?)`);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, re);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error/);
}

const isLocked = (e: unknown) => e instanceof RunnerError && e.code === 'run-locked';

describe('lock (issue 20: data integrity)', () => {
  it('lock: a lock naming a zombie process (killed, not yet reaped) does not block the resume', {
    skip: !linux,
  }, async () => {
    // `exec sleep` replaces the shell, so the backgrounded node is the child of a process that never reaps it.
    const sh = spawn('sh', ['-c', `"${process.execPath}" -e "setInterval(() => {}, 1000)" & echo $!; exec sleep 30`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [line] = (await once(sh.stdout, 'data')) as [Buffer];
    const pid = Number(String(line).trim());
    const start = processStart(pid);
    assert.ok(start, 'the child runs');
    const dir = tmp('zombie');
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ v: 1, host: hostname(), pid, start, since: 'x' }));
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.match(readFileSync(`/proc/${pid}/stat`, 'utf8'), /\) Z /, 'the killed child is a zombie');
    // kill(pid, 0) still succeeds on a zombie: the old check took it for alive.
    assert.doesNotThrow(() => process.kill(pid, 0));
    const lock = await acquireRunLock(dir);
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
    lock.release();
    sh.kill('SIGKILL');
  });

  it('lock: a pid reused by an unrelated process (other start time) does not block the resume', async () => {
    const dir = tmp('reused');
    // Our parent is alive, but it is not the process that wrote this lock: the start time differs.
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ v: 1, host: hostname(), pid: process.ppid, start: 'linux:another-boot:1', since: 'x' }),
    );
    const lock = await acquireRunLock(dir);
    lock.release();
    assert.ok(!existsSync(join(dir, LOCK_FILE)), 'released');
  });

  it('lock: a live owner is refused with a message naming the lock file and the owner', async () => {
    const dir = tmp('live');
    const held = await acquireRunLock(dir);
    try {
      await assert.rejects(
        acquireRunLock(dir),
        (e: unknown) =>
          isLocked(e) &&
          (e as Error).message.includes(join(dir, LOCK_FILE)) &&
          (e as Error).message.includes(`pid ${process.pid}`),
      );
    } finally {
      held.release();
    }
  });

  it('lock: an owner on another host is refused, and the message says which file to delete', async () => {
    const dir = tmp('host');
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ v: 1, host: 'render-node-7', pid: 4242, start: null, since: '2026-01-01T00:00:00Z' }),
    );
    await assert.rejects(
      acquireRunLock(dir),
      (e: unknown) =>
        isLocked(e) &&
        /host render-node-7/.test((e as Error).message) &&
        (e as Error).message.includes(`delete ${join(dir, LOCK_FILE)}`),
    );
  });

  for (const [label, socket, stale] of [
    ['with the Linux socket', true, false],
    ['with the lock file alone (as outside Linux)', false, false],
    ['with the lock file alone, two-plus resumes finding one stale lock', false, true],
  ] as const) {
    it(`lock: taking the lock is atomic ${label}: of 6 processes that start at once, exactly one holds it`, {
      skip: socket && !linux,
    }, async () => {
      const dir = tmp('race');
      if (stale)
        writeFileSync(
          join(dir, LOCK_FILE),
          JSON.stringify({ v: 1, host: hostname(), pid: 999_999_999, start: null, since: 'x' }),
        );
      const script = `
        import { acquireRunLock } from ${JSON.stringify(fileURLToPath(new URL('../../src/runner/stores/_lock.ts', import.meta.url)))};
        try { const l = await acquireRunLock(${JSON.stringify(dir)}, { socket: ${socket} }); console.log('won'); await new Promise((r) => setTimeout(r, 2500)); l.release(); }
        catch (e) { console.log(e.code); }`;
      const file = join(dir, '..', `${dir.split('/').pop()}-race.mts`);
      writeFileSync(file, script);
      const kids = Array.from({ length: 6 }, () =>
        spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'inherit'] }),
      );
      const outs = await Promise.all(
        kids.map(async (k) => {
          let s = '';
          k.stdout.on('data', (b) => {
            s += b;
          });
          await once(k, 'exit');
          return s.trim();
        }),
      );
      assert.equal(outs.filter((o) => o === 'won').length, 1, outs.join(','));
      assert.equal(outs.filter((o) => o === 'run-locked').length, 5, outs.join(','));
    });
  }

  it('lock: a lock temp file left by a process killed while taking the lock is cleared by the next run', async () => {
    const dir = join(tmp('locktemp'), 'out');
    mkdirSync(dir);
    const left = join(dir, `${LOCK_FILE}.999999999.abcd1234.tmp`);
    writeFileSync(left, '{"v":1');
    await runProduction(conformanceRecipe({ prompts: ['a'], seeds: [1] }), {
      backend: fakeBackend(),
      store: new FsRunStore(dir),
    });
    assert.ok(!existsSync(left));
  });

  it('manifest writer refuses a second writer', () => {
    const dir = tmp('writer');
    const a = new ManifestWriter(dir);
    try {
      assert.throws(() => new ManifestWriter(dir), isLocked);
    } finally {
      a.close();
    }
    new ManifestWriter(dir).close();
  });

  it('two runs of one folder at once: one writes, the other is refused; no record is duplicated', async () => {
    const dir = join(tmp('two'), 'out');
    const go = () =>
      runProduction(conformanceRecipe(), { backend: fakeBackend({ delayMs: 5 }), store: new FsRunStore(dir) });
    const r = await Promise.allSettled([go(), go()]);
    assert.equal(r.filter((x) => x.status === 'fulfilled').length, 1);
    assert.ok(r.some((x) => x.status === 'rejected' && isLocked(x.reason)));
    const idx = readFileSync(join(dir, MANIFEST), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).index);
    assert.deepEqual(idx, [0, 1, 2, 3, 4, 5]);
  });
});

describe('hangs and crashes (issue 20)', () => {
  it('run --example /proc/x fails fast with one line (no 100 % CPU spin)', { skip: !linux }, () => {
    const t0 = Date.now();
    assertOneLine(
      cli(['run', '--example', '/proc/x'], 20_000),
      /^genready: cannot use the example folder \/proc\/x: \/proc is on procfs/,
    );
    assert.ok(Date.now() - t0 < 15_000);
  });

  it('an output folder under /proc fails fast with one line', { skip: !linux }, async () => {
    const ex = await tinyExample();
    assertOneLine(
      cli(['run', ex.recipePath, '--output', '/proc/x/out'], 20_000),
      /^genready: cannot use the output folder \/proc\/x\/out: \/proc is on procfs, not a disk\n$/,
    );
  });

  it('seeds: 0, count: 1000000000 and count: 4294967295 are refused at validation', () => {
    const base = { model: 'm', prompt: 'a cat', steps: 4, guidance: 7, sampler: 'euler', size: '64x64' };
    const t0 = Date.now();
    for (const over of [
      { seeds: 0, count: 1_000_000_000 },
      { seeds: 0, count: 4294967295 },
      { seeds: '0-4294967295' },
      { seeds: { start: 0, count: 4294967295 } },
    ])
      assert.throws(
        () => recipeFrom({ ...base, ...over }, '/work/r.json'),
        (e: unknown) => e instanceof RunnerError && e.code === 'bad-recipe' && /1,000,000/.test((e as Error).message),
      );
    assert.throws(
      () => recipeFrom({ ...base, prompt: undefined, prompts: Array(2000).fill('x'), seeds: '1-1000' }, '/work/r.json'),
      /2,000 prompts × 1,000 seeds is more than 1,000,000 images/,
    );
    assert.ok(Date.now() - t0 < 2000, 'refused before any list is built');
  });

  it('size 8192x8192 is refused before allocating when it cannot fit this machine', async () => {
    const ex = await tinyExample();
    const before = process.memoryUsage().rss;
    await assert.rejects(
      runProduction(ex.recipe({ size: '8192x8192', prompts: ['a cat'], seeds: [1], output: './big' })),
      (e: unknown) =>
        e instanceof RunnerError &&
        e.code === 'does-not-fit' &&
        /8192x8192 needs at least .* GB/.test((e as Error).message),
    );
    assert.ok(process.memoryUsage().rss - before < 1e9, 'nothing big was allocated');
    assert.ok(!existsSync(join(ex.dir, 'big')), 'the output folder was not touched');
  });

  it('verify refuses a crafted record (4096², 1000 steps) before generating', async () => {
    const ex = await tinyExample();
    await runProduction(ex.recipe({ prompts: ['a cat'], seeds: [1], steps: 2, output: './v' }));
    const file = join(ex.dir, 'v', '0000-1.png');
    const texts = readPngText(readFileSync(file));
    const rec = JSON.parse(texts.genready!);
    rec.spec = { ...rec.spec, width: 4096, height: 4096, steps: 1000 };
    // Outside its run folder (inside, the manifest already says it is not image 0's file).
    const crafted = join(ex.dir, 'crafted.png');
    writeFileSync(crafted, encodePng(new Uint8Array(32 * 32 * 3), 32, 32, { ...texts, genready: JSON.stringify(rec) }));
    const t0 = Date.now();
    await assert.rejects(
      verifyImage(crafted, { modelDir: ex.modelDir }),
      (e: unknown) => e instanceof RunnerError && e.code === 'does-not-fit',
    );
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('a recipe output outside the recipe folder is refused unless --output is given', async () => {
    const ex = await tinyExample();
    assert.throws(
      () => ex.recipe({ output: '../../etc' }),
      /output: "\.\.\/\.\.\/etc" is outside the recipe's folder; .*--output/,
    );
    assert.throws(() => ex.recipe({ output: '/tmp/elsewhere' }), /is outside the recipe's folder/);
    const path = join(ex.dir, 'escape.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(ex.recipePath, 'utf8')), output: '../x' }));
    const chosen = join(tmp('chosen'), 'out');
    assert.equal(loadRecipe(path, { output: chosen }).outputDir, chosen);
  });
});

describe('expected failures are one line, exit 1 (issue 20)', () => {
  it('output path that is a file, or that sits in a dangling symlink: one line', async () => {
    const ex = await tinyExample();
    const file = join(ex.dir, 'a-file');
    writeFileSync(file, 'x');
    assertOneLine(cli(['run', ex.recipePath, '--output', file]), /is a file, not a folder\n$/);
    assertOneLine(cli(['run', ex.recipePath, '--output', join(file, 'out')]), /is a file, not a folder\n$/);
    const link = join(ex.dir, 'dangling');
    symlinkSync(join(ex.dir, 'nowhere'), link);
    assertOneLine(
      cli(['run', ex.recipePath, '--output', join(link, 'out')]),
      /symbolic link to nothing \(dangling\)\n$/,
    );
  });

  it('a recipe path that is a folder: one line', async () => {
    const ex = await tinyExample();
    assertOneLine(cli(['run', ex.dir]), /^genready: recipe .* is a folder; give the recipe file/);
  });

  it('disk full (ENOSPC) mid-run: one line naming the folder, and every stored image intact', {
    skip: !linux,
  }, async (t) => {
    const mnt = tmp('enospc');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount a small tmpfs here (needs root)');
      return;
    }
    try {
      const out = join(mnt, 'run');
      const recipe = conformanceRecipe({ size: '256x256', prompts: ['a', 'b', 'c', 'd'], seeds: '1-10' });
      await assert.rejects(
        runProduction(recipe, { backend: fakeBackend(), store: new FsRunStore(out) }),
        (e: unknown) =>
          e instanceof RunnerError &&
          e.code === 'disk-full' &&
          (e as Error).message.includes(out) &&
          !(e as Error).message.includes('\n'),
      );
      // What was recorded is whole; a resume elsewhere (with room) would make the rest.
      const lines = existsSync(join(out, MANIFEST))
        ? readFileSync(join(out, MANIFEST), 'utf8').split('\n').filter(Boolean)
        : [];
      for (const l of lines) {
        const e = JSON.parse(l);
        assert.equal(readFileSync(join(out, e.file)).length, e.bytes);
      }
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('a tampered or truncated PNG given to verify: one line, exit 1 (not internal error)', async () => {
    const ex = await tinyExample();
    await runProduction(ex.recipe({ prompts: ['a cat'], seeds: [1, 2], steps: 2, output: './v' }));
    const good = readFileSync(join(ex.dir, 'v', '0000-1.png'));
    const cut = join(ex.dir, 'v', 'cut.png');
    writeFileSync(cut, good.subarray(0, Math.floor(good.length * 0.8)));
    assertOneLine(cli(['verify', cut]), /cut\.png is damaged: its pixels cannot be decoded/);
    const junk = join(ex.dir, 'junk.png');
    writeFileSync(junk, Buffer.concat([good.subarray(0, 40), Buffer.alloc(100, 7)]));
    assertOneLine(cli(['verify', junk]), /^genready: .*junk\.png/);
  });

  it('verify tells tampering (hash differs from the manifest) from rounding, and an image copied over another index does not match', async () => {
    const ex = await tinyExample();
    await runProduction(ex.recipe({ prompts: ['a cat'], seeds: [1, 2], steps: 2, output: './v' }));
    const a = join(ex.dir, 'v', '0000-1.png');
    const b = join(ex.dir, 'v', '0001-2.png');
    // Pixels edited, record kept, written back in place: the manifest's sha256 no longer holds.
    const bytes = readFileSync(a);
    const texts = readPngText(bytes);
    const rgb = new Uint8Array(32 * 32 * 3);
    const { decodePng } = await import('../../src/runner/png.ts');
    const d = decodePng(bytes);
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = d.data[p * 4 + c]!;
    rgb[10] = rgb[10]! ^ 0x01; // a 1/255 change: pixel-wise it looks like rounding
    const original = join(ex.dir, 'original.png');
    copyFileSync(a, original);
    writeFileSync(a, encodePng(rgb, 32, 32, texts));
    const t = await verifyImage(a);
    assert.equal(t.match, false);
    assert.equal(t.manifest, 'changed');
    assert.equal(t.tampered, true);
    assert.match(t.message, /sha256 differs from the run's manifest record/);
    // The original copied over image 1: its record says index 0, which the manifest lists as 0000-1.png.
    copyFileSync(original, b);
    const c = await verifyImage(b);
    assert.equal(c.match, false);
    assert.equal(c.manifest, 'other-file');
    assert.match(
      c.message,
      /not this run's image — its record is image 0, which the run's manifest lists as 0000-1\.png/,
    );
    // Restored, it matches again.
    copyFileSync(original, a);
    const ok = await verifyImage(a);
    assert.equal(ok.match, true);
    assert.equal(ok.manifest, 'match');
    assert.equal(ok.tampered, false);
    mkdirSync(join(ex.dir, 'unused'), { recursive: true });
  });
});
