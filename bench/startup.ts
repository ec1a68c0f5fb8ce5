/**
 * Startup cost of the CLI, against bare `node -e 0` in the same run. Targets (issue 14), on a quiet
 * machine: `estimate --json` ≤ 0.45 s and `check --json` ≤ 0.8 s wall. Each command runs from the
 * bundle bin/genready.mjs builds on first use and, for comparison, from the sources through tsx
 * (GENREADY_NO_BUNDLE=1). Cases are interleaved round by round after one warm-up round; all
 * samples are kept; minimum and median wall time and the minimum CPU time (user + system, which a
 * busy machine inflates far less than wall time) are printed with the load average.
 *
 *   npx tsx bench/startup.ts [ROUNDS]   (default 5)
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/genready.mjs', import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 5);

interface Case {
  name: string;
  args: string[];
  env?: Record<string, string>;
  target?: number;
}

const CASES: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'genready --help', args: [BIN, '--help'] },
  { name: 'estimate --json', args: [BIN, 'estimate', '--model', 'sdxl', '--json'], target: 0.45 },
  { name: 'check --json', args: [BIN, 'check', '--json'], target: 0.8 },
  // Commands that read the device catalog (and, for plan, the cloud prices matched to it).
  {
    name: 'estimate --device --json',
    args: [BIN, 'estimate', '--model', 'sdxl', '--device', 'RTX 4090', '--json'],
  },
  {
    name: 'plan --json',
    args: [BIN, 'plan', '--model', 'sdxl', '--images', '100', '--within', '8h', '--as', 'RTX 3060 12GB', '--json'],
  },
  {
    name: 'estimate --json (tsx)',
    args: [BIN, 'estimate', '--model', 'sdxl', '--json'],
    env: { GENREADY_NO_BUNDLE: '1' },
  },
  { name: 'check --json (tsx)', args: [BIN, 'check', '--json'], env: { GENREADY_NO_BUNDLE: '1' } },
];

/** One run: wall seconds and the CPU seconds (user + system) of the command. */
function once(c: Case): { wall: number; cpu: number } {
  const t0 = performance.now();
  // `bash -c 'cmd; times'` prints the children's user and system time on its last line.
  const cmd = [process.execPath, ...c.args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-c', `${cmd} >/dev/null; times`], {
    env: { ...process.env, ...c.env },
    encoding: 'utf8',
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${c.name} failed: ${r.stderr}`);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  const secs = [...last.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { wall, cpu: (secs[0] ?? Number.NaN) + (secs[1] ?? 0) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const loadBefore = loadavg()[0]!;
for (const c of CASES) once(c); // warm-up: builds the bundle, fills the page cache
const samples = new Map(CASES.map((c) => [c.name, [] as { wall: number; cpu: number }[]]));
for (let r = 0; r < ROUNDS; r++) for (const c of CASES) samples.get(c.name)!.push(once(c));
const loadAfter = loadavg()[0]!;

const base = Math.min(...samples.get('node -e 0')!.map((s) => s.wall));
console.log(
  `node ${process.version}, ${availableParallelism()} CPUs, load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}, ${ROUNDS} rounds`,
);
console.log('case                          wall min  wall median  cpu min  min − node  target');
for (const c of CASES) {
  const s = samples.get(c.name)!;
  const wall = s.map((x) => x.wall);
  const min = Math.min(...wall);
  const verdict =
    c.target === undefined ? '' : `${c.target} s: ${min <= c.target ? 'met' : `×${(min / c.target).toFixed(2)}`}`;
  console.log(
    `${c.name.padEnd(29)} ${min.toFixed(3).padStart(8)}  ${median(wall).toFixed(3).padStart(11)}  ${Math.min(
      ...s.map((x) => x.cpu),
    )
      .toFixed(2)
      .padStart(7)}  ${(min - base).toFixed(3).padStart(10)}  ${verdict}`,
  );
}
if (loadBefore > availableParallelism() * 0.5)
  console.log('(the machine was busy: wall times are inflated; the CPU column is the steadier figure)');
