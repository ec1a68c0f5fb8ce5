/**
 * Family identification from tensor names and shapes alone. Each layout of data/checkpoint/layouts
 * is tried under each of its prefixes; a component is recognised when every signature tensor is
 * there with its exact shape and no tensor of a sibling layout is. What no layout claims is either
 * a known extra (scheduler buffers, EMA), or unexpected; a prefix whose tensors no layout claims gets
 * the nearest layout and what differs, never a guess presented as a match.
 */
import {
  type ComponentLayout,
  EMA_PREFIX,
  FAMILIES,
  type FamilyInfo,
  KNOWN_EXTRAS,
  LAYOUTS,
  type LayoutArch,
  LORA,
  SHARED_COMPONENTS,
} from '../../data/checkpoint/layouts.ts';
import { type ComponentRole, DTYPE_BYTES, type DType, FLOAT_DTYPES, type TensorInfo } from './types.ts';

export interface DTypeCount {
  tensors: number;
  elements: number;
  bytes: number;
}

export interface FoundComponent {
  role: ComponentRole;
  arch: LayoutArch;
  layout: string;
  name: string;
  naming: ComponentLayout['naming'];
  /** Name prefix in the file ('' for a file of this component alone); the folder for diffusers. */
  prefix: string;
  tensors: number;
  /** Floating-point elements. */
  parameters: number;
  bytes: number;
  dtypes: Partial<Record<DType, DTypeCount>>;
  /** Numbered blocks missing from 0…count-1, and indices past it, e.g. "input_blocks.7". */
  missingBlocks: string[];
  extraBlocks: string[];
}

export interface Nearest {
  prefix: string;
  layout: string;
  name: string;
  family: string | null;
  /** Share of the signature found with the right shape (0–1). */
  score: number;
  differences: string[];
}

export interface LoraInfo {
  /** Modules adapted (down/A matrices). */
  modules: number;
  ranks: number[];
  /** Evidence for the family: what was measured or read. */
  basis: string;
  /** The family when the names tell it but no catalog layout does (FLUX.1 / SD3 LoRAs). */
  familyName: string | null;
}

export interface Identification {
  components: FoundComponent[];
  family: FamilyInfo | null;
  familyArch: LayoutArch | null;
  lora: LoraInfo | null;
  ema: { tensors: number; parameters: number } | null;
  extras: number;
  unexpected: string[];
  nearest: Nearest[];
}

const isFloat = (t: TensorInfo) => FLOAT_DTYPES.has(t.dtype);

