/**
 * Name matching for the device catalog, in the manner of detect-gpu: clean both sides with the same
 * function, then accept a catalog entry only when every distinguishing token agrees. The contract is
 * "never a wrong device; unknown allowed": a query that could mean two different parts resolves to
 * `unknown` with suggestions rather than to a guess.
 *
 * Token roles (after `deviceNameTokens`):
 * - identity: anything with a digit ("4090", "a100", "m2", "mi300x") plus "titan". The query's and
 *   the entry's identity sets must be equal, so "4070" never reaches "4070 Ti" and "a10" never "a10g".
 * - qualifier: ti, super, xt, xtx, gre, ultra, max, pro. Also compared as equal sets.
 * - laptop words (laptop/mobile/notebook, and Max-Q on parts that do not carry it in their name):
 *   a laptop query only reaches laptop parts and a plain query only desktop parts.
 * - memory (`16gb`) and form factor (sxm, pcie, nvl, oam): select among variants of one part.
 * - everything else (rtx, quadro, arc, ada, …): must appear in the entry if the query says it,
 *   may be omitted by the query.
 * When several variants of one part fit (no memory or form factor given), the default is: SXM
 * before PCIe before NVL, then the first-launched, then the smallest memory (so "A100" is the
 * SXM4 40GB, "RTX 3060" the 12GB, "V100" the SXM2 16GB); the match carries a note saying so.
 */

import { deviceNameTokens, splitParenthetical } from './_device-names.ts';
import { editDistance } from './_similar.ts';
import type { Device, DeviceMatch } from './devices.types.ts';

/** A catalog row as the matcher sees it: the device plus the matching-only columns. */
export interface CatalogEntry {
  device: Device;
  /** Other names the part is sold or reported under (e.g. the iGPU name of an APU). */
  aliases: string[];
  /** Free-text host interface from the catalog ("PCIe 4.0 x16", "SXM5", "laptop (BGA)"). */
  formFactor: string;
}

const QUALIFIERS = new Set(['ti', 'super', 'xt', 'xtx', 'gre', 'ultra', 'max', 'pro']);
const FORM_FACTORS = new Set(['sxm', 'pcie', 'nvl', 'oam']);
const MEMORY_TOKEN = /^(\d+)gb$/;
/** Tier digits ("Ryzen 7", "Core i9") name a product line, not a model: required if given, never identity. */
const TIER_TOKEN = /^(\d|i[3579])$/;

interface ParsedName {
  /** Tokens that are not memory, form factor, laptop or Max-Q. */
  plain: string[];
  identity: Set<string>;
  qualifiers: Set<string>;
  memoryGiB: number | null;
  formFactors: Set<string>;
  laptopWord: boolean;
  maxq: boolean;
}

function parseTokens(tokens: string[]): ParsedName {
  const parsed: ParsedName = {
    plain: [],
    identity: new Set(),
    qualifiers: new Set(),
    memoryGiB: null,
    formFactors: new Set(),
    laptopWord: false,
    maxq: false,
  };
  for (const token of tokens) {
    const memory = MEMORY_TOKEN.exec(token);
    if (memory) parsed.memoryGiB = Number(memory[1]);
    else if (FORM_FACTORS.has(token)) parsed.formFactors.add(token);
    else if (token === 'laptop') parsed.laptopWord = true;
    else if (token === 'maxq') parsed.maxq = true;
    else {
      parsed.plain.push(token);
      if (QUALIFIERS.has(token)) parsed.qualifiers.add(token);
      else if ((/\d/.test(token) && !TIER_TOKEN.test(token)) || token === 'titan') parsed.identity.add(token);
    }
  }
  return parsed;
}

/** One way of naming an entry: its catalog name (with parenthesised extras) or one of its aliases. */
interface NameForm {
  main: ParsedName;
  /** Tokens the query may use in addition to `main.plain` (the parenthesised description). */
  extra: Set<string>;
}

