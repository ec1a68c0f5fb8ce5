/**
 * Device catalog and name matching. The matching contract, as in detect-gpu: a name resolves to
 * the part it names or to `unknown`; it never resolves to a neighbouring part (a Ti, a Super, the
 * other memory size, the laptop chip of the same number).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { typoRank } from '../../src/catalog/_device-match.ts';
import {
  DEVICE_CATALOG_PATH,
  getDevice,
  listDevices,
  loadDeviceCatalog,
  matchDevice,
  resolveDevice,
} from '../../src/catalog/devices.ts';
import { CatalogError } from '../../src/catalog/errors.ts';

/** The catalog name a query resolves to, or 'unknown'. */
function resolvedName(query: string): string {
  const match = matchDevice(query);
  return match.kind === 'unknown' ? 'unknown' : match.device.name;
}

describe('device catalog', () => {
  const devices = listDevices();

  it('loads at least 90 devices', () => {
    assert.ok(devices.length >= 90, `only ${devices.length} devices`);
  });

  it('gives every device the required fields and a non-empty source', () => {
    for (const d of devices) {
      assert.match(d.id, /^[a-z0-9]+(-[a-z0-9]+)*$/, d.id);
      assert.ok(d.name.length > 0 && d.architecture.length > 0 && d.computeId.length > 0, d.id);
      assert.ok(d.source.trim().length > 0, `${d.id} has no source`);
      assert.ok(d.memoryBandwidthGBs > 0 && d.fp32Tflops > 0, d.id);
      assert.ok(['high', 'medium', 'low'].includes(d.confidence), d.id);
      if (d.segment === 'cpu') assert.equal(d.memoryGiB, null, d.id);
      else assert.ok(d.memoryGiB !== null && d.memoryGiB > 0, `${d.id} has no memory`);
      if (d.pcie) assert.ok(d.pcie.gen >= 1 && d.pcie.lanes >= 1, d.id);
    }
  });

  it('has unique ids', () => {
    const ids = devices.map((d) => d.id);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('finds devices by id', () => {
    assert.equal(getDevice('nvidia-geforce-rtx-4090')?.name, 'GeForce RTX 4090');
    assert.equal(getDevice('no-such-device'), undefined);
  });

  it('maps the published backend text onto the Backend union', () => {
    assert.equal(getDevice('nvidia-geforce-rtx-5090')?.backend, 'cuda');
    assert.equal(getDevice('amd-radeon-rx-7900-xtx')?.backend, 'rocm');
    assert.equal(getDevice('intel-arc-b580')?.backend, 'oneapi');
    assert.equal(getDevice('apple-m2')?.backend, 'metal');
    assert.equal(getDevice('amd-ryzen-7-5800x')?.backend, 'cpu');
  });

  it('uses the FP32-accumulate matrix rate, and none for Apple', () => {
    assert.equal(getDevice('nvidia-geforce-rtx-4090')?.fp16MatrixTflops, 165.2);
    assert.equal(getDevice('nvidia-h100-sxm5-80gb')?.fp16MatrixTflops, 989.4);
    const m2 = getDevice('apple-m2');
    assert.equal(m2?.fp16MatrixTflops, null);
    assert.equal(m2?.fp16VectorTflops, m2?.fp32Tflops);
  });

  it('reads the host link from the form factor', () => {
    assert.deepEqual(getDevice('nvidia-geforce-rtx-4060')?.pcie, { gen: 4, lanes: 8 });
    assert.deepEqual(getDevice('nvidia-geforce-rtx-5090')?.pcie, { gen: 5, lanes: 16 });
    assert.equal(getDevice('nvidia-h100-sxm5-80gb')?.pcie, null);
    assert.equal(getDevice('apple-m2')?.pcie, null);
    assert.equal(getDevice('nvidia-geforce-rtx-4070-laptop-gpu')?.pcie?.gen, 4);
  });

  it('lists Apple memory options with the largest as the catalog memory', () => {
    const m2 = getDevice('apple-m2');
    assert.deepEqual(m2?.memoryOptionsGiB, [8, 16, 24]);
    assert.equal(m2?.memoryGiB, 24);
    assert.equal(m2?.unifiedMemory, true);
  });

  it('resolves every catalog name and id to itself', () => {
    for (const d of devices) {
      for (const query of [d.name, d.id]) {
        const match = matchDevice(query);
        assert.ok(match.kind !== 'unknown' && match.device.id === d.id, `"${query}" → ${resolvedName(query)}`);
      }
    }
  });
});

describe('matchDevice: never a wrong device; unknown allowed', () => {
  /** Spellings users type and drivers report → the catalog name they must resolve to. */
  const spellings: [query: string, expected: string][] = [
    ['NVIDIA GeForce RTX 4070 Laptop GPU', 'GeForce RTX 4070 Laptop GPU'],
    ['NVIDIA GeForce RTX 3060', 'GeForce RTX 3060 12GB'],
    ['AMD Radeon RX 7900 XTX', 'Radeon RX 7900 XTX'],
    ['Radeon RX 7900XTX', 'Radeon RX 7900 XTX'],
    ['rx7900xtx', 'Radeon RX 7900 XTX'],
    ['Apple M2 Pro', 'Apple M2 Pro'],
    ['Apple M2 16GB', 'Apple M2'],
    ['Tesla T4', 'Tesla T4'],
    ['NVIDIA H100 80GB HBM3', 'H100 SXM5 80GB'],
    ['NVIDIA H100 PCIe', 'H100 PCIe 80GB'],
    ['H100', 'H100 SXM5 80GB'],
    ['H100 NVL', 'H100 NVL 94GB'],
    ['NVIDIA A100-SXM4-40GB', 'A100 SXM4 40GB'],
    ['NVIDIA A100-SXM4-80GB', 'A100 SXM4 80GB'],
    ['NVIDIA A100 80GB PCIe', 'A100 PCIe 80GB'],
    ['A100 PCIe', 'A100 PCIe 40GB'],
    ['A100 80GB', 'A100 SXM4 80GB'],
    ['Tesla V100-SXM2-32GB', 'Tesla V100 SXM2 32GB'],
    ['Tesla V100-PCIE-16GB', 'Tesla V100 PCIe 16GB'],
    ['NVIDIA L40S', 'L40S'],
    ['NVIDIA L40', 'L40'],
    ['NVIDIA L4', 'L4'],
    ['NVIDIA A10G', 'A10G (AWS)'],
    ['NVIDIA A10', 'A10'],
    ['Intel(R) Arc(TM) A770 Graphics', 'Arc A770 8GB'],
    ['Intel Arc A770 16GB', 'Arc A770 16GB'],
    ['Intel(R) Arc(TM) B580 Graphics', 'Arc B580'],
    ['NVIDIA RTX A6000', 'RTX A6000'],
    ['RTX A2000', 'RTX A2000 (6GB)'],
    ['RTX A2000 12GB', 'RTX A2000 12GB'],
    ['NVIDIA RTX 6000 Ada Generation', 'RTX 6000 Ada Generation'],
    ['NVIDIA RTX PRO 6000 Blackwell Workstation Edition', 'RTX PRO 6000 Blackwell Workstation Edition'],
    ['RTX PRO 6000 Blackwell Max-Q', 'RTX PRO 6000 Blackwell Max-Q Workstation Edition'],
    ['Quadro RTX 5000 with Max-Q Design', 'Quadro RTX 5000 Max-Q'],
    ['Quadro RTX 5000', 'Quadro RTX 5000'],
    ['rtx4090', 'GeForce RTX 4090'],
    ['4090', 'GeForce RTX 4090'],
    ['RTX 4090 Mobile', 'GeForce RTX 4090 Laptop GPU'],
    ['RTX 4070 Max-Q', 'GeForce RTX 4070 Laptop GPU'],
    ['GeForce GTX 1650', 'GeForce GTX 1650'],
    ['GTX 1650 SUPER', 'GeForce GTX 1650 Super'],
    ['RTX 4070', 'GeForce RTX 4070'],
    ['rtx 4070ti', 'GeForce RTX 4070 Ti'],
    ['RTX 4070 Ti SUPER', 'GeForce RTX 4070 Ti Super'],
    ['3060', 'GeForce RTX 3060 12GB'],
    ['3060 8GB', 'GeForce RTX 3060 8GB'],
    ['RTX 3060 8 GB', 'GeForce RTX 3060 8GB'],
    ['RTX 3060 12G', 'GeForce RTX 3060 12GB'],
    ['RTX 4060 Ti 16GB', 'GeForce RTX 4060 Ti 16GB'],
    ['RX 7900 GRE', 'Radeon RX 7900 GRE'],
    ['Radeon RX 9070 XT', 'Radeon RX 9070 XT'],
    ['AMD Instinct MI300X', 'Instinct MI300X'],
    ['MI250X', 'Instinct MI250X'],
    ['H200', 'H200 SXM 141GB'],
    ['NVIDIA B200', 'B200 (HGX B200, per GPU)'],
    ['AMD Radeon(TM) 8060S Graphics', "Ryzen AI Max+ 395 (Radeon 8060S iGPU, 'Strix Halo')"],
    ['Apple M1 Pro (16-core GPU)', 'Apple M1 Pro'],
    ['Apple M3 Max 36GB', 'Apple M3 Max'],
    ['Apple M4', 'Apple M4'],
    ['GeForce RTX 4090 Founders Edition', 'GeForce RTX 4090'],
    ['nvidia-geforce-rtx-3090', 'GeForce RTX 3090'],
  ];

  for (const [query, expected] of spellings) {
    it(`"${query}" → ${expected}`, () => assert.equal(resolvedName(query), expected));
  }

  /** Distinct `device` names of the evaluation rows (copied from shared/reference/eval-dev.jsonl). */
  const evalDevices: [query: string, expected: string][] = [
    ['AMD Instinct MI100', 'Instinct MI100'],
    ['Apple M1 Max', 'Apple M1 Max'],
    ['GeForce GTX 1060 6GB', 'GeForce GTX 1060 6GB'],
    ['GeForce GTX 1070', 'GeForce GTX 1070'],
    ['GeForce GTX 1080', 'GeForce GTX 1080'],
    ['GeForce GTX 1080 Ti', 'GeForce GTX 1080 Ti'],
    ['GeForce RTX 2060', 'GeForce RTX 2060'],
    ['GeForce RTX 2060 SUPER', 'GeForce RTX 2060 Super'],
    ['GeForce RTX 2070 SUPER', 'GeForce RTX 2070 Super'],
    ['GeForce RTX 2080 SUPER', 'GeForce RTX 2080 Super'],
    ['GeForce RTX 2080 Ti', 'GeForce RTX 2080 Ti'],
    ['GeForce RTX 3050 8GB', 'GeForce RTX 3050 8GB'],
    ['GeForce RTX 3060 Laptop GPU', 'GeForce RTX 3060 Laptop GPU'],
    ['GeForce RTX 3070', 'GeForce RTX 3070'],
    ['GeForce RTX 3070 Laptop GPU', 'GeForce RTX 3070 Laptop GPU'],
    ['GeForce RTX 3070 Ti', 'GeForce RTX 3070 Ti'],
    ['GeForce RTX 3080 10GB', 'GeForce RTX 3080 10GB'],
    ['GeForce RTX 3080 Ti', 'GeForce RTX 3080 Ti'],
    ['GeForce RTX 3090', 'GeForce RTX 3090'],
    ['GeForce RTX 3090 Ti', 'GeForce RTX 3090 Ti'],
    ['GeForce RTX 4060 Laptop GPU', 'GeForce RTX 4060 Laptop GPU'],
    ['GeForce RTX 4070', 'GeForce RTX 4070'],
    ['GeForce RTX 4070 Ti', 'GeForce RTX 4070 Ti'],
    ['GeForce RTX 4090', 'GeForce RTX 4090'],
    ['GeForce RTX 5090', 'GeForce RTX 5090'],
    ['NVIDIA A100', 'A100 SXM4 40GB'],
    ['NVIDIA A100 40GB', 'A100 SXM4 40GB'],
    ['NVIDIA A100 40GB SXM', 'A100 SXM4 40GB'],
    ['NVIDIA A100 80GB', 'A100 SXM4 80GB'],
    ['NVIDIA A100 80GB PCIe', 'A100 PCIe 80GB'],
    ['NVIDIA A100 80GB SXM', 'A100 SXM4 80GB'],
    ['NVIDIA H100', 'H100 SXM5 80GB'],
    ['NVIDIA H100 PCIe', 'H100 PCIe 80GB'],
    ['NVIDIA H100 SXM', 'H100 SXM5 80GB'],
    ['NVIDIA L40S', 'L40S'],
    ['NVIDIA P104-100', 'P104-100'],
    ['NVIDIA RTX A5000', 'RTX A5000'],
    ['NVIDIA RTX A6000', 'RTX A6000'],
    ['Quadro RTX 5000 Max-Q', 'Quadro RTX 5000 Max-Q'],
    ['Radeon RX 6800', 'Radeon RX 6800'],
    ['Radeon RX 6900 XT', 'Radeon RX 6900 XT'],
    ['Radeon RX 7900 XT', 'Radeon RX 7900 XT'],
    ['TITAN RTX', 'TITAN RTX'],
    ['Tesla P40', 'Tesla P40'],
    ['Tesla T4', 'Tesla T4'],
    ['Tesla V100', 'Tesla V100 SXM2 16GB'],
    ['Tesla V100 PCIe 16GB', 'Tesla V100 PCIe 16GB'],
    ['Tesla V100 SXM2 16GB', 'Tesla V100 SXM2 16GB'],
  ];

  it('resolves every device name used by the evaluation rows', () => {
    const wrong = evalDevices
      .filter(([q, expected]) => resolvedName(q) !== expected)
      .map(([q]) => `${q} → ${resolvedName(q)}`);
    assert.deepEqual(wrong, []);
  });

  /** Queries that must not land on the neighbouring part: [query, the part it must not be]. */
  const nearMisses: [query: string, mustNotBe: string][] = [
    ['RTX 4070', 'GeForce RTX 4070 Ti'],
    ['RTX 4070', 'GeForce RTX 4070 Super'],
    ['RTX 4070 Ti', 'GeForce RTX 4070 Ti Super'],
    ['RTX 4070 Super', 'GeForce RTX 4070 Ti Super'],
    ['RTX 4060 Ti', 'GeForce RTX 4060'],
    ['RTX 4060', 'GeForce RTX 4060 Ti 8GB'],
    ['RTX 4060 Ti 16GB', 'GeForce RTX 4060 Ti 8GB'],
    ['RX 7900 XT', 'Radeon RX 7900 XTX'],
    ['RX 7900 XTX', 'Radeon RX 7900 XT'],
    ['RX 7900 GRE', 'Radeon RX 7900 XT'],
    ['RTX 4090 Laptop', 'GeForce RTX 4090'],
    ['RTX 4090', 'GeForce RTX 4090 Laptop GPU'],
    ['RTX 3060', 'GeForce RTX 3060 Laptop GPU'],
    ['RTX 3060 Laptop GPU', 'GeForce RTX 3060 12GB'],
    ['RTX 3060 Ti', 'GeForce RTX 3060 12GB'],
    ['A10', 'A10G (AWS)'],
    ['L40', 'L40S'],
    ['MI250', 'Instinct MI250X'],
    ['Tesla V100', 'Tesla V100S PCIe 32GB'],
    ['Apple M2', 'Apple M2 Pro'],
    ['Apple M2 Max', 'Apple M2 Ultra'],
    ['Quadro RTX 5000', 'Quadro RTX 5000 Max-Q'],
    ['RTX PRO 6000', 'RTX PRO 6000 Blackwell Max-Q Workstation Edition'],
    ['RTX 6000', 'RTX PRO 6000 Blackwell Workstation Edition'],
  ];

  for (const [query, mustNotBe] of nearMisses) {
    it(`"${query}" is not ${mustNotBe}`, () => assert.notEqual(resolvedName(query), mustNotBe));
  }

  it('never crosses between laptop and desktop parts, for any catalog name', () => {
    const segmentOf = (query: string) => {
      const match = matchDevice(query);
      return match.kind === 'unknown' ? 'unknown' : match.device.segment;
    };
    for (const d of listDevices()) {
      if (d.segment === 'consumer_desktop') {
        assert.ok(['unknown', 'consumer_laptop'].includes(segmentOf(`${d.name} Laptop GPU`)), d.name);
      }
      if (d.segment === 'consumer_laptop') {
        assert.ok(['unknown', 'consumer_desktop'].includes(segmentOf(d.name.replace(/Laptop GPU/, ''))), d.name);
      }
    }
  });

  it('never drops a significant suffix, for any catalog name', () => {
    for (const d of listDevices()) {
      for (const suffix of [' Ti', ' Super', ' XTX', ' XT', ' GRE', ' Pro', ' Max', ' Ultra']) {
        if (!d.name.includes(suffix)) continue;
        const shortened = d.name.replace(suffix, '');
        assert.notEqual(resolvedName(shortened), d.name, `"${shortened}"`);
      }
    }
  });

  /** Names with no catalog part behind them, or naming two parts at once. */
  const unknowns = [
    'RTX 9999',
    'RTX 4090 48GB',
    'GeForce RTX 4090 D',
    'Titan Xp',
    'Apple M2 32GB',
    'RTX 5000',
    'Quadro RTX 5000 Mobile',
    'GTX 4090',
    'NVIDIA',
    '',
  ];

  for (const query of unknowns) {
    it(`"${query}" is unknown`, () => assert.equal(matchDevice(query).kind, 'unknown'));
  }

  it('suggests up to three close names for an unknown query', () => {
    const match = matchDevice('RTX 9999');
    assert.equal(match.kind, 'unknown');
    if (match.kind !== 'unknown') return;
    assert.ok(match.suggestions.length > 0 && match.suggestions.length <= 3);
    assert.ok(match.suggestions.includes('GeForce RTX 4090'), match.suggestions.join(', '));
  });

  // Swapped digits are the commonest slip in a model number: the part meant comes first.
  const typos: [string, string][] = [
    ['RTX 4900', 'GeForce RTX 4090'],
    ['RTX 3600 12GB', 'GeForce RTX 3060 12GB'],
    ['NVIDIA GeForce RTX 4007 Ti', 'GeForce RTX 4070 Ti'],
    ['RTX 4080 Sper', 'GeForce RTX 4080 Super'],
  ];
  for (const [typed, meant] of typos) {
    it(`"${typed}" is unknown and suggests ${meant} first`, () => {
      const match = matchDevice(typed);
      assert.equal(match.kind, 'unknown');
      assert.equal(match.kind === 'unknown' ? match.suggestions[0] : null, meant);
    });
  }

  it('typoRank: neighbours swapped rank before one wrong character; other lengths never', () => {
    assert.deepEqual(
      [
        typoRank('4900', '4090'),
        typoRank('4080', '4070'),
        typoRank('4090', '4090'),
        typoRank('409', '4090'),
        typoRank('9400', '4090'),
      ],
      [1, 2, 0, 0, 0],
    );
  });

  it('offers both parts when a name is ambiguous between two products', () => {
    const match = matchDevice('RTX 5000');
    assert.equal(match.kind, 'unknown');
    if (match.kind !== 'unknown') return;
    assert.ok(match.suggestions.includes('Quadro RTX 5000'));
    assert.ok(match.suggestions.includes('RTX 5000 Ada Generation'));
  });

  it('calls a fully named part exact and a chosen variant matched, with a note', () => {
    assert.equal(matchDevice('NVIDIA GeForce RTX 4070 Laptop GPU').kind, 'exact');
    const chosen = matchDevice('RTX 3060');
    assert.equal(chosen.kind, 'matched');
    assert.match(chosen.kind === 'matched' ? (chosen.note ?? '') : '', /3060 8GB/);
  });

  it('sets Apple memory from the query on a copy, and only to a size that exists', () => {
    const match = matchDevice('Apple M2 16GB');
    assert.equal(match.kind, 'matched');
    if (match.kind !== 'matched') return;
    assert.equal(match.device.memoryGiB, 16);
    assert.match(match.note ?? '', /16 GiB/);
    assert.equal(getDevice('apple-m2')?.memoryGiB, 24, 'the catalog entry is unchanged');
    assert.equal(matchDevice('Apple M2 12GB').kind, 'unknown');
  });
});

describe('resolveDevice', () => {
  it('returns the device for a known name', () => {
    assert.equal(resolveDevice('RTX 4090').id, 'nvidia-geforce-rtx-4090');
  });

  it('throws a one-line CatalogError with suggestions for an unknown name', () => {
    assert.throws(
      () => resolveDevice('RTX 9999'),
      (error: unknown) =>
        error instanceof CatalogError &&
        error.code === 'unknown-device' &&
        /^unknown device "RTX 9999"; did you mean: .*GeForce RTX 4090.*\?$/.test(error.message) &&
        !error.message.includes('\n'),
    );
  });
});

describe('loadDeviceCatalog with a corrupt file', () => {
  const good = readFileSync(DEVICE_CATALOG_PATH, 'utf8');
  const [header = '', ...lines] = good.trimEnd().split('\n');
  const columns = header.split(',');

  /**
   * The catalog with one field of the 4090 row replaced. Splitting on commas is safe for the
   * columns patched here: they all come before the first quoted field (verified_in).
   */
  function withField(column: string, value: string): string {
    const index = columns.indexOf(column);
    const patched = lines.map((line) => {
      if (!line.startsWith('nvidia-geforce-rtx-4090,')) return line;
      const fields = line.split(',');
      fields[index] = value;
      return fields.join(',');
    });
    return [header, ...patched].join('\n');
  }

  const load = (text: string) => loadDeviceCatalog({ readFile: () => text });

  it('loads the real file through the seam', () => {
    assert.equal(load(good).devices.length, listDevices().length);
  });

  const corruptions: [column: string, value: string, message: RegExp][] = [
    ['fp32_tflops', 'fast', /field "fp32_tflops"/],
    ['memory_gib', '-1', /field "memory_gib"/],
    ['backend', 'vulkan', /field "backend"/],
    ['bf16_support', 'maybe', /field "bf16_support"/],
    ['pcie_lanes', '', /field "pcie_lanes"/],
  ];

  for (const [column, value, message] of corruptions) {
    it(`names the row and the field for a bad ${column}`, () => {
      assert.throws(
        () => load(withField(column, value)),
        (error: unknown) =>
          error instanceof CatalogError &&
          error.code === 'invalid-catalog' &&
          error.message.includes('nvidia-geforce-rtx-4090') &&
          message.test(error.message),
      );
    });
  }

  it('rejects a duplicate id', () => {
    const duplicate = [header, lines[0] ?? '', lines[0] ?? ''].join('\n');
    assert.throws(
      () => load(duplicate),
      (error: unknown) => error instanceof CatalogError && /duplicate id/.test(error.message),
    );
  });

  it('rejects a truncated row', () => {
    const truncated = [header, 'nvidia-x,NVIDIA,X'].join('\n');
    assert.throws(
      () => load(truncated),
      (error: unknown) => error instanceof CatalogError && /nvidia-x/.test(error.message),
    );
  });

  it('wraps a reader failure in a CatalogError', () => {
    const failing = () => {
      throw new Error('ENOENT');
    };
    assert.throws(
      () => loadDeviceCatalog({ readFile: failing }),
      (error: unknown) => error instanceof CatalogError,
    );
  });
});
