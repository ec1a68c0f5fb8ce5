/**
 * CLIP tokenizer: byte-level BPE read from the model folder's own files (vocab.json + merges.txt,
 * or tokenizer.json) or, for a model that carries none (a single-file checkpoint), from CLIP's own
 * merges shipped in data/clip/ (see its README: source, commit, licence), as Hugging Face's
 * CLIPTokenizerFast tokenizes: NFC, whitespace collapsed,
 * lower case; CLIP's word regex; bytes mapped to printable characters (GPT-2's table); BPE with
 * "</w>" marking the end of each word; <|startoftext|> … <|endoftext|>, truncated and padded to
 * the encoder's length. Unknown pieces become the unknown token, as there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { RunnerError } from './errors.ts';

export interface Encoded {
  ids: number[];
  /** Prompt tokens dropped to fit the encoder's length (the pipeline warns and records it). */
  truncated: number;
}

export interface ClipTokenizer {
  readonly maxLength: number;
  readonly vocabSize: number;
  encode(text: string): Encoded;
}

/** GPT-2's reversible byte → character table: printable bytes map to themselves, the rest above U+0100. */
function byteEncoder(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(printable(b) ? b : 256 + n++);
  return out;
}
const BYTES = byteEncoder();

/** CLIP's byte tokens in its vocabulary's order: the printable bytes first, then the rest (bytes_to_unicode's order). */
function byteOrder(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const bytes = [...Array(256).keys()];
  return [...bytes.filter(printable), ...bytes.filter((b) => !printable(b))].map((b) => BYTES[b]!);
}

const WORD = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

interface SpecialTokens {
  bos: string;
  eos: string;
  unk: string;
  pad: string;
  maxLength: number;
}

function tokenName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

