/** The shared folder never overwrites: same bytes are a repeat, different bytes a reported conflict. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SharedFolder } from '../../src/queue/shared-folder.ts';

describe('SharedFolder', () => {
  it('writes once, finds a repeat the same, and keeps the first bytes on a conflict', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-shared-'));
    const s = new SharedFolder(dir);
    const a = Buffer.from('first bytes');
    assert.equal(s.putImage('0000-1.png', a).kind, 'written');
    assert.equal(s.putImage('0000-1.png', Buffer.from('first bytes')).kind, 'same');
    const c = s.putImage('0000-1.png', Buffer.from('other bytes'));
    assert.equal(c.kind, 'conflict');
    assert.deepEqual(readFileSync(join(dir, '0000-1.png')), a);
    // No temp file is left behind by any of the three.
    assert.deepEqual(readdirSync(dir), ['0000-1.png']);
  });

  it('counts an image done only with its record and the PNG of the recorded size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-shared-'));
    const s = new SharedFolder(dir);
    const png = Buffer.from('png');
    s.putImage('a.png', png);
    assert.equal(s.record(0), null);
    s.putRecord({ index: 0, file: 'a.png', bytes: png.length } as never);
    assert.deepEqual([...s.recorded()], [0]);
    assert.equal(s.record(0)?.file, 'a.png');
    s.putRecord({ index: 1, file: 'b.png', bytes: 3 } as never);
    assert.equal(s.record(1), null, 'a record without its PNG is not done');
  });
});
