/**
 * Issue 20: property-based fuzzing of what genready reads from outside — the PNG record reader
 * (`readPngText`, the record `verify` takes from an image, the A1111 parameters text) and the recipe
 * loader (`recipeFrom`, `loadRecipe`). The property everywhere: an answer, or the module's expected
 * error (a RunnerError with a code, or readPngText's "not a PNG file"); never a TypeError, a
 * RangeError, a SyntaxError, a stack overflow or a hang.
 *
 * Fixed seed and bounded runs, so `npm test` is reproducible and short; FUZZ_RUNS raises the count
 * for a longer local session (a failure prints the seed and the shrunk counterexample).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RunnerError } from '../../src/runner/errors.ts';
import { formatParameters, parseParameters } from '../../src/runner/parameters.ts';
import { encodePng, readPngText } from '../../src/runner/png.ts';
import { loadRecipe, recipeFrom } from '../../src/runner/recipe.ts';
import { SAMPLER_IDS } from '../../src/runner/schedulers/index.ts';
import { verifyImage } from '../../src/runner/verify.ts';

const SEED = 20_2026;
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const opts = (numRuns = RUNS) => ({ seed: SEED, numRuns, endOnFailure: true });

const dir = mkdtempSync(join(tmpdir(), 'genready-fuzz-'));

/** The error a reader may throw: the module's own, with a one-line message that names no stack. */
function expectedRunnerError(err: unknown): void {
  if (!(err instanceof RunnerError)) throw err;
  assert.ok(err.code.length > 0);
  assert.ok(!err.message.includes('\n    at '), err.message);
}

// A valid record as `genready run` writes it, so mutations start from something the reader accepts.
const validRecord = JSON.stringify({
  v: 1,
  spec: { index: 0, prompt: 'a cat', negativePrompt: '', seed: 1, steps: 4, guidance: 7, sampler: 'euler' },
  model: { name: 'm', hash: 'h' },
});
const validPng = encodePng(new Uint8Array(4 * 4 * 3).fill(9), 4, 4, {
  genready: validRecord,
  parameters: 'a cat\nSteps: 4, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 4x4',
});

/** Bit flips, byte overwrites, truncation and insertion applied to a buffer. */
const mutated = (base: Uint8Array) =>
  fc
    .array(
      fc.oneof(
        fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
        fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
      ),
      { minLength: 1, maxLength: 6 },
    )
    .map((ops) => {
      let b = Buffer.from(base);
      for (const o of ops) {
        const at = b.length ? o.at % b.length : 0;
        if (o.op === 'flip' && b.length) b[at]! ^= 1 << o.bit;
        else if (o.op === 'set' && b.length) b[at] = o.value;
        else if (o.op === 'cut') b = b.subarray(0, at);
        else if (o.op === 'insert') b = Buffer.concat([b.subarray(0, at), o.bytes, b.subarray(at)]);
      }
      return new Uint8Array(b);
    });

/** A PNG signature followed by chunks of any type, length field and content (lengths may lie). */
const chunky = fc
  .array(
    fc.record({
      type: fc.constantFrom('tEXt', 'iTXt', 'IHDR', 'IDAT', 'IEND', 'zTXt', 'abcd'),
      data: fc.uint8Array({ maxLength: 64 }),
      lie: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
    }),
    { maxLength: 8 },
  )
  .map((chunks) => {
    const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
    for (const c of chunks) {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(c.lie ?? c.data.length, 0);
      head.write(c.type, 4, 'latin1');
      parts.push(head, Buffer.from(c.data), Buffer.alloc(4));
    }
    return new Uint8Array(Buffer.concat(parts));
  });

function readsOrRefuses(bytes: Uint8Array): void {
  let texts: Record<string, string>;
  try {
    texts = readPngText(bytes);
  } catch (err) {
    // The reader's one expected failure, for a buffer without the PNG signature.
    assert.ok(err instanceof Error && err.message === 'not a PNG file', String(err));
    assert.ok(bytes.length < 8 || Buffer.from(bytes).readUInt32BE(0) !== 0x89504e47);
    return;
  }
  for (const [k, v] of Object.entries(texts)) {
    assert.equal(typeof k, 'string');
    assert.equal(typeof v, 'string');
  }
}

