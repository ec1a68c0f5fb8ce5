/**
 * The dashboard's state is the URL query: a view can be bookmarked and shared, and the browser's
 * back button steps through the questions asked.
 */

export interface State {
  model: string;
  width: number | null;
  height: number | null;
  batch: number;
  steps: number | null;
  precision: string | null;
  strategy: string;
  /** Decode in tiles (and so one image at a time) instead of the whole batch at once. */
  vaeTiling: boolean;
  /** Catalog device id. */
  device: string | null;
  /** System RAM in GiB (offload strategies hold the model there); 32 as `check --as` and the ranking assume. */
  ram: number;
  /** For the cost panel: how many images, within how long, at what electricity price. */
  images: number;
  within: string;
  electricity: number | null;
  /** Which devices the ranking shows: a segment group, or "like" the chosen device. */
  rank: string;
}

export const DEFAULT_STATE: State = {
  model: 'sdxl',
  width: null,
  height: null,
  batch: 1,
  steps: null,
  precision: null,
  strategy: 'auto',
  vaeTiling: false,
  device: null,
  ram: 32,
  images: 1000,
  within: '8h',
  electricity: null,
  rank: 'like',
};

/** Short query keys, in the order they are written. */
const KEYS: Record<keyof State, string> = {
  model: 'model',
  width: 'w',
  height: 'h',
  batch: 'batch',
  steps: 'steps',
  precision: 'precision',
  strategy: 'strategy',
  vaeTiling: 'tiling',
  device: 'device',
  ram: 'ram',
  images: 'images',
  within: 'within',
  electricity: 'kwh',
  rank: 'rank',
};

const int = (v: string | null) => (v !== null && /^\d{1,5}$/.test(v) ? Number(v) : null);

export function readState(search: string): State {
  const q = new URLSearchParams(search);
  const s = { ...DEFAULT_STATE };
  const get = (k: keyof State) => q.get(KEYS[k]);
  s.model = get('model')?.slice(0, 60) || s.model;
  s.width = int(get('width'));
  s.height = int(get('height'));
  s.batch = int(get('batch')) ?? s.batch;
  s.steps = int(get('steps'));
  s.precision = get('precision')?.slice(0, 20) || null;
  s.strategy = get('strategy')?.slice(0, 30) || s.strategy;
  s.vaeTiling = get('vaeTiling') === 'true';
  s.device = get('device')?.slice(0, 120) || null;
  s.ram = int(get('ram')) || s.ram;
  s.images = int(get('images')) ?? s.images;
  s.within = get('within')?.slice(0, 20) || s.within;
  s.rank = get('rank')?.slice(0, 20) || s.rank;
  const kwh = Number(get('electricity'));
  s.electricity = get('electricity') !== null && Number.isFinite(kwh) && kwh >= 0 ? kwh : null;
  return s;
}

/** The query string for a state; defaults are left out so shared links stay short. */
export function writeState(s: State): string {
  const q = new URLSearchParams();
  for (const k of Object.keys(KEYS) as (keyof State)[]) {
    const v = s[k];
    if (v === null || v === DEFAULT_STATE[k]) continue;
    q.set(KEYS[k], String(v));
  }
  return q.toString();
}

/** The estimate flags (the CLI's flag names) for a state. */
export function estimateFlags(s: State): Record<string, string | number | boolean> {
  const f: Record<string, string | number | boolean> = {
    model: s.model,
    batch: s.batch,
    strategy: s.strategy,
    ram: s.ram,
  };
  if (s.vaeTiling) f.vaeTiling = true;
  if (s.width !== null) f.width = s.width;
  if (s.height !== null) f.height = s.height;
  if (s.steps !== null) f.steps = s.steps;
  if (s.precision !== null) f.precision = s.precision;
  if (s.device !== null) f.device = s.device;
  return f;
}
