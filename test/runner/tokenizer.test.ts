import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tinyTokenizer } from '../../src/runner/example.ts';
import {
  clipVocabulary,
  loadClipTokenizer,
  shippedClipTokenizer,
  writeClipTokenizer,
} from '../../src/runner/tokenizer.ts';

function folder(vocab: Record<string, number>, merges: string[], extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'genready-tok-'));
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
  writeFileSync(join(dir, 'merges.txt'), ['#version: 0.2', ...merges].join('\n'));
  for (const [f, v] of Object.entries(extra)) writeFileSync(join(dir, f), JSON.stringify(v));
  return dir;
}

// The toy vocabulary of transformers' tests/models/clip/test_tokenization_clip.py (CLIPTokenizationTest.setUp).
const HF_VOCAB = [
  'l',
  'o',
  'w',
  'e',
  'r',
  's',
  't',
  'i',
  'd',
  'n',
  'lo',
  'l</w>',
  'w</w>',
  'r</w>',
  't</w>',
  'low</w>',
  'er</w>',
  'lowest</w>',
  'newer</w>',
  'wider',
  '<unk>',
  '<|startoftext|>',
  '<|endoftext|>',
];
const hf = () =>
  folder(Object.fromEntries(HF_VOCAB.map((t, i) => [t, i])), ['l o', 'lo w</w>', 'e r</w>'], {
    'special_tokens_map.json': { unk_token: '<unk>' },
    'tokenizer_config.json': { model_max_length: 12 },
  });

describe('CLIP tokenizer', () => {
  it('reproduces transformers’ test_full_tokenizer: "lower newer" → [10, 2, 16, 9, 3, 2, 16]', () => {
    const t = loadClipTokenizer(hf());
    const { ids } = t.encode('lower newer');
    // <|startoftext|> … <|endoftext|>, padded with <|endoftext|> (CLIP's default pad) to model_max_length 12.
    assert.deepEqual(ids, [21, 10, 2, 16, 9, 3, 2, 16, 22, 22, 22, 22]);
  });

  it('lower-cases and collapses whitespace; unknown pieces become the unknown token', () => {
    const t = loadClipTokenizer(hf());
    assert.deepEqual(t.encode('  LOWER \n\t newer ').ids, t.encode('lower newer').ids);
    // "x" is not in the vocabulary → <unk> (20); "!" is punctuation → its own word, also unknown.
    assert.deepEqual(t.encode('x!').ids.slice(0, 4), [21, 20, 20, 22]);
  });

  it('truncates to the encoder length keeping the end token, and says how much it cut', () => {
    const t = loadClipTokenizer(hf());
    const r = t.encode('low low low low low low low low low low low low');
    assert.equal(r.ids.length, 12);
    assert.equal(r.ids[0], 21);
    assert.equal(r.ids[11], 22);
    assert.equal(r.truncated, 2);
    assert.equal(t.encode('low').truncated, 0);
  });

  it('pads with the pad token the folder names (SD 2.x pads with "!")', () => {
    const vocab = Object.fromEntries([...HF_VOCAB, '!'].map((t, i) => [t, i]));
    const t = loadClipTokenizer(
      folder(vocab, ['l o', 'lo w</w>'], {
        'special_tokens_map.json': { pad_token: { content: '!' }, unk_token: '<unk>' },
        'tokenizer_config.json': { model_max_length: 5 },
      }),
    );
    assert.deepEqual(t.encode('low').ids, [21, 15, 22, 23, 23]);
  });

  it('reads tokenizer.json when vocab.json and merges.txt are absent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-tok-'));
    writeFileSync(
      join(dir, 'tokenizer.json'),
      JSON.stringify({
        model: {
          type: 'BPE',
          vocab: Object.fromEntries(HF_VOCAB.map((t, i) => [t, i])),
          merges: [['l', 'o'], 'lo w</w>', 'e r</w>'],
        },
      }),
    );
    writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ unk_token: '<unk>' }));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 12 }));
    assert.deepEqual(loadClipTokenizer(dir).encode('lower newer').ids.slice(0, 9), [21, 10, 2, 16, 9, 3, 2, 16, 22]);
  });

  it('encodes non-ASCII text byte by byte (UTF-8 through GPT-2’s byte table)', () => {
    // "é" is two bytes C3 A9 → characters "Ã" and "©" in the byte table.
    const vocab = { Ã: 0, '©</w>': 1, 'Ã©</w>': 2, '<|startoftext|>': 3, '<|endoftext|>': 4 };
    const t = loadClipTokenizer(folder(vocab, ['Ã ©</w>'], { 'tokenizer_config.json': { model_max_length: 4 } }));
    assert.deepEqual(t.encode('É').ids, [3, 2, 4, 4]);
  });

  it('names the problem when files are missing or broken', () => {
    const empty = mkdtempSync(join(tmpdir(), 'genready-tok-'));
    assert.throws(() => loadClipTokenizer(empty), /needs vocab\.json and merges\.txt/);
    const bad = folder({ a: 0 }, []);
    writeFileSync(join(bad, 'vocab.json'), '{not json');
    assert.throws(() => loadClipTokenizer(bad), /vocab\.json is not valid JSON/);
    const noSpecial = folder({ a: 0 }, []);
    assert.throws(() => loadClipTokenizer(noSpecial), /start token "<\|startoftext\|>" is not in the vocabulary/);
  });

  it('the example’s tiny vocabulary makes its words single tokens', () => {
    const { vocab, merges } = tinyTokenizer();
    const dir = mkdtempSync(join(tmpdir(), 'genready-tok-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
    writeFileSync(join(dir, 'merges.txt'), `#version: 0.2\n${merges.join('\n')}\n`);
    const ids = loadClipTokenizer(dir).encode('a photo of a cat').ids;
    assert.deepEqual(ids.slice(0, 7), [
      vocab['<|startoftext|>'],
      vocab['a</w>'],
      vocab['photo</w>'],
      vocab['of</w>'],
      vocab['a</w>'],
      vocab['cat</w>'],
      vocab['<|endoftext|>'],
    ]);
    assert.ok(Object.keys(vocab).length < 160);
  });

  it('a 150,000-character prompt word does not blow the stack, and encodes in about a second at most', () => {
    const { vocab, merges } = tinyTokenizer();
    const dir = mkdtempSync(join(tmpdir(), 'genready-tok-'));
    writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
    writeFileSync(join(dir, 'merges.txt'), `#version: 0.2\n${merges.join('\n')}\n`);
    const t = loadClipTokenizer(dir);
    const t0 = performance.now();
    const r = t.encode('x'.repeat(150_000));
    assert.ok(performance.now() - t0 < 5000, 'bounded time');
    assert.equal(r.ids.length, 77);
    assert.ok(r.truncated > 100_000, 'the cut is counted');
    // Ordinary words are untouched by the long-word split.
    assert.deepEqual(t.encode('a photo of a cat').ids, loadClipTokenizer(dir).encode('a photo of a cat').ids);
  });
});