function tally(ts: readonly TensorInfo[]) {
  const dtypes: Partial<Record<DType, DTypeCount>> = {};
  let parameters = 0;
  let bytes = 0;
  for (const t of ts) {
    const d = (dtypes[t.dtype] ??= { tensors: 0, elements: 0, bytes: 0 });
    d.tensors++;
    d.elements += t.elements;
    d.bytes += t.elements * DTYPE_BYTES[t.dtype];
    bytes += t.elements * DTYPE_BYTES[t.dtype];
    if (isFloat(t)) parameters += t.elements;
  }
  return { dtypes, parameters, bytes };
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

interface Trial {
  layout: ComponentLayout;
  prefix: string;
  named: number;
  shaped: number;
  absentHit: string[];
  differences: string[];
}

function trial(layout: ComponentLayout, prefix: string, byName: ReadonlyMap<string, TensorInfo>): Trial {
  let named = 0;
  let shaped = 0;
  const differences: string[] = [];
  for (const [k, shape] of Object.entries(layout.keys)) {
    const t = byName.get(prefix + k);
    if (!t) {
      differences.push(`${prefix}${k} missing (expected [${shape.join(', ')}])`);
      continue;
    }
    named++;
    if (sameShape(t.shape, shape)) shaped++;
    else differences.push(`${prefix}${k} is [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  const absentHit = (layout.absent ?? []).filter((k) => byName.has(prefix + k));
  for (const k of absentHit) differences.push(`${prefix}${k} present (not in this layout)`);
  return { layout, prefix, named, shaped, absentHit, differences };
}

const full = (t: Trial) => t.shaped === Object.keys(t.layout.keys).length && t.absentHit.length === 0;

function blockCheck(layout: ComponentLayout, names: readonly string[]): { missing: string[]; extra: string[] } {
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [block, count] of Object.entries(layout.blocks ?? {})) {
    const seen = new Set<number>();
    for (const n of names) {
      if (!n.startsWith(block)) continue;
      const m = /^(\d+)\./.exec(n.slice(block.length));
      if (m) seen.add(Number(m[1]));
    }
    for (let i = 0; i < count; i++) if (!seen.has(i)) missing.push(`${block}${i}`);
    for (const i of [...seen].sort((a, b) => a - b)) if (i >= count) extra.push(`${block}${i}`);
  }
  return { missing, extra };
}

/** The component's own tensors under a prefix, relative names. */
function owned(prefix: string, tensors: readonly TensorInfo[], claimed: ReadonlySet<string>): TensorInfo[] {
  return tensors.filter((t) => !claimed.has(t.name) && t.name.startsWith(prefix));
}

export function identify(tensors: readonly TensorInfo[], metadata: Record<string, string> = {}): Identification {
  const lora = loraOf(tensors, metadata);
  if (lora) return lora;
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const trials = LAYOUTS.flatMap((l) => l.prefixes.map((p) => trial(l, p, byName)));
  // Longer prefixes first: a prefixed component claims its tensors before a bare one is considered.
  const matches = trials.filter(full).sort((a, b) => b.prefix.length - a.prefix.length);
  const claimed = new Set<string>();
  const extrasSet = new Set<string>();
  for (const t of tensors) if (KNOWN_EXTRAS.some((re) => re.test(t.name))) extrasSet.add(t.name);
  const ema = tensors.filter((t) => t.name.startsWith(EMA_PREFIX) && !extrasSet.has(t.name));
  for (const t of ema) claimed.add(t.name);
  for (const t of extrasSet) claimed.add(t);
  const components: FoundComponent[] = [];
  const usedPrefixes = new Set<string>();
  for (const m of matches) {
    // One component per prefix; a bare ('') component only when nothing else claimed the file.
    if (usedPrefixes.has(m.prefix)) continue;
    if (m.prefix === '' && components.length > 0) continue;
    const mine = owned(m.prefix, tensors, claimed);
    if (mine.length === 0) continue;
    usedPrefixes.add(m.prefix);
    for (const t of mine) claimed.add(t.name);
    const rel = mine.map((t) => t.name.slice(m.prefix.length));
    const { missing, extra } = blockCheck(m.layout, rel);
    components.push({
      role: m.layout.role,
      arch: m.layout.arch,
      layout: m.layout.id,
      name: m.layout.name,
      naming: m.layout.naming,
      prefix: m.prefix,
      tensors: mine.length,
      ...tally(mine),
      missingBlocks: missing,
      extraBlocks: extra,
    });
  }
  const unexpected = tensors.filter((t) => !claimed.has(t.name)).map((t) => t.name);
  const nearest = nearestFor(unexpected, trials, components.length === 0);
  const lead = components.find((c) => c.role === 'denoiser') ?? components.find((c) => c.role === 'controlnet');
  const familyArch = lead?.arch ?? null;
  return {
    components,
    family: familyArch ? (FAMILIES[familyArch] ?? null) : null,
    familyArch,
    lora: null,
    ema: ema.length ? { tensors: ema.length, parameters: tally(ema).parameters } : null,
    extras: extrasSet.size,
    unexpected,
    nearest,
  };
}

/**
 * For unclaimed tensors under a layout's prefix (or a file nothing matched): the layouts whose
 * signature they come closest to, with what differs.
 */
function nearestFor(unexpected: readonly string[], trials: readonly Trial[], nothingFound: boolean): Nearest[] {
  if (unexpected.length === 0) return [];
  const out: Nearest[] = [];
  const byPrefix = new Map<string, Trial[]>();
  for (const t of trials) {
    if (full(t) || t.named === 0) continue;
    const relevant = t.prefix === '' ? nothingFound : unexpected.some((n) => n.startsWith(t.prefix));
    if (!relevant) continue;
    byPrefix.set(t.prefix, [...(byPrefix.get(t.prefix) ?? []), t]);
  }
  for (const [prefix, ts] of byPrefix) {
    const score = (t: Trial) => (t.named + t.shaped - t.absentHit.length) / (2 * Object.keys(t.layout.keys).length);
    const best = [...ts].sort((a, b) => score(b) - score(a))[0]!;
    out.push({
      prefix,
      layout: best.layout.id,
      name: best.layout.name,
      family: FAMILIES[best.layout.arch]?.name ?? null,
      score: Math.round(score(best) * 100) / 100,
      differences: best.differences,
    });
  }
  return out.sort((a, b) => b.score - a.score);
}

function loraOf(tensors: readonly TensorInfo[], metadata: Record<string, string>): Identification | null {
  const marked = tensors.filter((t) => LORA.markers.test(t.name));
  if (tensors.length === 0 || marked.length < tensors.length / 2) return null;
  const downs = tensors.filter((t) => /\.(lora_down|lora_A|lora\.down)\.weight$/.test(t.name));
  let arch: LayoutArch | null = null;
  let basis = '';
  let familyName: string | null = null;
  const ctx = tensors.find((t) => LORA.contextKey.test(t.name));
  const te = tensors.find((t) => LORA.teKey.test(t.name));
  if (ctx && ctx.shape.length === 2 && LORA.byContext[ctx.shape[1]!]) {
    arch = LORA.byContext[ctx.shape[1]!]!;
    basis = `cross-attention key input width ${ctx.shape[1]} (${ctx.name})`;
  } else if (
    te &&
    te.shape.length === 2 &&
    LORA.teByWidth[te.shape[1]!] &&
    !tensors.some((t) => t.name.startsWith('lora_te2_'))
  ) {
    arch = LORA.teByWidth[te.shape[1]!]!;
    basis = `text-encoder width ${te.shape[1]} (${te.name})`;
  } else {
    const byName = LORA.byName.find((r) => tensors.some((t) => r.pattern.test(t.name)));
    if (byName) {
      familyName = byName.family;
      basis = `tensor names (${byName.pattern.source})`;
    } else {
      const base = metadata.ss_base_model_version;
      const m = base ? LORA.metadataBase.find((r) => r.pattern.test(base)) : undefined;
      if (m) {
        arch = m.arch;
        basis = `metadata ss_base_model_version = ${base}`;
      }
    }
  }
  return {
    components: [],
    family: arch ? (FAMILIES[arch] ?? null) : null,
    familyArch: arch,
    lora: {
      modules: downs.length,
      ranks: [...new Set(downs.map((t) => t.shape[0]!))].sort((a, b) => a - b),
      basis: basis || 'no tensor or metadata names the family',
      familyName: arch ? (FAMILIES[arch]?.name ?? null) : familyName,
    },
    ema: null,
    extras: 0,
    unexpected: [],
    nearest: [],
  };
}

/** Catalog model a lone component belongs to: only when exactly one catalog pipeline holds it. */
export function modelOfComponent(arch: LayoutArch): string | null {
  const shared = SHARED_COMPONENTS[arch];
  if (shared) return shared.length === 1 ? shared[0]! : null;
  return FAMILIES[arch]?.model ?? null;
}
