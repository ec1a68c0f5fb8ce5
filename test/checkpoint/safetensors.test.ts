import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CheckpointError } from '../../src/checkpoint/errors.ts';
import { readSafetensorsHeader } from '../../src/checkpoint/safetensors.ts';
import { encodeHeader, writeSafetensors } from '../../src/checkpoint/write.ts';

const dir = mkdtempSync(join(tmpdir(), 'genready-st-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A file of: 8-byte length (declared or the real one), header text, data bytes. */
function raw(name: string, header: string | object, dataBytes: number, declared?: bigint): string {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(declared ?? BigInt(text.length));
  const p = join(dir, name);
  writeFileSync(p, Buffer.concat([prefix, text, Buffer.alloc(dataBytes)]));
  return p;
}

function fails(path: string, code: string, ...mentions: string[]) {
  assert.throws(
    () => readSafetensorsHeader(path),
    (err: unknown) => {
      assert.ok(err instanceof CheckpointError, `expected a CheckpointError, got ${err}`);
      assert.equal(err.code, code, err.message);
      assert.ok(!err.message.includes('\n'), 'one line');
      assert.ok(err.message.startsWith(path), `names the file: ${err.message}`);
      for (const m of mentions) assert.ok(err.message.includes(m), `mentions ${m}: ${err.message}`);
      return true;
    },
  );
}

const ok = { 'a.weight': { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] } };

describe('safetensors header reader', () => {
  it('reads names, dtypes, shapes, offsets and metadata of a file it wrote', () => {
    const p = join(dir, 'good.safetensors');
    const data = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    writeSafetensors(
      p,
      [
        { name: 'w', dtype: 'F32', shape: [2, 2], data },
        { name: 'ids', dtype: 'I64', shape: [1, 77] },
      ],
      { format: 'pt' },
    );
    const h = readSafetensorsHeader(p);
    assert.deepEqual(h.metadata, { format: 'pt' });
    assert.deepEqual(
      h.tensors.map((t) => [t.name, t.dtype, t.shape, t.elements, t.begin, t.end]),
      [
        ['w', 'F32', [2, 2], 4, 0, 16],
        ['ids', 'I64', [1, 77], 77, 16, 16 + 616],
      ],
    );
    assert.equal(h.fileBytes, statSync(p).size);
    assert.equal((h.headerBytes + 8) % 8, 0, 'header padded to 8 bytes as the reference writer does');
    // The data really sits after the header where the offsets say.
    const bytes = readFileSync(p);
    assert.deepEqual(
      new Float32Array(
        bytes.buffer.slice(bytes.byteOffset + 8 + h.headerBytes, bytes.byteOffset + 8 + h.headerBytes + 16),
      ),
      new Float32Array([1, 2, 3, 4]),
    );
  });

  it('accepts a scalar and a zero-size tensor', () => {
    const p = raw(
      'scalar.safetensors',
      {
        s: { dtype: 'F32', shape: [], data_offsets: [0, 4] },
        z: { dtype: 'F16', shape: [0, 5], data_offsets: [4, 4] },
      },
      4,
    );
    assert.deepEqual(
      readSafetensorsHeader(p).tensors.map((t) => t.elements),
      [1, 0],
    );
  });

  it('refuses a truncated file', () => {
    fails(raw('tiny.safetensors', '', 0, 0n), 'bad-header');
    const p = join(dir, 'five.safetensors');
    writeFileSync(p, Buffer.from([1, 2, 3, 4, 5]));
    fails(p, 'truncated', '5 bytes');
  });

  it('refuses a header length beyond the file, up to 2^64 - 1', () => {
    fails(raw('beyond.safetensors', ok, 12, 1000n), 'header-beyond-file', '1000');
    fails(raw('huge.safetensors', ok, 12, 2n ** 64n - 1n), 'header-beyond-file', '18446744073709551615');
  });

  it('refuses a header that is not JSON or not an object', () => {
    fails(raw('notjson.safetensors', '{"a": [1, 2', 0), 'bad-header', 'not JSON');
    fails(raw('array.safetensors', '[1,2,3]', 0), 'bad-header', 'not a JSON object');
    fails(raw('binary.safetensors', '\u0000\u0001garbage', 0), 'bad-header');
    fails(raw('meta.safetensors', { __metadata__: { a: 1 } }, 0), 'bad-header', '__metadata__');
  });

  it('refuses offsets that run past the end, overlap, or end before they begin', () => {
    fails(
      raw('past.safetensors', { 'a.weight': { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] } }, 6),
      'past-end',
      'a.weight',
    );
    fails(
      raw(
        'overlap.safetensors',
        {
          'a.weight': { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] },
          'b.weight': { dtype: 'F16', shape: [2, 3], data_offsets: [6, 18] },
        },
        18,
      ),
      'overlap',
      'b.weight',
      'a.weight',
    );
    fails(
      raw('backwards.safetensors', { 'a.weight': { dtype: 'F16', shape: [0], data_offsets: [8, 4] } }, 8),
      'bad-offsets',
      'a.weight',
    );
  });

  it('refuses an unsupported dtype and malformed entries, naming the tensor', () => {
    fails(
      raw('dtype.safetensors', { 'q.weight': { dtype: 'Q4_K', shape: [4], data_offsets: [0, 4] } }, 4),
      'unsupported-dtype',
      'q.weight',
      'Q4_K',
    );
    fails(
      raw('shape.safetensors', { 'a.bias': { dtype: 'F16', shape: [-1], data_offsets: [0, 2] } }, 2),
      'bad-tensor',
      'a.bias',
    );
    fails(raw('entry.safetensors', { 'a.bias': 3 }, 0), 'bad-tensor', 'a.bias');
  });

  it('refuses a shape whose byte size disagrees with the offsets, even when the product overflows 2^53', () => {
    fails(
      raw('size.safetensors', { 'a.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 12] } }, 12),
      'size-mismatch',
      'a.weight',
      '24 bytes',
    );
    const big = 2 ** 40;
    fails(
      raw('overflow.safetensors', { 'a.weight': { dtype: 'F32', shape: [big, big, big], data_offsets: [0, 0] } }, 0),
      'size-mismatch',
      'a.weight',
    );
  });

  it('refuses pickles with the reason and the way out, without opening them', () => {
    for (const ext of ['ckpt', 'pt', 'pth', 'bin']) {
      const p = join(dir, `model.${ext}`);
      writeFileSync(p, 'not even read');
      assert.throws(
        () => readSafetensorsHeader(p),
        (e: unknown) =>
          e instanceof CheckpointError &&
          e.code === 'pickle-refused' &&
          /runs code/.test(e.message) &&
          /convert/.test(e.message),
      );
    }
  });

  it('never blocks on a FIFO and says what a missing path is', () => {
    const fifo = join(dir, 'fifo.safetensors');
    execFileSync('mkfifo', [fifo]);
    fails(fifo, 'not-a-file');
    fails(join(dir, 'absent.safetensors'), 'not-found', 'ENOENT');
  });

  it('encodes the header it reads back (length prefix, padding, offsets)', () => {
    const { header, fileBytes } = encodeHeader([{ name: 'x', dtype: 'BF16', shape: [3] }]);
    assert.equal(Number(header.readBigUInt64LE(0)), header.length - 8);
    assert.equal(fileBytes, header.length + 6);
  });
});