interface PreparedEntry {
  entry: CatalogEntry;
  forms: NameForm[];
  isLaptop: boolean;
  formFactors: Set<string>;
  /** Parts that differ only by memory or form factor share a key. */
  variantKey: string;
  /** All tokens of the catalog name without its parenthesised part (for suggestions). */
  nameTokens: string[];
}

function formFactorsOf(entry: CatalogEntry, name: ParsedName): Set<string> {
  const found = new Set(name.formFactors);
  const column = entry.formFactor.toLowerCase();
  if (column.startsWith('sxm')) found.add('sxm');
  if (column.startsWith('pcie')) found.add('pcie');
  if (column.startsWith('oam')) found.add('oam');
  return found;
}

export function prepareEntries(entries: readonly CatalogEntry[]): PreparedEntry[] {
  return entries.map((entry) => {
    const { main, extra } = splitParenthetical(entry.device.name);
    const nameTokens = deviceNameTokens(main);
    const nameForm: NameForm = { main: parseTokens(nameTokens), extra: new Set(deviceNameTokens(extra)) };
    const aliasForms = entry.aliases.map((alias) => ({
      main: parseTokens(deviceNameTokens(alias)),
      extra: new Set<string>(),
    }));
    const isLaptop = entry.device.segment === 'consumer_laptop' || entry.formFactor.toLowerCase().startsWith('laptop');
    return {
      entry,
      forms: [nameForm, ...aliasForms],
      isLaptop,
      formFactors: formFactorsOf(entry, nameForm.main),
      variantKey: [...nameForm.main.plain].sort().join(' ') + (isLaptop ? ' |laptop' : ''),
      nameTokens,
    };
  });
}

interface Fit {
  prepared: PreparedEntry;
  /** Every word of the catalog name is in the query (memory and form factor included). */
  covered: boolean;
  /** Max-Q in the query was read as "laptop part". */
  maxqAsLaptop: boolean;
}

const subset = <T>(a: Iterable<T>, b: { has(x: T): boolean }): boolean => [...a].every((x) => b.has(x));

/** Does this entry, named this way, fit the query? `ignoreMemory` is for suggestions only. */
function fitForm(query: ParsedName, prepared: PreparedEntry, form: NameForm, ignoreMemory: boolean): Fit | null {
  const { device } = prepared.entry;
  const name = form.main;
  if (query.identity.size === 0) return null;
  const known = new Set([...name.plain, ...form.extra]);
  if (!query.plain.every((t) => known.has(t))) return null;
  if (!subset(name.identity, query.identity) || !subset(name.qualifiers, query.qualifiers)) return null;

  // Max-Q is part of some names (Quadro RTX 5000 Max-Q, RTX PRO 6000 Max-Q); elsewhere it means "laptop part".
  let maxqAsLaptop = false;
  if (name.maxq) {
    if (!query.maxq || (query.laptopWord && !prepared.isLaptop)) return null;
  } else {
    maxqAsLaptop = query.maxq;
    if ((query.laptopWord || query.maxq) !== prepared.isLaptop) return null;
  }

  if (query.memoryGiB !== null && !ignoreMemory) {
    const sizes = device.memoryOptionsGiB.length > 0 ? device.memoryOptionsGiB : [device.memoryGiB];
    if (!sizes.includes(query.memoryGiB)) return null;
  }
  if (!subset(query.formFactors, prepared.formFactors)) return null;

  const queryPlain = new Set(query.plain);
  const covered =
    name.plain.every((t) => queryPlain.has(t)) &&
    (name.memoryGiB === null || name.memoryGiB === query.memoryGiB) &&
    subset(name.formFactors, query.formFactors) &&
    (!name.laptopWord || query.laptopWord) &&
    (!name.maxq || query.maxq);
  return { prepared, covered, maxqAsLaptop };
}

function fitEntry(query: ParsedName, prepared: PreparedEntry, ignoreMemory = false): Fit | null {
  const fits = prepared.forms.map((f) => fitForm(query, prepared, f, ignoreMemory)).filter((f): f is Fit => f !== null);
  return fits.find((f) => f.covered) ?? fits[0] ?? null;
}

