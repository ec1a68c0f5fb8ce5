/** A1111's hashes, checked against coreutils' sha256sum over the same byte ranges. */
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { a1111Hashes } from '../../src/checkpoint/hash.ts';
import { readSafetensorsHeader } from '../../src/checkpoint/safetensors.ts';
import { writeSafetensors } from '../../src/checkpoint/write.ts';

const dir = mkdtempSync(join(tmpdir(), 'genready-hash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sum = (cmd: string) => execSync(`${cmd} | sha256sum`, { encoding: 'utf8' }).split(' ')[0]!;

it('model hash, legacy hash and kohya’s addnet hash match sha256sum over the same bytes', () => {
  const p = join(dir, 'lora.safetensors');
  // 3 MiB of varied data so the legacy window (1 MiB + 64 KiB) and several read chunks are crossed.
  const data = new Uint8Array(3 << 20).map((_, i) => (i * 2654435761) >>> 24);
  writeSafetensors(p, [{ name: 'w', dtype: 'U8', shape: [data.length], data }], { ss_network_dim: '8' });
  const h = a1111Hashes(p);
  const header = readSafetensorsHeader(p).headerBytes;
  assert.equal(h.sha256, sum(`cat '${p}'`));
  assert.equal(h.modelHash, h.sha256.slice(0, 10));
  assert.equal(h.legacyHash, sum(`tail -c +${0x100000 + 1} '${p}' | head -c ${0x10000}`).slice(0, 8));
  assert.equal(h.addnetHash, sum(`tail -c +${8 + header + 1} '${p}'`));
  // The metadata is outside the addnet hash: rewriting it changes the file hash only.
  writeSafetensors(p, [{ name: 'w', dtype: 'U8', shape: [data.length], data }], { ss_network_dim: '16' });
  const h2 = a1111Hashes(p);
  assert.notEqual(h2.sha256, h.sha256);
  assert.equal(h2.addnetHash, h.addnetHash);
});