function readJson(path: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new RunnerError('bad-tokenizer', `${what} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

function specialTokens(dir: string): SpecialTokens {
  const s: SpecialTokens = {
    bos: '<|startoftext|>',
    eos: '<|endoftext|>',
    unk: '<|endoftext|>',
    pad: '<|endoftext|>',
    maxLength: 77,
  };
  for (const file of ['special_tokens_map.json', 'tokenizer_config.json']) {
    const p = join(dir, file);
    if (!existsSync(p)) continue;
    const j = readJson(p, `tokenizer/${file}`);
    s.bos = tokenName(j.bos_token) ?? s.bos;
    s.eos = tokenName(j.eos_token) ?? s.eos;
    s.unk = tokenName(j.unk_token) ?? s.unk;
    s.pad = tokenName(j.pad_token) ?? s.pad;
    // transformers writes a huge sentinel when no limit is set; CLIP's positional table is 77.
    if (typeof j.model_max_length === 'number' && j.model_max_length < 1e6) s.maxLength = j.model_max_length;
  }
  return s;
}

/** CLIP's BPE merges as shipped with the package (openai/CLIP clip/bpe_simple_vocab_16e6.txt.gz). */
export const CLIP_BPE_PATH = fileURLToPath(new URL('../../data/clip/bpe_simple_vocab_16e6.txt.gz', import.meta.url));

/** CLIP's vocabulary size: 256 bytes, the same with `</w>`, 48 894 merges, two special tokens. */
export const CLIP_VOCAB_SIZE = 49408;

let shipped: { vocab: Map<string, number>; merges: string[] } | null = null;

/**
 * CLIP's vocabulary built as CLIP builds it from its merges file (clip/simple_tokenizer.py): the 256
 * byte tokens, the same with `</w>`, the first 49152 − 256 − 2 merges joined, then
 * `<|startoftext|>` and `<|endoftext|>`: 49 408 entries, ids in that order.
 */
export function clipVocabulary(path = CLIP_BPE_PATH): { vocab: Map<string, number>; merges: string[] } {
  if (path === CLIP_BPE_PATH && shipped) return shipped;
  let text: string;
  try {
    text = gunzipSync(readFileSync(path)).toString('utf8');
  } catch (err) {
    throw new RunnerError('bad-tokenizer', `CLIP's merges ${path} cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // Line 0 is a version header; CLIP uses lines 1 … 48 894.
  const merges = text.split('\n').slice(1, CLIP_VOCAB_SIZE - 256 * 2 - 2 + 1);
  if (merges.length !== CLIP_VOCAB_SIZE - 514 || merges.some((m) => m.split(' ').length !== 2))
    throw new RunnerError('bad-tokenizer', `CLIP's merges ${path} are not CLIP's (${merges.length} merges)`);
  const tokens = byteOrder();
  tokens.push(...tokens.map((t) => `${t}</w>`));
  for (const m of merges) tokens.push(m.replace(' ', ''));
  tokens.push('<|startoftext|>', '<|endoftext|>');
  const vocab = new Map(tokens.map((t, i) => [t, i]));
  const out = { vocab, merges };
  if (path === CLIP_BPE_PATH) shipped = out;
  return out;
}

const ranksOf = (merges: readonly string[]) => {
  const ranks = new Map<string, number>();
  merges.forEach((m, i) => {
    if (!ranks.has(m)) ranks.set(m, i);
  });
  return ranks;
};

/** Whether a folder holds a tokenizer's own vocabulary (vocab.json + merges.txt, or tokenizer.json). */
export function hasTokenizerFiles(dir: string): boolean {
  return (
    (existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'))) ||
    existsSync(join(dir, 'tokenizer.json'))
  );
}

/** Vocabulary and merge ranks from vocab.json + merges.txt, or from a tokenizer.json. */
function loadBpe(dir: string): { vocab: Map<string, number>; ranks: Map<string, number> } {
  const vocabPath = join(dir, 'vocab.json');
  const mergesPath = join(dir, 'merges.txt');
  let vocabObj: Record<string, unknown>;
  let merges: string[];
  if (existsSync(vocabPath) && existsSync(mergesPath)) {
    vocabObj = readJson(vocabPath, 'tokenizer/vocab.json');
    merges = readFileSync(mergesPath, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#version'));
  } else if (existsSync(join(dir, 'tokenizer.json'))) {
    const j = readJson(join(dir, 'tokenizer.json'), 'tokenizer/tokenizer.json');
    const model = (j.model ?? {}) as { vocab?: Record<string, unknown>; merges?: unknown[] };
    if (!model.vocab || !Array.isArray(model.merges))
      throw new RunnerError('bad-tokenizer', 'tokenizer/tokenizer.json has no BPE model (model.vocab, model.merges)');
    vocabObj = model.vocab;
    merges = model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : String(m)));
  } else {
    throw new RunnerError('bad-tokenizer', `tokenizer/ needs vocab.json and merges.txt (or tokenizer.json) in ${dir}`);
  }
  const vocab = new Map<string, number>();
  for (const [k, v] of Object.entries(vocabObj)) {
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new RunnerError('bad-tokenizer', `tokenizer/vocab.json: id of "${k}" is not an integer`);
    vocab.set(k, v);
  }
  const ranks = new Map<string, number>();
  merges.forEach((line, i) => {
    const parts = line.trim().split(' ');
    if (parts.length !== 2)
      throw new RunnerError('bad-tokenizer', `tokenizer/merges.txt line ${i + 2}: expected two symbols, got "${line}"`);
    if (!ranks.has(line.trim())) ranks.set(line.trim(), i);
  });
  return { vocab, ranks };
}

/** Byte-pair merges of one word (already byte-encoded), lowest rank first. */
function bpe(word: string, ranks: Map<string, number>): string[] {
  const chars = [...word];
  if (chars.length === 0) return [];
  let symbols = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
  while (symbols.length > 1) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i < symbols.length - 1; i++) {
      const r = ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) break;
    const a = symbols[best]!;
    const b = symbols[best + 1]!;
    const merged: string[] = [];
    for (let i = 0; i < symbols.length; i++) {
      if (i < symbols.length - 1 && symbols[i] === a && symbols[i + 1] === b) {
        merged.push(a + b);
        i++;
      } else merged.push(symbols[i]!);
    }
    symbols = merged;
  }
  return symbols;
}

/**
 * Words longer than this many characters are split before byte-pair merging. BPE is quadratic in a
 * word's length (a 150 000-character "word" would merge for hours). No real word is this long;
 * a split word's tokens can differ from the unsplit word's only around each cut.
 */
export const MAX_WORD = 256;

