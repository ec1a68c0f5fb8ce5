/**
 * Kill and resume with a real process: `genready run` is started as a child, killed with SIGKILL
 * as soon as the first image is recorded, and started again; the batch must end complete with
 * every image recorded exactly once and the same bytes as an uninterrupted run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_RECIPE } from '../../src/runner/example.ts';
import { MANIFEST } from '../../src/runner/manifest.ts';
import { runProduction } from '../../src/runner/production.ts';
import { tinyExample } from './_example.ts';

const BIN = fileURLToPath(new URL('../../bin/genready.mjs', import.meta.url));
const recordedIndices = (dir: string) =>
  existsSync(join(dir, MANIFEST))
    ? readFileSync(join(dir, MANIFEST), 'utf8')
        .split('\n')
        .filter((l) => l.endsWith('}'))
        .map((l) => JSON.parse(l).index as number)
    : [];

describe('kill and resume', () => {
  it('a run killed mid-batch completes on restart with no image lost or duplicated, bytes as an uninterrupted run', async () => {
    const ex = await tinyExample();
    // 8 images one at a time: the kill lands with most of the batch still to do.
    const recipe = {
      ...EXAMPLE_RECIPE,
      prompts: ['a photo of a cat', 'a dog'],
      seeds: '1-4',
      batch: 1,
      output: './killed',
    };
    const recipePath = join(ex.dir, 'kill.json');
    writeFileSync(recipePath, JSON.stringify(recipe));
    const out = join(ex.dir, 'killed');

    const child = spawn(process.execPath, [BIN, 'run', recipePath], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
    const deadline = Date.now() + 60_000;
    while (recordedIndices(out).length === 0) {
      if (Date.now() > deadline) throw new Error('the child recorded no image within 60 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const atKill = recordedIndices(out).length;
    assert.ok(atKill < 8, `the kill came too late to test anything (${atKill} of 8 done)`);

    const again = spawnSync(process.execPath, [BIN, 'run', recipePath], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 120_000,
    });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /image\(s\) made, \d+ already there, 8 in the recipe/);

    const indices = recordedIndices(out).sort((a, b) => a - b);
    assert.deepEqual(
      indices,
      Array.from({ length: 8 }, (_, i) => i),
      'every image recorded exactly once',
    );
    assert.ok(!existsSync(join(out, '.genready.lock')), 'the lock is released');
    assert.deepEqual(
      readdirSync(out).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp files left',
    );

    await runProduction(ex.recipe({ ...recipe, output: './reference' }));
    const ref = join(ex.dir, 'reference');
    const files = readdirSync(ref)
      .filter((f) => f.endsWith('.png'))
      .sort();
    assert.equal(files.length, 8);
    assert.deepEqual(
      readdirSync(out)
        .filter((f) => f.endsWith('.png'))
        .sort(),
      files,
    );
    for (const f of files)
      assert.ok(
        readFileSync(join(out, f)).equals(readFileSync(join(ref, f))),
        `${f} differs from the uninterrupted run`,
      );
  });

  it('a second run on the same folder while one is active is refused', async () => {
    const ex = await tinyExample();
    const out = join(ex.dir, 'out');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out, { recursive: true });
    // A live process (this one's parent) holds the lock.
    writeFileSync(join(out, '.genready.lock'), String(process.ppid));
    await assert.rejects(runProduction(ex.recipe()), /another genready run \(pid \d+\) is writing to/);
    // A lock left by a dead process is taken over.
    writeFileSync(join(out, '.genready.lock'), '999999999');
    const s = await runProduction(ex.recipe({ prompts: ['a cat'], seeds: [1] }));
    assert.equal(s.made, 1);
  });
});