describe('fuzz: the PNG record reader', () => {
  it('readPngText never throws on arbitrary bytes but "not a PNG file"', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), readsOrRefuses), opts());
  });

  it('readPngText survives lying chunk lengths and odd chunk types after a PNG signature', () => {
    fc.assert(fc.property(chunky, readsOrRefuses), opts());
  });

  it('readPngText survives bit flips, truncation and insertions of a real record PNG', () => {
    fc.assert(fc.property(mutated(validPng), readsOrRefuses), opts());
    // Unharmed, it reads the record back (so the property above is exercised on real chunks).
    assert.equal(readPngText(validPng).genready, validRecord);
  });

  it('verify refuses a damaged or foreign image with a RunnerError, never a crash', async () => {
    const file = join(dir, 'image.png');
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(validPng), chunky, fc.uint8Array({ maxLength: 64 })), async (bytes) => {
        writeFileSync(file, bytes);
        // No run.json beside it and no --model: the best outcome is "no-model"; nothing gets to the pipeline.
        await verifyImage(file).then(
          () => assert.fail('verify of a record without a model folder succeeded'),
          expectedRunnerError,
        );
      }),
      opts(Math.min(RUNS, 150)),
    );
  });

  it('verify refuses any JSON (or not) in the genready text chunk with a RunnerError', async () => {
    const file = join(dir, 'record.png');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.json({ maxDepth: 3 }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        async (text) => {
          writeFileSync(file, encodePng(new Uint8Array(12), 2, 2, { genready: text }));
          await verifyImage(file).then(() => assert.fail('verified without a model folder'), expectedRunnerError);
        },
      ),
      opts(Math.min(RUNS, 150)),
    );
  });

  it('parseParameters never throws on any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          // Text shaped like an A1111 last line, with quoted values and stray backslashes.
          fc
            .array(
              fc.tuple(
                fc.constantFrom('Steps', 'Sampler', 'CFG scale', 'Seed', 'Model', 'x'),
                fc.oneof(
                  fc.string({ maxLength: 20 }),
                  fc.string({ maxLength: 20 }).map((s) => `"${s}"`),
                ),
              ),
              { maxLength: 6 },
            )
            .map((pairs) => `prompt\n${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')}`),
        ),
        (text) => {
          const p = parseParameters(text);
          assert.equal(typeof p.prompt, 'string');
          assert.equal(typeof p.negativePrompt, 'string');
        },
      ),
      opts(),
    );
  });

  it('parseParameters reads back what formatParameters writes', () => {
    fc.assert(
      fc.property(
        fc.record({
          prompt: fc.string({ maxLength: 60 }).filter((s) => !s.includes('\n') && !s.startsWith('Negative prompt: ')),
          negativePrompt: fc.string({ maxLength: 40 }).filter((s) => !s.includes('\n')),
          steps: fc.integer({ min: 1, max: 1000 }),
          sampler: fc.constantFrom(...SAMPLER_IDS),
          guidance: fc.double({ min: 0, max: 100, noNaN: true }),
          seed: fc.integer({ min: 0, max: 0xffffffff }),
          width: fc.integer({ min: 8, max: 8192 }),
          height: fc.integer({ min: 8, max: 8192 }),
          modelHash: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 10 }),
          modelName: fc.string({ maxLength: 30 }),
          version: fc.constant('genready 0.1.0'),
        }),
        (info) => {
          const back = parseParameters(formatParameters(info));
          assert.equal(back.prompt, info.prompt);
          assert.equal(back.negativePrompt, info.negativePrompt);
          assert.equal(back.settings.Seed, String(info.seed));
          // Quoted values (those with , : or a leading quote) keep their spaces; bare ones are trimmed.
          const quoted = /[,:\n]|^\s*"/.test(info.modelName);
          assert.equal(back.settings.Model, quoted ? info.modelName : info.modelName.trim());
        },
      ),
      opts(),
    );
  });
});

const VALID = {
  model: 'model',
  prompt: 'a cat',
  seeds: 1,
  steps: 4,
  guidance: 7,
  sampler: 'euler',
  width: 64,
  height: 64,
};

/** Near-valid recipes: every field present or absent, of the right type or of a wrong one. */
const anyValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 5000 }),
  fc.double(),
  fc.string({ maxLength: 12 }),
  fc.array(fc.integer({ min: -1, max: 50 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }),
);
const field = <T>(good: fc.Arbitrary<T>) =>
  fc.option(fc.oneof({ weight: 4, arbitrary: good }, anyValue), { nil: undefined });