function pieces(word: string): string[] {
  if (word.length <= MAX_WORD) return [word];
  // By code point, so a letter outside the BMP is never cut in half.
  const cps = Array.from(word);
  const out: string[] = [];
  for (let i = 0; i < cps.length; i += MAX_WORD) out.push(cps.slice(i, i + MAX_WORD).join(''));
  return out;
}

/**
 * How a pipeline's encoder pads: CLIP ViT-L's tokenizer with the end token, OpenCLIP's (SD 2.x, and
 * SDXL's second encoder: their tokenizer's pad_token is "!") with id 0.
 */
export type ClipPad = 'end' | 'zero';

/** CLIP's tokenizer from the shipped merges (a model without a vocabulary of its own), 77 tokens. */
export function shippedClipTokenizer(pad: ClipPad = 'end'): ClipTokenizer {
  const { vocab, merges } = clipVocabulary();
  const special: SpecialTokens = {
    bos: '<|startoftext|>',
    eos: '<|endoftext|>',
    unk: '<|endoftext|>',
    pad: pad === 'end' ? '<|endoftext|>' : '!',
    maxLength: 77,
  };
  return makeTokenizer(special, vocab, ranksOf(merges));
}

/** The tokenizer of a folder: vocab.json + merges.txt (or tokenizer.json), with its special tokens. */
export function loadClipTokenizer(dir: string): ClipTokenizer {
  const { vocab, ranks } = loadBpe(dir);
  return makeTokenizer(specialTokens(dir), vocab, ranks);
}

/**
 * Write CLIP's shipped vocabulary as a tokenizer folder (vocab.json, merges.txt and the special
 * tokens, in transformers' file formats), for a model folder built from a single-file checkpoint.
 */
export function writeClipTokenizer(dir: string, pad: ClipPad, write: (path: string, text: string) => void): void {
  const { vocab, merges } = clipVocabulary();
  const json = (v: unknown) => `${JSON.stringify(v)}\n`;
  write(join(dir, 'vocab.json'), json(Object.fromEntries(vocab)));
  write(join(dir, 'merges.txt'), `#version: 0.2\n${merges.join('\n')}\n`);
  const special = {
    bos_token: '<|startoftext|>',
    eos_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    pad_token: pad === 'end' ? '<|endoftext|>' : '!',
  };
  write(join(dir, 'special_tokens_map.json'), json(special));
  write(join(dir, 'tokenizer_config.json'), json({ ...special, model_max_length: 77 }));
}

function makeTokenizer(special: SpecialTokens, vocab: Map<string, number>, ranks: Map<string, number>): ClipTokenizer {
  const idOf = (tok: string, role: string): number => {
    const id = vocab.get(tok);
    if (id === undefined)
      throw new RunnerError('bad-tokenizer', `tokenizer: the ${role} token "${tok}" is not in the vocabulary`);
    return id;
  };
  const bos = idOf(special.bos, 'start');
  const eos = idOf(special.eos, 'end');
  const unk = idOf(special.unk, 'unknown');
  const pad = idOf(special.pad, 'padding');
  const cache = new Map<string, number[]>();

  const wordIds = (w: string): number[] => {
    let ids = cache.get(w);
    if (!ids) {
      if (w === special.bos || w === special.eos) ids = [vocab.get(w)!];
      else {
        const encoded = Array.from(new TextEncoder().encode(w), (b) => BYTES[b]!).join('');
        ids = bpe(encoded, ranks).map((s) => vocab.get(s) ?? unk);
      }
      cache.set(w, ids);
    }
    return ids;
  };

  return {
    maxLength: special.maxLength,
    vocabSize: vocab.size,
    encode(text) {
      const clean = text.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
      const body: number[] = [];
      // A loop, not push(...ids): spreading a 150 000-token word overflows the call stack.
      for (const m of clean.matchAll(WORD))
        for (const piece of pieces(m[0])) for (const id of wordIds(piece)) body.push(id);
      const room = special.maxLength - 2;
      const truncated = Math.max(0, body.length - room);
      const ids = [bos, ...body.slice(0, room), eos];
      while (ids.length < special.maxLength) ids.push(pad);
      return { ids, truncated };
    },
  };
}
