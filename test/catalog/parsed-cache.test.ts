/**
 * The parsed-catalog cache: what comes back from it is what parsing the CSV gives (frozen alike),
 * it follows every edit of the data file, and a broken or unwritable cache only means parsing again.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cachedParse } from '../../src/catalog/_parsed-cache.ts';
import { cloudCatalog, loadCloudCatalog } from '../../src/catalog/cloud.ts';
import { DEVICE_CATALOG_PATH, getDevice, listDevices, loadDeviceCatalog } from '../../src/catalog/devices.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'genready-catalog-cache-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const csv = readFileSync(DEVICE_CATALOG_PATH, 'utf8');
const parsed = loadDeviceCatalog({ readFile: () => csv }).devices;

describe('device catalog through the parsed cache', () => {
  it('writes one file, then gives back exactly the parsed devices, frozen as parsing makes them', () => {
    const dir = tempDir();
    const first = loadDeviceCatalog({ readFile: () => csv, cacheDir: dir }).devices;
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.json')).length, 1);
    const second = loadDeviceCatalog({
      readFile: () => csv,
      cacheDir: dir,
    }).devices;
    assert.deepEqual(first, parsed);
    assert.deepEqual(second, parsed);
    for (const d of second) {
      assert.ok(Object.isFrozen(d), d.id);
      assert.ok(Object.isFrozen(d.memoryOptionsGiB), d.id);
      if (d.pcie) assert.ok(Object.isFrozen(d.pcie), d.id);
    }
    // Name matching works on a catalog that came from the cache.
    const fromCache = loadDeviceCatalog({ readFile: () => csv, cacheDir: dir });
    assert.equal(fromCache.resolve('RTX 4090').id, 'nvidia-geforce-rtx-4090');
  });

  it('follows an edit of the CSV: a new file, the new value, the old file removed', () => {
    const dir = tempDir();
    loadDeviceCatalog({ readFile: () => csv, cacheDir: dir });
    const before = readdirSync(dir);
    // The 4090's name changed in the data: the cache must not answer with the old row.
    const edited = csv.replace(
      'nvidia-geforce-rtx-4090,NVIDIA,GeForce RTX 4090,',
      'nvidia-geforce-rtx-4090,NVIDIA,Renamed 4090,',
    );
    assert.notEqual(edited, csv);
    const c = loadDeviceCatalog({ readFile: () => edited, cacheDir: dir });
    assert.equal(c.get('nvidia-geforce-rtx-4090')?.name, 'Renamed 4090');
    const afterEdit = readdirSync(dir);
    assert.equal(afterEdit.length, 1);
    assert.notDeepEqual(afterEdit, before);
  });

  it('parses again over a corrupt cache file and repairs it', () => {
    const dir = tempDir();
    loadDeviceCatalog({ readFile: () => csv, cacheDir: dir });
    const [file] = readdirSync(dir);
    writeFileSync(join(dir, file!), '[{"device": ');
    assert.deepEqual(loadDeviceCatalog({ readFile: () => csv, cacheDir: dir }).devices, parsed);
    assert.doesNotThrow(() => JSON.parse(readFileSync(join(dir, file!), 'utf8')));
  });

  it('still loads when the cache cannot be written (its folder is a file)', () => {
    const dir = tempDir();
    const notADir = join(dir, 'file');
    writeFileSync(notADir, 'x');
    assert.deepEqual(loadDeviceCatalog({ readFile: () => csv, cacheDir: notADir }).devices, parsed);
  });

  it('never caches a corrupt CSV: the error is the parser’s, every time', () => {
    const dir = tempDir();
    const bad = csv.replace('nvidia-geforce-rtx-4090,NVIDIA,', 'nvidia-geforce-rtx-4090,Nvidya,');
    for (let i = 0; i < 2; i++)
      assert.throws(() => loadDeviceCatalog({ readFile: () => bad, cacheDir: dir }), /nvidia-geforce-rtx-4090/);
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('cachedParse', () => {
  it('parses (and caches nothing) when an input cannot be read', () => {
    const dir = tempDir();
    let calls = 0;
    const unreadable = () => {
      throw new Error('ENOENT');
    };
    for (let i = 0; i < 2; i++)
      assert.equal(
        cachedParse('x', [unreadable], () => ++calls, dir),
        i + 1,
      );
    assert.deepEqual(readdirSync(dir), []);
  });

  it('parses once for the same inputs, again for different ones', () => {
    const dir = tempDir();
    let calls = 0;
    const parse = () => ({ n: ++calls });
    assert.deepEqual(cachedParse('x', [() => 'a'], parse, dir), { n: 1 });
    assert.deepEqual(cachedParse('x', [() => 'a'], parse, dir), { n: 1 });
    assert.deepEqual(cachedParse('x', [() => 'b'], parse, dir), { n: 2 });
    assert.equal(calls, 2);
  });
});

describe('cloud offers through the parsed cache', () => {
  it('are the parsed offers, each on the catalog’s own device object', () => {
    const offers = cloudCatalog();
    assert.deepEqual(offers, loadCloudCatalog());
    assert.ok(offers.offers.length > 0);
    for (const o of offers.offers) assert.equal(o.device, getDevice(o.device.id));
  });

  it('come back the same in a new process (from the cache the first one left)', () => {
    const script = `import('./src/catalog/cloud.ts').then((m) => process.stdout.write(JSON.stringify(m.cloudCatalog())))`;
    const run = () =>
      execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    run();
    assert.equal(run(), JSON.stringify(loadCloudCatalog()));
    assert.equal(JSON.stringify(listDevices()), JSON.stringify(parsed));
  });
});
