/** `genready inspect` as a person runs it: the answer, the machine's verdict, and one-line errors. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeSafetensors } from '../../src/checkpoint/write.ts';
import { cli } from '../cli/helpers.ts';
import { SD15_PUBLISHED, sd15Tensors } from './_sd15.ts';

const dir = mkdtempSync(join(tmpdir(), 'genready-inspect-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('genready inspect', () => {
  const sd15 = join(dir, 'v1-5-pruned-emaonly-fp16.safetensors');
  const specs = sd15Tensors('F16');
  writeSafetensors(sd15, specs);
  const fp16Bytes = specs
    .filter((s) => s.dtype === 'F16')
    .reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1) * 2, 0);

  it('names a full-size SD 1.5 file and gives the machine’s answer (--json)', () => {
    const r = cli(['inspect', sd15, '--json', '--as', 'RTX 3060 12GB']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.model, 'sd15');
    assert.equal(j.kind, 'checkpoint');
    assert.equal(j.parameters, SD15_PUBLISHED.unet + SD15_PUBLISHED.vae + SD15_PUBLISHED.text + 5000);
    assert.equal(j.machine.model, 'sd15');
    assert.equal(j.machine.tier.level, 3);
    assert.equal(j.machine.mode, 'on-device');
    assert.ok(j.machine.secondsPerImage > 0 && Number.isFinite(j.machine.secondsPerImage));
    assert.ok(j.machine.maxSideOnDevice >= 512);
    // The cost model's fp16 weights for the catalog's SD 1.5 are exactly this file's fp16 bytes.
    assert.equal(j.machine.weightsBytes, fp16Bytes);
  });

  it('prints the family, components and the verdict as text', () => {
    const r = cli(['inspect', sd15, '--as', 'none']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Stable Diffusion 1\.x checkpoint/);
    assert.match(r.stdout, /SD 1\.x UNet: 859\.5 M F16/);
    assert.match(r.stdout, /sd15 on the CPU/);
  });

  it('a VAE alone: model null, nothing to estimate', () => {
    const p = join(dir, 'vae.safetensors');
    writeSafetensors(
      p,
      specs
        .filter((s) => s.name.startsWith('first_stage_model.'))
        .map((s) => ({ ...s, name: s.name.slice('first_stage_model.'.length) })),
    );
    const r = cli(['inspect', p, '--json', '--hash']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual([j.kind, j.model, j.parameters, j.machine], ['vae', null, SD15_PUBLISHED.vae, null]);
    // --hash: A1111's Model hash is the first 10 hex digits of the file's SHA-256.
    const sha = execFileSync('sha256sum', [p], { encoding: 'utf8' }).split(' ')[0]!;
    assert.deepEqual([j.hashes.sha256, j.hashes.modelHash], [sha, sha.slice(0, 10)]);
  });

  it('bad input: one line naming the file (and the tensor), exit 1, nothing on stdout', () => {
    const prefix = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(n));
      return b;
    };
    const header = (h: object) => {
      const t = Buffer.from(JSON.stringify(h));
      return Buffer.concat([prefix(t.length), t]);
    };
    const fifo = join(dir, 'fifo.safetensors');
    execFileSync('mkfifo', [fifo]);
    const bad: [string, Buffer | null, RegExp][] = [
      ['trunc.safetensors', Buffer.from([1, 2, 3]), /truncated/],
      ['beyond.safetensors', Buffer.concat([prefix(1 << 30), Buffer.from('{}')]), /beyond the file/],
      ['text.safetensors', Buffer.concat([prefix(9), Buffer.from('not json!')]), /not JSON/],
      [
        'overlap.safetensors',
        Buffer.concat([
          header({
            'a.weight': { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
            'b.weight': { dtype: 'F16', shape: [4], data_offsets: [4, 12] },
          }),
          Buffer.alloc(12),
        ]),
        /"b\.weight".*overlap/,
      ],
      [
        'dtype.safetensors',
        Buffer.concat([header({ 'c.weight': { dtype: 'X9', shape: [1], data_offsets: [0, 1] } }), Buffer.alloc(1)]),
        /"c\.weight".*X9/,
      ],
      ['model.ckpt', Buffer.from('PK'), /unpickling runs code.*convert/],
      ['fifo.safetensors', null, /not a regular file/],
    ];
    for (const [name, bytes, why] of bad) {
      const p = join(dir, name);
      if (bytes) writeFileSync(p, bytes);
      const r = cli(['inspect', p]);
      assert.equal(r.code, 1, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]!.startsWith(`genready: ${p}`), lines[0]);
      assert.match(lines[0]!, why);
    }
  });
});