const recipeLike = fc
  .record({
    model: field(fc.constantFrom('model', '', '../m')),
    prompt: field(fc.string({ maxLength: 30 })),
    prompts: field(fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 })),
    promptFile: field(fc.constantFrom('prompts.txt', 'missing.txt', '')),
    negativePrompt: field(fc.string({ maxLength: 10 })),
    seeds: field(
      fc.oneof(
        fc.integer({ min: -2, max: 0xffffffff + 2 }),
        fc.array(fc.integer({ min: -1, max: 100 }), { maxLength: 5 }),
        fc.tuple(fc.nat(200), fc.nat(200)).map(([a, b]) => `${a}-${b}`),
        fc.constantFrom('4294967290-4294967299', '10-5', ' 1 - 3 ', '1-2-3'),
        fc.record({ start: fc.integer({ min: -1, max: 0xffffffff }), count: fc.integer({ min: -1, max: 50 }) }),
      ),
    ),
    // Counts stay ≤ 10,000 here: larger ones are issue 20's out-of-memory case, the runner's to bound.
    count: field(fc.integer({ min: -1, max: 10_000 })),
    steps: field(fc.integer({ min: -1, max: 1001 })),
    guidance: field(fc.double({ min: -1, max: 101, noNaN: true })),
    sampler: field(fc.constantFrom(...SAMPLER_IDS, 'Euler a', 'DPM++ 2M Karras', 'nope', '')),
    width: field(fc.integer({ min: 0, max: 9000 })),
    height: field(fc.integer({ min: 0, max: 9000 })),
    size: field(fc.constantFrom('512x512', '512×768', '7x7', '99999x8', 'x', '0x400', '8192x8192')),
    batch: field(fc.oneof(fc.integer({ min: 0, max: 65 }), fc.constant('auto'))),
    output: field(fc.constantFrom('out', '', '../../etc', '/tmp/x')),
    filename: field(
      fc.constantFrom('{index:05}-{seed}.png', '{prompt}.png', '{nope}.png', 'a/b.png', '..png', 'x.jpg', '{seed}.png'),
    ),
    extra: fc.option(anyValue, { nil: undefined }),
  })
  .chain((wild) =>
    // A valid recipe with some of its fields taken from the wild one (changed, wrong or removed).
    fc.subarray(Object.keys(wild)).map((keys) => {
      const r: Record<string, unknown> = { ...VALID };
      for (const k of keys) r[k] = wild[k as keyof typeof wild];
      return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
    }),
  );

describe('fuzz: the recipe loader', () => {
  writeFileSync(join(dir, 'prompts.txt'), 'a cat\n# comment\n\na dog\n');
  const source = join(dir, 'recipe.json');

  it('recipeFrom gives a recipe or a RunnerError for near-valid recipes', () => {
    let accepted = 0;
    fc.assert(
      fc.property(recipeLike, (data) => {
        try {
          const r = recipeFrom(data, source);
          accepted++;
          // What it accepts is consistent: whole seeds in range, sizes multiples of 8.
          assert.ok(r.seeds.length >= 1 && r.seeds.every((s) => Number.isInteger(s) && s >= 0 && s <= 0xffffffff));
          assert.ok(r.width % 8 === 0 && r.height % 8 === 0 && r.width >= 8 && r.height <= 8192);
          assert.ok(r.prompts.length >= 1);
        } catch (err) {
          expectedRunnerError(err);
        }
      }),
      opts(Math.max(RUNS, 500)),
    );
    // The generator must reach valid recipes too, or the property says little.
    assert.ok(accepted > 0, 'no generated recipe was valid');
  });

  it('recipeFrom gives a recipe or a RunnerError for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (data) => {
        try {
          recipeFrom(data, source);
        } catch (err) {
          expectedRunnerError(err);
        }
      }),
      opts(),
    );
  });

  it('loadRecipe gives a recipe or a RunnerError for any file text, JSON or YAML', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('r.json', 'r.yaml'),
        fc.oneof(
          fc.string({ maxLength: 200 }),
          recipeLike.map((r) => JSON.stringify(r)),
          // YAML's own syntax: anchors, aliases, tags, flow collections, multi-documents.
          fc
            .array(
              fc.constantFrom(
                'a: &x [1, 2]',
                'b: *x',
                '--- ',
                '!!binary abc',
                '{',
                'seeds: 1',
                '? x',
                '- -',
                ': :',
                '%YAML 1.2',
              ),
              {
                maxLength: 6,
              },
            )
            .map((l) => l.join('\n')),
        ),
        (name, text) => {
          const path = join(dir, name);
          writeFileSync(path, text);
          try {
            loadRecipe(path);
          } catch (err) {
            expectedRunnerError(err);
          }
        },
      ),
      opts(),
    );
  });
});