/**
 * The preferred form factor when the query does not say: the SXM part is the reference datacenter
 * GPU (the one papers and cloud "H100" instances mean), then PCIe, then NVL (an NVL card is also a
 * PCIe card, so it is checked first).
 */
function formFactorRank(p: PreparedEntry): number {
  if (p.formFactors.has('nvl')) return 2;
  if (p.formFactors.has('sxm')) return 0;
  if (p.formFactors.has('pcie')) return 1;
  return 3;
}

/** Order of variants of one part: fully named first, then form factor, first launched, smallest memory. */
function variantOrder(a: Fit, b: Fit): number {
  const da = a.prepared.entry.device;
  const db = b.prepared.entry.device;
  return (
    Number(b.covered) - Number(a.covered) ||
    formFactorRank(a.prepared) - formFactorRank(b.prepared) ||
    (da.launchYear ?? 9999) - (db.launchYear ?? 9999) ||
    (da.memoryGiB ?? 0) - (db.memoryGiB ?? 0)
  );
}

function groupBy<T>(items: T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups.values()];
}

/** Apply a memory size from the query to a part sold in several unified-memory sizes (Apple, APUs). */
function withQueryMemory(device: Device, memoryGiB: number | null): { device: Device; note?: string } {
  if (device.memoryOptionsGiB.length <= 1) return { device };
  const options = device.memoryOptionsGiB.join('/');
  if (memoryGiB === null) {
    const example = `${splitParenthetical(device.name).main.trim()} ${device.memoryOptionsGiB[0]}GB`;
    return {
      device,
      note: `memory not stated: using the largest option, ${device.memoryGiB} GiB (options ${options} GiB); add the size, e.g. "${example}"`,
    };
  }
  return {
    device: { ...device, memoryGiB },
    note: `memory set to ${memoryGiB} GiB from the query (options ${options} GiB)`,
  };
}

/** Token overlap plus character edit similarity; used only to order suggestions. */
function similarity(queryTokens: string[], prepared: PreparedEntry): number {
  const withoutMemory = (tokens: string[]) => tokens.filter((t) => !MEMORY_TOKEN.test(t));
  const q = new Set(withoutMemory(queryTokens));
  const nameTokens = withoutMemory(prepared.nameTokens);
  const c = new Set(nameTokens);
  const shared = [...q].filter((t) => c.has(t)).length;
  const jaccard = shared / Math.max(1, new Set([...q, ...c]).size);
  const qs = [...q].join('');
  const cs = nameTokens.join('');
  const edit = 1 - editDistance(qs, cs) / Math.max(1, qs.length, cs.length);
  return jaccard + edit;
}

/**
 * One slip of the keyboard between two model numbers of the same length: two neighbours swapped
 * ("4900" for 4090, "3600" for 3060) ranks 1, one character wrong ("4080" for 4070) ranks 2.
 */
export function typoRank(typed: string, known: string): 0 | 1 | 2 {
  if (typed.length !== known.length || typed === known) return 0;
  const diff = [...typed].flatMap((c, i) => (c === known[i] ? [] : [i]));
  if (diff.length === 1) return 2;
  const [i, j] = diff as [number, number];
  return diff.length === 2 && j === i + 1 && typed[i] === known[j] && typed[j] === known[i] ? 1 : 0;
}

/**
 * Catalog parts the query names once one model number is corrected (swapped digits first): the
 * query, read with the corrected token, fits them. Never a match, only a suggestion.
 */
