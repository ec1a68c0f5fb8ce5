/**
 * Fault-suite fixtures: the tiny example model, a reference single-machine run of the recipe, and
 * real `genready worker` / `genready run --queue` processes whose JSON events the tests read.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_RECIPE, writeExample } from '../../src/runner/example.ts';
import { runProduction } from '../../src/runner/production.ts';
import { recipeFrom } from '../../src/runner/recipe.ts';

const BIN = fileURLToPath(new URL('../../bin/genready.mjs', import.meta.url));

/** 12 images (2 prompts × 6 seeds), 32×32, 6 steps: small enough for a suite of ten faults on 2 cores. */
export const SUITE_RECIPE = { ...EXAMPLE_RECIPE, seeds: '1-6', steps: 6 };

export interface Fixture {
  dir: string;
  reference: string;
  total: number;
  /** A recipe file writing into `out-NAME`. */
  recipe(name: string, over?: Record<string, unknown>): { path: string; out: string };
}

export async function fixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'genready-queue-'));
  await writeExample(join(dir, 'ex'));
  const base = join(dir, 'ex', 'recipe.json');
  const ref = recipeFrom({ ...SUITE_RECIPE, output: './reference' }, base);
  const s = await runProduction(ref, { threads: 1 });
  return {
    dir,
    reference: ref.outputDir,
    total: s.total,
    recipe(name, over = {}) {
      const path = join(dir, 'ex', `recipe-${name}.json`);
      writeFileSync(path, JSON.stringify({ ...SUITE_RECIPE, output: `./out-${name}`, ...over }));
      return { path, out: join(dir, 'ex', `out-${name}`) };
    },
  };
}

export interface Ev {
  t: number;
  event: string;
  [k: string]: unknown;
}

export class Proc {
  readonly child: ChildProcess;
  readonly events: Ev[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  private waiters: (() => void)[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('{"t":')) this.events.push(JSON.parse(line) as Ev);
        nl = buf.indexOf('\n');
      }
      for (const w of this.waiters) w();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        resolve({ code, signal, at: Date.now() });
        for (const w of this.waiters) w();
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Wait until `pred` holds on the events seen so far. */
  async until(pred: (evs: Ev[]) => boolean, ms = 60_000, what = 'condition'): Promise<void> {
    const t0 = Date.now();
    while (!pred(this.events)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`process ended before ${what}: ${this.stderr.slice(-500)}`);
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; stderr: ${this.stderr.slice(-500)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
      this.waiters = [];
    }
  }

  kill(sig: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(sig);
  }
}

export const LOCK_SECONDS = 2;

export function worker(url: string, id: string, env: NodeJS.ProcessEnv = {}, extra: string[] = []): Proc {
  return new Proc(
    [
      'worker',
      '--queue',
      url,
      '--json',
      '--id',
      id,
      '--threads',
      '1',
      '--lock-seconds',
      String(LOCK_SECONDS),
      ...extra,
    ],
    env,
  );
}

export function coordinator(url: string, recipe: string, extra: string[] = []): Proc {
  return new Proc(['run', recipe, '--queue', url, '--chunk', '2', '--json', ...extra], {
    GENREADY_QUEUE_REQUEUE_SECONDS: '1',
  });
}

export interface Figures {
  scenario: string;
  deliveries: number;
  redeliveries: number;
  extraGenerations: number;
  lost: number;
  conflicts: number;
  recoverySeconds: number;
  seconds: number;
}

/** Figures from the workers' events and the output folder, compared with the reference run. */
export function figures(
  scenario: string,
  fx: Fixture,
  out: string,
  workers: Proc[],
  opts: { faultAt?: number; startedAt: number; exclude?: number[] },
): Figures & { differing: string[]; missing: string[] } {
  const evs = workers.flatMap((w) => w.events);
  const starts = evs.filter((e) => e.event === 'start');
  const images = evs.filter((e) => e.event === 'image' && e.outcome !== 'failed');
  const written = images.filter((e) => e.outcome === 'written');
  const firstAfter = opts.faultAt !== undefined ? written.filter((e) => e.t >= opts.faultAt!).map((e) => e.t) : [];
  const conflictDir = join(out, '.genready-queue', 'conflicts');
  const conflicts = existsSync(conflictDir) ? readdirSync(conflictDir).length : 0;
  const missing: string[] = [];
  const differing: string[] = [];
  const manifest = readFileSync(join(fx.reference, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { index: number; file: string });
  for (const e of manifest) {
    if (opts.exclude?.includes(e.index)) continue;
    const p = join(out, e.file);
    if (!existsSync(p)) missing.push(e.file);
    else if (!readFileSync(p).equals(readFileSync(join(fx.reference, e.file)))) differing.push(e.file);
  }
  return {
    scenario,
    deliveries: starts.length,
    redeliveries: starts.length - new Set(starts.map((e) => e.job)).size,
    extraGenerations: images.length - written.length,
    lost: missing.length,
    conflicts,
    recoverySeconds: firstAfter.length ? Math.round((Math.min(...firstAfter) - opts.faultAt!) / 100) / 10 : 0,
    seconds: Math.round((Date.now() - opts.startedAt) / 100) / 10,
    differing,
    missing,
  };
}

/** Manifest lines of a run folder: every index once. */
export function manifestIndices(out: string): number[] {
  return readFileSync(join(out, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { index: number }).index);
}