describe('CLIP’s shipped vocabulary (data/clip, for single-file checkpoints)', () => {
  // Published ids of openai/clip-vit-base-patch32's tokenizer (CLIP's BPE, the same vocabulary):
  // elixir-nx/bumblebee test/bumblebee/text/clip_tokenizer_test.exs ("encoding model input").
  const PUBLISHED: [string, number[]][] = [
    ['a photo of a cat', [49406, 320, 1125, 539, 320, 2368, 49407]],
    ['a photo of a dog', [49406, 320, 1125, 539, 320, 1929, 49407]],
  ];

  it('holds 49 408 entries in CLIP’s order: bytes, bytes with </w>, merges, then the two special tokens', () => {
    const { vocab, merges } = clipVocabulary();
    assert.equal(merges.length, 48894);
    assert.equal(vocab.size, 49408);
    assert.equal(vocab.get('!'), 0);
    assert.equal(vocab.get('!</w>'), 256);
    assert.equal(vocab.get(merges[0]!.replace(' ', '')), 512);
    assert.deepEqual([vocab.get('<|startoftext|>'), vocab.get('<|endoftext|>')], [49406, 49407]);
  });

  for (const [text, ids] of PUBLISHED)
    it(`tokenizes "${text}" to the published ids, padded with the end token`, () => {
      const t = shippedClipTokenizer();
      const out = t.encode(text).ids;
      assert.equal(out.length, 77);
      assert.deepEqual(out.slice(0, ids.length), ids);
      assert.ok(out.slice(ids.length).every((id) => id === 49407));
    });

  it('pads with id 0 ("!") for OpenCLIP encoders (SD 2.x, SDXL’s second)', () => {
    const out = shippedClipTokenizer('zero').encode('a photo of a cat').ids;
    assert.deepEqual(out.slice(0, 8), [49406, 320, 1125, 539, 320, 2368, 49407, 0]);
    assert.ok(out.slice(7).every((id) => id === 0));
  });

  it('tokenizes identically from vocab.json + merges.txt written from it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-tok-'));
    writeClipTokenizer(dir, 'zero', (p, text) => writeFileSync(p, text));
    const fromFiles = loadClipTokenizer(dir);
    const shipped = shippedClipTokenizer('zero');
    for (const text of [
      'a photo of a cat',
      'Hello, world! 42 don’t stop',
      'an astronaut riding a horse on mars, highly detailed, 8k, octane render',
      'café naïve 你好世界 😀',
      '',
    ])
      assert.deepEqual(fromFiles.encode(text), shipped.encode(text), text);
    assert.equal(fromFiles.vocabSize, shipped.vocabSize);
  });
});
