/**
 * Holds `genready serve --api` under load on loopback and prints its resident memory over time, so a
 * leak (a cache keyed by request, a listener per connection) shows as growth after the warm-up.
 *
 *   npx tsx bench/server-load.ts [--seconds 10] [--connections 20] [--requests 20000]
 *
 * Bounded in time and count, loopback only (127.0.0.1, a port the OS picks). The mix: the cheap GETs
 * a dashboard makes, estimates with varied bodies (every body different, to catch per-input caches),
 * and hostile requests (bad JSON, wrong type, unknown path, a foreign Host) that must be 4xx.
 * Prints requests/s, the status counts, and RSS after warm-up, at each eighth of the run, and the growth (Linux /proc; `ps` elsewhere).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}
const SECONDS = Math.min(flag('seconds', 10), 120);
const CONNECTIONS = Math.min(flag('connections', 20), 200);
const MAX_REQUESTS = Math.min(flag('requests', 20_000), 1_000_000);

function rssMiB(pid: number): number {
  const status = `/proc/${pid}/status`;
  if (existsSync(status)) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(status, 'utf8'));
    if (m) return Number(m[1]) / 1024;
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024;
}

const MODELS = ['sd15', 'sdxl', 'flux-dev', 'sd35-medium'];
let n = 0;
/** The i-th request of the mix. */
function nth(i: number): { method: string; path: string; body?: string; type?: string; host?: string } {
  switch (i % 10) {
    case 0:
      return { method: 'GET', path: '/api/models' };
    case 1:
      return { method: 'GET', path: '/api/devices' };
    case 2:
      return { method: 'GET', path: `/api/devices?match=RTX%20${3000 + (i % 97)}` };
    case 3:
    case 4:
    case 5:
      return {
        method: 'POST',
        path: '/api/estimate',
        type: 'application/json',
        body: JSON.stringify({
          model: MODELS[i % MODELS.length],
          width: 512 + 8 * (i % 97),
          height: 512,
          batch: 1 + (i % 4),
        }),
      };
    case 6:
      return {
        method: 'POST',
        path: '/api/estimate',
        type: 'application/json',
        body: `{"model": "sdxl", ${'x'.repeat(i % 500)}`,
      };
    case 7:
      return { method: 'POST', path: '/api/estimate', type: 'text/plain', body: '{"model":"sdxl"}' };
    case 8:
      return { method: 'GET', path: `/api/nothing/${i}` };
    default:
      return { method: 'GET', path: '/api/models', host: `rebind-${i}.example` };
  }
}

async function main() {
  const child = spawn(process.execPath, ['bin/genready.mjs', 'serve', '--api', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(new URL(m[1]!));
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  const pid = child.pid!;
  const statuses = new Map<number, number>();
  const send = (i: number) =>
    new Promise<void>((resolve) => {
      const r = nth(i);
      const req = request(
        {
          host: '127.0.0.1',
          port: url.port,
          method: r.method,
          path: r.path,
          headers: { Host: r.host ?? url.host, ...(r.type ? { 'Content-Type': r.type } : {}) },
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
            resolve();
          });
        },
      );
      req.on('error', () => {
        statuses.set(-1, (statuses.get(-1) ?? 0) + 1);
        resolve();
      });
      req.end(r.body);
    });
  const phase = async (seconds: number, max: number) => {
    const until = performance.now() + seconds * 1000;
    const start = n;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < until && n - start < max) await send(n++);
      }),
    );
    return n - start;
  };
  try {
    // Warm-up: the catalog loads, the JIT settles; growth is measured from here.
    await phase(Math.min(2, SECONDS / 4), MAX_REQUESTS / 10);
    const base = rssMiB(pid);
    const samples: string[] = [];
    const t0 = performance.now();
    let done = 0;
    // Eight samples: a leak keeps climbing; a heap growing to its working size flattens out.
    for (let q = 1; q <= 8; q++) {
      done += await phase(SECONDS / 8, MAX_REQUESTS / 8);
      samples.push(`${rssMiB(pid).toFixed(1)}`);
    }
    const secs = (performance.now() - t0) / 1000;
    const end = rssMiB(pid);
    const fivexx = [...statuses].filter(([s]) => s >= 500 || s < 0).reduce((a, [, c]) => a + c, 0);
    console.log(
      `server-load: ${done} requests in ${secs.toFixed(1)} s over ${CONNECTIONS} connections = ${(done / secs).toFixed(0)} req/s`,
    );
    console.log(
      `statuses: ${[...statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, c]) => `${s}×${c}`)
        .join(' ')}  (5xx or failed: ${fivexx})`,
    );
    console.log(
      `RSS MiB after warm-up ${base.toFixed(1)}; each eighth ${samples.join(' → ')}; growth ${(end - base).toFixed(1)} MiB (${(((end - base) / base) * 100).toFixed(1)} %)`,
    );
    if (fivexx > 0) process.exitCode = 1;
  } finally {
    child.kill('SIGINT');
  }
}

await main();