function typoFits(query: ParsedName, tokens: string[], prepared: PreparedEntry[]): string[] {
  const known = new Set(prepared.flatMap((p) => p.forms.flatMap((f) => [...f.main.identity])));
  const found: { name: string; rank: number }[] = [];
  for (const typed of query.identity) {
    if (!/\d/.test(typed)) continue;
    for (const k of known) {
      const rank = typoRank(typed, k);
      if (rank === 0) continue;
      const corrected = parseTokens(tokens.map((t) => (t === typed ? k : t)));
      const fits = prepared.map((p) => fitEntry(corrected, p)).filter((f): f is Fit => f !== null);
      for (const group of groupBy(fits, (f) => f.prepared.variantKey)) {
        const best = [...group].sort(variantOrder)[0];
        if (best) found.push({ name: best.prepared.entry.device.name, rank });
      }
    }
  }
  return found.sort((a, b) => a.rank - b.rank).map((f) => f.name);
}

function suggest(query: ParsedName, tokens: string[], prepared: PreparedEntry[], first: string[]): string[] {
  // Parts that fit except for the memory size ("Apple M2 32GB") come first: the user named them.
  const nearFits = prepared.filter((p) => fitEntry(query, p, true) !== null).map((p) => p.entry.device.name);
  const ranked = prepared
    .map((p, index) => ({ p, index, score: similarity(tokens, p) }))
    .sort(
      (a, b) =>
        b.score - a.score ||
        (b.p.entry.device.launchYear ?? 0) - (a.p.entry.device.launchYear ?? 0) ||
        a.index - b.index,
    )
    .map((r) => r.p.entry.device.name);
  return [...new Set([...first, ...nearFits, ...ranked])].slice(0, 3);
}

/**
 * Resolve a user-typed or driver-reported device name against prepared catalog entries.
 * @example matchPrepared('NVIDIA GeForce RTX 4070 Laptop GPU', entries) // exact: GeForce RTX 4070 Laptop GPU
 * @example matchPrepared('RTX 3060', entries) // matched: GeForce RTX 3060 12GB, note names the 8GB
 */
export function matchPrepared(queryText: string, prepared: PreparedEntry[]): DeviceMatch {
  const byId = prepared.find((p) => p.entry.device.id === queryText.trim());
  if (byId) return { kind: 'exact', device: byId.entry.device };

  const tokens = deviceNameTokens(queryText);
  const query = parseTokens(tokens);
  const fits = prepared.map((p) => fitEntry(query, p)).filter((f): f is Fit => f !== null);
  if (fits.length === 0)
    return {
      kind: 'unknown',
      query: queryText,
      suggestions: suggest(query, tokens, prepared, typoFits(query, tokens, prepared)),
    };

  let groups = groupBy(fits, (f) => f.prepared.variantKey);
  if (groups.length > 1) {
    // Two different parts fit ("RTX 5000": Quadro RTX 5000 or RTX 5000 Ada). Only a query that
    // names one of them in full decides; otherwise say unknown and offer both.
    const named = groups.filter((g) => g.some((f) => f.covered));
    if (named.length !== 1) {
      const defaults = groups.map((g) => [...g].sort(variantOrder)[0]?.prepared.entry.device.name ?? '');
      return { kind: 'unknown', query: queryText, suggestions: suggest(query, tokens, prepared, defaults) };
    }
    groups = named;
  }

  const variants = [...(groups[0] ?? [])].sort(variantOrder);
  const chosen = variants[0];
  if (!chosen) return { kind: 'unknown', query: queryText, suggestions: [] };
  const notes: string[] = [];
  if (variants.length > 1) {
    const others = variants.slice(1).map((f) => f.prepared.entry.device.name);
    notes.push(
      `variant not stated: chose ${chosen.prepared.entry.device.name} (also in the catalog: ${others.join(', ')})`,
    );
  }
  if (chosen.maxqAsLaptop) notes.push('Max-Q read as the laptop part');
  const memory = withQueryMemory(chosen.prepared.entry.device, query.memoryGiB);
  if (memory.note) notes.push(memory.note);

  if (notes.length === 0 && chosen.covered) return { kind: 'exact', device: memory.device };
  return notes.length > 0
    ? { kind: 'matched', device: memory.device, note: notes.join('; ') }
    : { kind: 'matched', device: memory.device };
}
