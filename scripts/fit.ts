/**
 * Fits the cost model's few constants (src/cost/constants.ts) on the TRAINING split of
 * data/eval/published.jsonl by coordinate descent on the median-and-p90 of |predicted − measured| / measured,
 * round after round until a round moves no constant.
 * The held-out quarter (isHoldout) is never read here. Prints the fitted values; a person copies
 * them into constants.ts with the date, so every constant's provenance is this script + that data.
 *
 *   npx tsx scripts/fit.ts
 *   FIT_ONLY=efficiency.vector,efficiency.pseudoHalf npx tsx scripts/fit.ts
 */
import { MODEL_CONSTANTS, type ModelConstants } from '../src/cost/constants.ts';
import { isHoldout, isMemoryField, loadMeasuredRows } from '../src/validate/rows.ts';
import { quantile } from '../src/validate/stats.ts';
import { predictRow } from '../src/validate/validate.ts';

const train = loadMeasuredRows().filter((r) => !isHoldout(r.id));
const speedRows = train.filter((r) => !isMemoryField(r.compare));
const memRows = train.filter((r) => isMemoryField(r.compare));

type Path = {
  get: (k: ModelConstants) => number;
  set: (k: ModelConstants, v: number) => ModelConstants;
  name: string;
  memory: boolean;
  lo: number;
  hi: number;
  /** Fitted on this vendor's training rows only: the constant moves no other row (backendScale.rocm, .metal). */
  vendor?: string;
};

type Group = 'efficiency' | 'sustainedClock' | 'backendScale' | 'stack';

/** A constant inside one of the grouped records of ModelConstants (efficiency.linear, backendScale.rocm, …). */
function nested<G extends Group>(group: G, key: keyof ModelConstants[G] & string, lo: number, hi: number): Path {
  const read = (k: ModelConstants) => k[group] as Record<string, number>;
  return {
    name: `${group}.${key}`,
    memory: false,
    lo,
    hi,
    get: (k) => read(k)[key]!,
    set: (k, v) => ({ ...k, [group]: { ...read(k), [key]: v } }),
  };
}
const eff = (key: keyof ModelConstants['efficiency']) => nested('efficiency', key, 0.05, 1);
const clock = (key: keyof ModelConstants['sustainedClock']) => nested('sustainedClock', key, 0.4, 1.3);
const backend = (key: 'rocm' | 'metal', vendor: string): Path => ({
  ...nested('backendScale', key, 0.1, 1.5),
  vendor,
});
const stack = (key: keyof ModelConstants['stack']) => nested('stack', key, 0.05, 1.5);
const top = (
  key:
    | 'int4GemmEfficiency'
    | 'launchSeconds'
    | 'serverLaunchFactor'
    | 'stepOverheadSeconds'
    | 'callOverheadSeconds'
    | 'scriptCallOverheadSeconds'
    | 'hostLinkEfficiency'
    | 'pageableCopyBytesPerSecond'
    | 'quantizedMoveShare'
    | 'reservedFixedBytes'
    | 'contextBytes',
  memory: boolean,
  lo: number,
  hi: number,
): Path => ({
  name: key,
  memory,
  lo,
  hi,
  get: (k) => k[key],
  set: (k, v) => ({ ...k, [key]: v }),
});

const paths: Path[] = [
  eff('linear'),
  // conv is measured, not fitted: our H100/H200 VAE decodes (data/eval/own-gpu), conv-dominated, put it at 0.6.
  eff('attention'),
  eff('bandwidth'),
  eff('vector'),
  eff('pseudoHalf'),
  top('launchSeconds', false, 2e-6, 60e-6),
  top('serverLaunchFactor', false, 1, 3),
  clock('desktop'),
  clock('laptop'),
  clock('datacenter'),
  clock('slotPowered'),
  top('stepOverheadSeconds', false, 0, 0.05),
  top('callOverheadSeconds', false, 0, 0.5),
  top('scriptCallOverheadSeconds', false, 0, 0.5),
  top('hostLinkEfficiency', false, 0.03, 1),
  top('pageableCopyBytesPerSecond', false, 2e9, 1e12),
  top('quantizedMoveShare', false, 0.1, 1),
  // rocm and metal: several rows each since the 2026-12 additions; Arc (oneapi, directml) rows are too few.
  backend('rocm', 'AMD'),
  backend('metal', 'Apple'),
  stack('rocmUntuned'),
  stack('mpsBeforeTorch2'),
  top('int4GemmEfficiency', false, 0.01, 1),
  // reservedActivationFactor is measured (own H100 pipelines), not fitted.
  top('reservedFixedBytes', true, 0, 2e9),
  top('contextBytes', true, 0.2e9, 1.5e9),
];

function loss(k: ModelConstants, memory: boolean, vendor?: string): number {
  const rows = memory ? memRows : speedRows;
  const e = rows.flatMap((r) => {
    const x = predictRow(r, k);
    if (vendor && x.vendor !== vendor) return [];
    // The same error `genready validate` reports (and the targets): |predicted − measured| / measured.
    return [x.predicted ? Math.abs(x.predicted - r.value) / r.value : 1];
  });
  return quantile(e, 0.5) + 0.5 * quantile(e, 0.9);
}

// FIT_ONLY=a,b: fit these constants alone, the others held where constants.ts has them (a new constant
// joining a converged fit, without moving the rest).
const only = process.env.FIT_ONLY?.split(',').map((s) => s.trim());
const unknown = only?.filter((n) => !paths.some((p) => p.name === n));
if (unknown?.length) throw new Error(`FIT_ONLY names no constant: ${unknown.join(', ')}`);
const fitted = only ? paths.filter((p) => only.includes(p.name)) : paths;

let k: ModelConstants = structuredClone(MODEL_CONSTANTS);
// Rounds until one moves no constant (the fit has converged from where it started), or FIT_ROUNDS.
// A fixed small count would stop wherever it happens to be, one more choice made by hand.
const ROUNDS = Number(process.env.FIT_ROUNDS ?? 50);
for (let round = 0, moved = true; round < ROUNDS && moved; round++) {
  moved = false;
  for (const p of fitted) {
    let best = loss(k, p.memory, p.vendor);
    for (const f of [0.5, 0.7, 0.85, 0.93, 1.07, 1.15, 1.4, 2]) {
      const v = Math.min(p.hi, Math.max(p.lo, p.get(k) * f || p.lo));
      const cand = p.set(k, v);
      const l = loss(cand, p.memory, p.vendor);
      if (l < best - 1e-4) {
        best = l;
        k = cand;
        moved = true;
      }
    }
    console.error(`round ${round} ${p.name} = ${p.get(k).toPrecision(3)} (loss ${best.toFixed(4)})`);
  }
}
console.log(JSON.stringify(k, null, 2));
