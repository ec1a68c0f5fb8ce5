/** Tables that fit the terminal: widths, wrapping at spaces only, secondary columns, the block fallback. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { table, visibleWidth, wrapWords } from '../../src/cli/format.ts';

const URL = 'https://www.techpowerup.com/gpu-specs/geforce-rtx-4090.c3889';

describe('table', () => {
  it('draws a heading, one rule and one line per row: no borders, no row separators', () => {
    const t = table(['model', 'per image'], 80);
    t.push(['sd15', '7.26 s'], ['sdxl', '48.0 s']);
    assert.equal(t.toString(), 'model  per image\n─────  ─────────\nsd15   7.26 s\nsdxl   48.0 s');
  });

  it('wraps a long cell at spaces to fit the width, and never cuts a URL', () => {
    const t = table(['device', 'source'], 40);
    t.push(['RTX 4090', `NVIDIA spec sheet and ${URL} (fetched 2026)`]);
    const lines = t.toString().split('\n');
    assert.ok(
      lines.every((l) => visibleWidth(l) <= 40 || l.includes(URL)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.includes(URL)),
      'the URL stays whole on one line',
    );
  });

  it('below 100 columns secondary columns stack under their row or drop; with room they stay', () => {
    const head = [
      'model',
      'per image',
      { head: 'size', secondary: 'stack' as const },
      { head: 'usable', secondary: 'drop' as const },
    ];
    const narrow = table(head, 80);
    narrow.push(['sd15', '7.26 s', '512×512', '12.4 GB']);
    assert.equal(narrow.toString(), 'model  per image\n─────  ─────────\nsd15   7.26 s\n    size: 512×512');
    const wide = table(head, 120);
    wide.push(['sd15', '7.26 s', '512×512', '12.4 GB']);
    assert.match(wide.toString(), /^sd15 {3}7\.26 s {5}512×512 {2}12\.4 GB$/m);
  });

  it('when even whole words do not fit, each row becomes a block: its first cell, then "heading  value" lines', () => {
    const t = table(['device', 'memory', 'bandwidth'], 20);
    t.push(['GeForce RTX 4090', '24 GiB', '1008 GB/s'], ['RTX 3060', '12 GiB', '360 GB/s']);
    assert.equal(
      t.toString(),
      'device\n──────\nGeForce RTX 4090\n  memory     24 GiB\n  bandwidth  1008 GB/s\n\nRTX 3060\n  memory     12 GiB\n  bandwidth  360 GB/s',
    );
  });

  it('an infinite width (--wide) keeps every column at its natural width', () => {
    const t = table(['a', { head: 'b', secondary: 'drop' }], Number.POSITIVE_INFINITY);
    t.push(['x'.repeat(150), 'y']);
    assert.equal(t.toString().split('\n')[2], `${'x'.repeat(150)}  y`);
  });
});

describe('wrapWords', () => {
  it('breaks at spaces, gives an over-long word its own line', () => {
    assert.deepEqual(wrapWords(`see ${URL} for it`, 20), ['see', URL, 'for it']);
  });
});
