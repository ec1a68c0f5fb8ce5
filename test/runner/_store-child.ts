/**
 * A production run in a child process, for the RunStore conformance suite's crash tests:
 *
 *   node --import tsx _store-child.ts FACTORY_MODULE KEY MODE N
 *
 * FACTORY_MODULE exports `makeStore(key)`. MODE: `step` kills this process with SIGKILL at the
 * N-th denoising step, `image` right after the N-th image is committed, `commit` while the N-th
 * commit is in flight (its promise started, not awaited), `hold` runs slowly (N ms per denoiser
 * call) so another process can find the run locked. Prints `pid PID` first, and `image INDEX` per
 * committed image.
 */
import { pathToFileURL } from 'node:url';
import { fakeBackend } from '../../src/runner/backends/fake.ts';
import type { RunSession, RunStore } from '../../src/runner/ports.ts';
import { runProduction } from '../../src/runner/production.ts';
import { conformanceRecipe } from './_store-recipe.ts';

const [factory, key, mode, nText] = process.argv.slice(2) as [string, string, string, string];
const n = Number(nText);
const { makeStore } = (await import(pathToFileURL(factory).href)) as { makeStore(key: string): RunStore };
const inner = makeStore(key);
const die = () => process.kill(process.pid, 'SIGKILL');

let commits = 0;
const store: RunStore =
  mode === 'commit'
    ? {
        kind: inner.kind,
        location: inner.location,
        async open() {
          const s = await inner.open();
          const session: RunSession = {
            readRun: () => s.readRun(),
            writeRun: (i) => s.writeRun(i),
            readManifest: () => s.readManifest(),
            done: () => s.done(),
            claim: (c, m) => s.claim(c, m),
            readReview: () => s.readReview(),
            close: () => s.close(),
            commit: (...args) => {
              const p = s.commit(...args);
              if (++commits === n) die();
              return p;
            },
          };
          return session;
        },
      }
    : inner;

process.stdout.write(`pid ${process.pid}\n`);
let steps = 0;
let images = 0;
await runProduction(conformanceRecipe(), {
  backend: fakeBackend({ delayMs: mode === 'hold' ? n : 2 }),
  store,
  events: {
    onStep() {
      if (mode === 'step' && ++steps === n) die();
    },
    onImage(e) {
      process.stdout.write(`image ${e.index}\n`);
      if (mode === 'image' && ++images === n) die();
    },
  },
});
