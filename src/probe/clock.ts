/**
 * The clock an x86-64 core runs at under load, measured rather than read: virtual machines and many
 * laptops report no frequency at all (systeminformation's speed is 0 in a KVM guest), and a brand
 * string's "@ 2.60GHz" is the base clock, not the turbo clock a busy core holds. A CPU's peak FLOPs
 * scale with that clock: a "2-core Xeon with AVX-512" that reports none was taken for 3 GHz, and
 * the one this was built on runs at 4.1 GHz.
 *
 * How: a chain of dependent 32-bit integer multiplies. Each multiply waits for the one before, and
 * every x86-64 core in use (Intel since Nehalem, AMD since Zen) takes 3 cycles for IMUL r32,r32
 * (uops.info latency tables; Agner Fog's instruction tables), whatever its width or vector units.
 * The loop's counter and branch run beside the chain on other ports, so the chain's rate is the
 * clock / 3. V8 compiles `Math.imul` to that one instruction; the multiplier is an argument, so no
 * shift-and-add rewrite of a constant applies. The fastest of 200 short runs is kept: an
 * interruption only ever makes a run slower.
 *
 * A shared host moves its cores' clock with its other tenants' load: on the 2-core Xeon this was
 * built on, fifteen processes in a row read 3.99–4.19 GHz, and the compute they timed moved with it.
 * So one command's estimate can differ from the next by that much; `GENREADY_CPU_GHZ` pins the
 * clock for runs that must agree (or for a CPU whose clock the chain cannot read).
 */
import { sourced } from './_shared.ts';
import type { Sourced } from './types.ts';

/** Cycles of one IMUL r32,r32 on x86-64 cores (Intel Nehalem and later, AMD Zen 1–5). */
const IMUL_LATENCY_CYCLES = 3;
const MULTIPLIES_PER_RUN = 400_000;
const RUNS = 200;
/** Outside this range the reading is not a clock (an emulator, a stopped VM, a broken timer). */
const PLAUSIBLE_GHZ = [0.8, 6.5] as const;

let _chainResult = 0;

function multiplyChain(n: number, seed: number, multiplier: number): number {
  let x = seed;
  for (let i = 0; i < n; i++) x = Math.imul(x, multiplier);
  return x;
}

/**
 * GHz of the core this runs on, from the dependent-multiply chain; null off x86-64 (Arm cores'
 * multiply latency differs by design) or when the reading is implausible. About 70 ms.
 */
export function measureCoreClockGHz(arch: string = process.arch): number | null {
  if (arch !== 'x64') return null;
  let fastest = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    sink ^= multiplyChain(MULTIPLIES_PER_RUN, r | 1, (0x2545f491 + 2 * r) | 1);
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  // Kept where the compiler cannot see it unused, so the chain is not dropped as dead code.
  _chainResult = sink;
  const ghz = (IMUL_LATENCY_CYCLES * MULTIPLIES_PER_RUN) / fastest / 1e9;
  return ghz >= PLAUSIBLE_GHZ[0] && ghz <= PLAUSIBLE_GHZ[1] ? Math.round(ghz * 100) / 100 : null;
}

/** The variable that pins the CPU clock, in GHz, instead of timing it. */
export const CLOCK_ENV = 'GENREADY_CPU_GHZ';
/** A pinned clock outside this range is a typo, not a CPU. */
export const PINNABLE_GHZ = [0.5, 7] as const;

/** The clock `GENREADY_CPU_GHZ` pins: its GHz, 'invalid' when it holds anything else, null when unset. */
export function pinnedClockGHz(env: Readonly<Record<string, string | undefined>>): number | 'invalid' | null {
  const raw = env[CLOCK_ENV]?.trim();
  if (raw === undefined || raw === '') return null;
  const ghz = Number(raw);
  return Number.isFinite(ghz) && ghz >= PINNABLE_GHZ[0] && ghz <= PINNABLE_GHZ[1] ? ghz : 'invalid';
}

let measured: number | null | undefined;

/**
 * This machine's core clock with where it came from: pinned by `GENREADY_CPU_GHZ`, else measured
 * (once per process: the commands that use it want one figure), else null.
 */
export function thisCoreClock(env: Readonly<Record<string, string | undefined>> = process.env): Sourced<number> | null {
  const pinned = pinnedClockGHz(env);
  if (typeof pinned === 'number') return sourced(pinned, CLOCK_ENV, 'assumed');
  if (measured === undefined) measured = measureCoreClockGHz();
  return measured === null ? null : sourced(measured, 'dependent-multiply chain (src/probe/clock.ts)', 'measured');
}

/** A clock for a person, with where it came from: "4.09 GHz measured", "4.1 GHz from GENREADY_CPU_GHZ". */
export function clockLabel(clock: Sourced<number>): string {
  const how = clock.from.source === CLOCK_ENV ? `from ${CLOCK_ENV}` : clock.from.confidence;
  return `${clock.value} GHz ${how}`;
}
