/**
 * One conformance suite for every probe adapter, fed by captured tool output in
 * test/fixtures/probe (sources in SOURCES.md). The contract: never a wrong GPU, never a throw,
 * never a hang; what cannot be read is unknown (null) and explained by a note.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sourced } from '../../src/probe/_shared.ts';
import { fakeProbe } from '../../src/probe/fake.ts';
import { probeDrm, readerFromSnapshot, type SysfsSnapshot } from '../../src/probe/linux-drm.ts';
import { parseSysctl, parseSystemProfiler } from '../../src/probe/macos.ts';
import { NVIDIA_CORE_FIELDS, nvidiaSmiArgs, parseNvidiaSmi } from '../../src/probe/nvidia-smi.ts';
import { ADAPTERS, PLATFORM_ADAPTERS } from '../../src/probe/platforms.ts';
import { defaultExec, mergeGpus, probeMachine, runAdapter } from '../../src/probe/probe.ts';
import { parseRocmSmi } from '../../src/probe/rocm-smi.ts';
import { filesystemFor, gpusFromGraphics, parseCpuFlags } from '../../src/probe/system.ts';
import type {
  AdapterName,
  AdapterOutcome,
  AdapterOutcomeKind,
  Exec,
  ExecResult,
  HostBasics,
  Platform,
  ProbeContext,
  ProbeResult,
  ReadFile,
  SystemInfoSource,
} from '../../src/probe/types.ts';
import { MEMORY_VALUE, parseWindowsRegistry } from '../../src/probe/windows.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const FIXTURES = fileURLToPath(new URL('../fixtures/probe/', import.meta.url));
const fixture = (path: string): string => readFileSync(FIXTURES + path, 'utf8');

// ---------------------------------------------------------------------------------------------
// Fixture table: each captured output beside what it must parse to.

interface Expect {
  outcome: AdapterOutcomeKind;
  /** Names in order; their count is the GPU count. */
  names?: string[];
  /** memory.total per GPU in bytes; null = unknown. */
  totals?: (number | null)[];
  /** Further checks on the parsed outcome. */
  check?: (o: AdapterOutcome) => void;
}

interface FixtureCase {
  adapter: AdapterName;
  files: string[];
  /** A bad input: must not throw, and must end not-ok or with zero GPUs, with a note. */
  bad?: true;
  expect?: Expect;
}

const PARSERS: Record<
  Exclude<AdapterName, 'system'>,
  (...texts: string[]) => AdapterOutcome | Promise<AdapterOutcome>
> = {
  'nvidia-smi': (text) => parseNvidiaSmi(text ?? ''),
  'rocm-smi': (text) => parseRocmSmi(text ?? ''),
  'linux-drm': (json) => probeDrm(readerFromSnapshot(JSON.parse(json ?? '{}') as SysfsSnapshot)),
  macos: (displays, sysctl) =>
    parseSystemProfiler(displays ?? '', sysctl === undefined ? null : parseSysctl(sysctl).memBytes),
  windows: (memory, names) => parseWindowsRegistry(memory ?? '', names ?? ''),
};

const CASES: FixtureCase[] = [
  // nvidia-smi ------------------------------------------------------------------------------
  {
    adapter: 'nvidia-smi',
    files: ['nvidia-smi/rtx3090-single.txt'],
    expect: {
      outcome: 'ok',
      names: ['NVIDIA GeForce RTX 3090'],
      totals: [24576 * MiB],
      check: (o) => {
        const g = o.gpus[0]!;
        assert.equal(g.memoryUsedBytes?.value, 15005 * MiB);
        assert.equal(g.memoryFreeBytes?.value, 9195 * MiB);
        assert.equal(g.driverVersion, '580.142');
        assert.equal(g.powerLimitW?.value, 420);
        assert.equal(g.powerMaxW, 450);
        assert.deepEqual(g.pcie, { gen: 4, lanes: 16, maxGen: 4, maxLanes: 16 });
        assert.equal(g.migMode, undefined);
        assert.equal(g.backendHint, 'cuda');
        assert.deepEqual(g.memoryTotalBytes?.from, { source: 'nvidia-smi', confidence: 'measured' });
      },
    },
  },
  {
    adapter: 'nvidia-smi',
    files: ['nvidia-smi/rtx5090-two-gpus.txt'],
    expect: {
      outcome: 'ok',
      names: ['NVIDIA GeForce RTX 5090', 'NVIDIA GeForce RTX 5090'],
      totals: [32607 * MiB, 32607 * MiB],
      check: (o) =>
        assert.deepEqual(
          o.gpus.map((g) => g.index),
          [0, 1],
        ),
    },
  },
  {
    adapter: 'nvidia-smi',
    files: ['nvidia-smi/a100-mig-enabled.txt'],
    expect: {
      outcome: 'ok',
      names: ['A100-SXM4-40GB', 'A100-SXM4-40GB'],
      totals: [40536 * MiB, 40536 * MiB],
      check: (o) => {
        assert.equal(o.gpus[0]!.migMode, true);
        assert.equal(o.gpus[0]!.memoryUsedBytes, null);
        assert.equal(o.gpus[0]!.memoryFreeBytes, null);
        assert.equal(o.gpus[1]!.migMode, false);
        assert.ok(o.notes.some((n) => /MIG is enabled on GPU 0/.test(n)));
      },
    },
  },
  {
    adapter: 'nvidia-smi',
    files: ['nvidia-smi/a800-pcie-two-gpus.txt'],
    expect: {
      outcome: 'ok',
      names: ['NVIDIA A800 80GB PCIe', 'NVIDIA A800 80GB PCIe'],
      totals: [81920 * MiB, 81920 * MiB],
      check: (o) => assert.deepEqual(o.gpus[0]!.pcie, { gen: 1, lanes: 16, maxGen: 4, maxLanes: 16 }),
    },
  },
  {
    adapter: 'nvidia-smi',
    files: ['nvidia-smi/laptop-not-supported.txt'],
    expect: {
      outcome: 'ok',
      names: ['GeForce GTX 960M'],
      totals: [2004 * MiB],
      check: (o) => {
        assert.equal(o.gpus[0]!.powerLimitW, undefined);
        assert.equal(o.gpus[0]!.powerMaxW, undefined);
        assert.equal(o.gpus[0]!.driverVersion, '440.64');
      },
    },
  },
  {
    adapter: 'nvidia-smi',
    files: ['nvidia-smi/rtx4090-windows-crlf.txt'],
    expect: { outcome: 'ok', names: ['NVIDIA GeForce RTX 4090'], totals: [24564 * MiB] },
  },
  {
    adapter: 'nvidia-smi',
    files: ['nvidia-smi/l40s-pcie-idle-link.txt'],
    expect: {
      outcome: 'ok',
      names: Array(4).fill('NVIDIA L40S') as string[],
      totals: Array(4).fill(46068 * MiB) as number[],
    },
  },
  {
    adapter: 'nvidia-smi',
    files: ['nvidia-smi/inforom-warning-line.txt'],
    expect: {
      outcome: 'ok',
      names: ['Quadro P4000'],
      totals: [8105 * MiB],
      check: (o) => assert.ok(o.notes.some((n) => n.includes('infoROM'))),
    },
  },
  {
    adapter: 'nvidia-smi',
    files: ['nvidia-smi/second-row-truncated.txt'],
    expect: {
      outcome: 'ok',
      names: ['NVIDIA GeForce RTX 4090'],
      totals: [24564 * MiB],
      check: (o) => assert.ok(o.notes.some((n) => /cut off/.test(n))),
    },
  },
  {
    adapter: 'nvidia-smi',
    files: ['nvidia-smi/driver-failed.txt'],
    bad: true,
    expect: { outcome: 'unparseable', check: (o) => assert.equal(o.detail, 'driver-unavailable') },
  },
  { adapter: 'nvidia-smi', files: ['nvidia-smi/empty.txt'], bad: true, expect: { outcome: 'unparseable' } },
  { adapter: 'nvidia-smi', files: ['nvidia-smi/truncated.txt'], bad: true, expect: { outcome: 'unparseable' } },
  { adapter: 'nvidia-smi', files: ['nvidia-smi/absurd-memory.txt'], bad: true, expect: { outcome: 'unparseable' } },
  { adapter: 'nvidia-smi', files: ['nvidia-smi/garbage-binary.txt'], bad: true, expect: { outcome: 'unparseable' } },
  { adapter: 'nvidia-smi', files: ['nvidia-smi/no-devices.txt'], bad: true, expect: { outcome: 'ok', names: [] } },
  {
    adapter: 'nvidia-smi',
    files: ['nvidia-smi/rtx2080-invalid-field.txt'],
    bad: true,
    expect: { outcome: 'unparseable' },
  },

  // rocm-smi --------------------------------------------------------------------------------
  {
    adapter: 'rocm-smi',
    files: ['rocm-smi/rx7900xt.json'],
    expect: {
      outcome: 'ok',
      names: ['Radeon RX 7900 XT'],
      totals: [21458059264],
      check: (o) => {
        const g = o.gpus[0]!;
        assert.equal(g.memoryUsedBytes?.value, 27856896);
        assert.deepEqual(g.memoryFreeBytes, {
          value: 21458059264 - 27856896,
          from: { source: 'rocm-smi', confidence: 'derived' },
        });
        assert.equal(g.backendHint, 'rocm');
        assert.equal(g.integrated, false);
      },
    },
  },
  {
    adapter: 'rocm-smi',
    files: ['rocm-smi/rx6800-two-cards.json'],
    expect: {
      outcome: 'ok',
      names: ['Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]', 'Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]'],
      totals: [17163091968, 17163091968],
    },
  },
  {
    adapter: 'rocm-smi',
    files: ['rocm-smi/mi250x.json'],
    expect: { outcome: 'ok', names: ['AMD INSTINCT MI200 (MCM) OAM LC MBA HPE C2'], totals: [68702699520] },
  },
  {
    adapter: 'rocm-smi',
    files: ['rocm-smi/mi100-warning-hex-names.json'],
    expect: { outcome: 'ok', names: ['AMD GPU 0xc34'], totals: [34342961152] },
  },
  {
    adapter: 'rocm-smi',
    files: ['rocm-smi/apu-780m-no-vram-keys.json'],
    expect: {
      outcome: 'ok',
      names: ['Phoenix3'],
      totals: [null],
      check: (o) => assert.ok(o.notes.some((n) => /does not report VRAM/.test(n))),
    },
  },
  {
    adapter: 'rocm-smi',
    files: ['rocm-smi/not-object.json'],
    bad: true,
    expect: { outcome: 'unparseable', check: (o) => assert.equal(o.detail, 'not-object') },
  },
  { adapter: 'rocm-smi', files: ['rocm-smi/truncated.json'], bad: true, expect: { outcome: 'unparseable' } },
  { adapter: 'rocm-smi', files: ['rocm-smi/empty.txt'], bad: true, expect: { outcome: 'unparseable' } },
  { adapter: 'rocm-smi', files: ['rocm-smi/absurd-vram.json'], bad: true, expect: { outcome: 'unparseable' } },

  // linux-drm (sysfs) -----------------------------------------------------------------------
  {
    adapter: 'linux-drm',
    files: ['linux-drm/raphael-igpu-plus-rx7900xtx.json'],
    expect: {
      outcome: 'ok',
      names: ['AMD GPU [1002:164e]', 'AMD GPU [1002:744c]'],
      totals: [536870912, 25753026560],
      check: (o) => {
        assert.deepEqual(
          o.gpus.map((g) => g.integrated),
          [true, false],
        );
        assert.equal(o.gpus[1]!.memoryUsedBytes?.value, 1392271360);
        assert.equal(o.gpus[1]!.name.from.confidence, 'derived');
      },
    },
  },
  {
    adapter: 'linux-drm',
    files: ['linux-drm/aspeed-plus-two-nvidia.json'],
    expect: {
      outcome: 'ok',
      names: ['NVIDIA GPU [10de:2b85]', 'NVIDIA GPU [10de:2b85]'],
      totals: [null, null],
      check: (o) => {
        assert.deepEqual(
          o.gpus.map((g) => g.index),
          [1, 2],
        );
        assert.ok(o.notes.some((n) => /card0 .*1a03.*not a GPU/.test(n)));
      },
    },
  },
  {
    adapter: 'linux-drm',
    files: ['linux-drm/intel-uhd770-plus-arc-a770.json'],
    expect: {
      outcome: 'ok',
      names: ['Intel GPU [8086:4680]', 'Intel GPU [8086:56a0]'],
      totals: [null, null],
      check: (o) =>
        assert.deepEqual(
          o.gpus.map((g) => [g.integrated, g.backendHint]),
          [
            [true, 'oneapi'],
            [false, 'oneapi'],
          ],
        ),
    },
  },
  { adapter: 'linux-drm', files: ['linux-drm/absurd-vram.json'], bad: true, expect: { outcome: 'ok', names: [] } },
  { adapter: 'linux-drm', files: ['linux-drm/virtio-only.json'], bad: true, expect: { outcome: 'ok', names: [] } },

  // windows registry ------------------------------------------------------------------------
  {
    adapter: 'windows',
    files: ['windows/rx7900xt-qwmemorysize.txt', 'windows/rx7900xt-driverdesc.txt'],
    expect: {
      outcome: 'ok',
      names: ['AMD Radeon RX 7900 XT'],
      totals: [0x4ff000000],
      check: (o) => {
        const g = o.gpus[0]!;
        assert.equal(g.vendor, 'AMD');
        assert.equal(g.backendHint, 'directml');
        assert.equal(g.memoryFreeBytes, null);
        assert.deepEqual(g.memoryTotalBytes?.from, { source: 'windows-registry', confidence: 'reported' });
        assert.ok(o.notes.some((n) => /virtual/.test(n)));
        assert.ok(o.notes.some((n) => /free GPU memory is unknown/.test(n)));
      },
    },
  },
  {
    adapter: 'windows',
    files: ['windows/rtx4080super-qwmemorysize.txt', 'windows/rtx4080super-driverdesc.txt'],
    expect: {
      outcome: 'ok',
      names: ['NVIDIA GeForce RTX 4080 SUPER'],
      totals: [16376 * MiB],
      check: (o) => assert.equal(o.gpus[0]!.index, 2),
    },
  },
  {
    adapter: 'windows',
    files: ['windows/hybrid-fr-qwmemorysize.txt', 'windows/hybrid-fr-driverdesc.txt'],
    expect: {
      outcome: 'ok',
      names: ['NVIDIA GeForce RTX 4080 SUPER', 'AMD Radeon(TM) Graphics'],
      totals: [16376 * MiB, 512 * MiB],
      check: (o) =>
        assert.deepEqual(
          o.gpus.map((g) => g.integrated),
          [false, true],
        ),
    },
  },
  {
    adapter: 'windows',
    files: ['windows/key-not-found.txt', 'windows/key-not-found.txt'],
    bad: true,
    expect: { outcome: 'unparseable' },
  },

  // macOS -----------------------------------------------------------------------------------
  {
    adapter: 'macos',
    files: ['macos/m2pro-displays.json', 'macos/m2pro-sysctl.txt'],
    expect: {
      outcome: 'ok',
      names: ['Apple M2 Pro'],
      totals: [16 * GiB],
      check: (o) => {
        const g = o.gpus[0]!;
        assert.equal(g.unifiedMemory, true);
        assert.equal(g.backendHint, 'metal');
        assert.deepEqual(g.memoryTotalBytes?.from, { source: 'sysctl', confidence: 'measured' });
        assert.ok(o.notes.some((n) => /16 GPU cores/.test(n)));
      },
    },
  },
  {
    adapter: 'macos',
    files: ['macos/m3pro-displays.json'],
    expect: { outcome: 'ok', names: ['Apple M3 Pro'], totals: [null] },
  },
  {
    adapter: 'macos',
    files: ['macos/m1-legacy-khw-displays.json'],
    expect: { outcome: 'ok', names: ['Apple M1'], totals: [null] },
  },
  {
    adapter: 'macos',
    files: ['macos/intel-mac-dual-gpu-displays.json', 'macos/intel-mac-sysctl.txt'],
    expect: {
      outcome: 'ok',
      names: ['Intel UHD Graphics 630', 'AMD Radeon Pro 5300M'],
      totals: [1536 * MiB, 4 * GiB],
      check: (o) => {
        assert.deepEqual(
          o.gpus.map((g) => g.vendor),
          ['Intel', 'AMD'],
        );
        assert.deepEqual(
          o.gpus.map((g) => g.integrated),
          [true, false],
        );
      },
    },
  },
  { adapter: 'macos', files: ['macos/not-object.json'], bad: true, expect: { outcome: 'unparseable' } },
  { adapter: 'macos', files: ['macos/empty-list.json'], bad: true, expect: { outcome: 'ok', names: [] } },
  { adapter: 'macos', files: ['macos/truncated.json'], bad: true, expect: { outcome: 'unparseable' } },
];

describe('every fixture parses to its expected GPUs', () => {
  for (const c of CASES) {
    test(`${c.adapter}: ${c.files.join(' + ')}${c.bad ? ' (bad input)' : ''}`, async () => {
      const parse = PARSERS[c.adapter as Exclude<AdapterName, 'system'>];
      const outcome = await parse(...c.files.map(fixture));
      if (c.bad) {
        assert.ok(outcome.kind !== 'ok' || outcome.gpus.length === 0, 'a bad input yields no GPU');
        assert.ok(outcome.notes.length > 0, 'a bad input is explained by a note');
      }
      if (outcome.kind !== 'ok') assert.ok(outcome.notes.length > 0, 'a non-ok outcome carries a note');
      const e = c.expect;
      if (e === undefined) return;
      assert.equal(outcome.kind, e.outcome, outcome.notes.join(' | '));
      if (e.names)
        assert.deepEqual(
          outcome.gpus.map((g) => g.name.value),
          e.names,
        );
      if (e.totals)
        assert.deepEqual(
          outcome.gpus.map((g) => g.memoryTotalBytes?.value ?? null),
          e.totals,
        );
      for (const g of outcome.gpus) {
        assert.ok(g.name.value.trim() !== '' && !/[\r\n\0]/.test(g.name.value), 'names are clean single lines');
        if (g.memoryTotalBytes)
          assert.ok(
            g.memoryTotalBytes.value >= 16 * MiB && g.memoryTotalBytes.value <= 2048 * GiB,
            'memory is plausible',
          );
      }
      e.check?.(outcome);
    });
  }
});

describe('system facts parse from captured output', () => {
  test('x86 /proc/cpuinfo of this Xeon VM: AVX2, AVX-512 and AMX tiles', () => {
    assert.deepEqual(parseCpuFlags(fixture('system/proc-cpuinfo-xeon-vm.txt'), 'x64'), {
      avx2: true,
      avx512: true,
      avx512Halves: false,
      amx: true,
      neon: false,
    });
  });
  test('arm64 /proc/cpuinfo (Asahi Linux on M1): NEON via asimd, no x86 flags', () => {
    assert.deepEqual(parseCpuFlags(fixture('system/proc-cpuinfo-arm64-asahi.txt'), 'arm64'), {
      avx2: false,
      avx512: false,
      avx512Halves: false,
      amx: false,
      neon: true,
    });
  });
  test('si.cpuFlags() text (space-separated, no "flags:" prefix)', () => {
    assert.deepEqual(parseCpuFlags('fpu sse2 avx avx2 fma', 'x64'), {
      avx2: true,
      avx512: false,
      avx512Halves: false,
      amx: false,
      neon: false,
    });
  });
  test('AVX-512 on 256-bit halves: AMD family 25 with avx512f (Zen 4), from /proc/cpuinfo or systeminformation', async () => {
    const cpuinfo = (vendor: string, family: number, flags: string) =>
      `processor\t: 0\nvendor_id\t: ${vendor}\ncpu family\t: ${family}\nmodel\t\t: 97\nflags\t\t: fpu sse2 avx avx2 fma ${flags}\n`;
    const halves = (text: string) => parseCpuFlags(text, 'x64').avx512Halves;
    assert.equal(halves(cpuinfo('AuthenticAMD', 25, 'avx512f avx512bw avx512_bf16')), true); // Zen 4
    assert.equal(halves(cpuinfo('AuthenticAMD', 25, '')), false); // Zen 3: no AVX-512 at all
    assert.equal(halves(cpuinfo('AuthenticAMD', 26, 'avx512f avx512bw')), false); // Zen 5: full width
    assert.equal(halves(cpuinfo('GenuineIntel', 6, 'avx512f avx512bw amx_tile')), false);
    const si = fakeSi({
      cpu: async () => ({
        manufacturer: 'AMD',
        brand: 'Ryzen 9 7950X 16-Core Processor',
        vendor: 'AuthenticAMD',
        family: '25',
        speed: 4.5,
        speedMax: 5.88,
        cores: 32,
        physicalCores: 16,
      }),
      cpuFlags: async () => 'fpu sse2 avx avx2 fma avx512f avx512bw',
    });
    const r = await probeMachine(ctx('linux', { si }));
    assert.deepEqual(r.cpu.simd, { avx2: true, avx512: true, avx512Halves: true, amx: false, neon: false });
  });
  test("systeminformation graphics() on an Intel Mac: shared iGPU memory unknown, dGPU VRAM 'reported'", () => {
    const { controllers } = JSON.parse(fixture('system/si-graphics-intel-mac.json')) as { controllers: [] };
    const { gpus } = gpusFromGraphics(controllers, 'darwin');
    assert.deepEqual(
      gpus.map((g) => [g.name.value, g.vendor, g.integrated, g.memoryTotalBytes?.value ?? null]),
      [
        ['Intel UHD Graphics 630', 'Intel', true, null],
        ['AMD Radeon Pro 5300M', 'AMD', false, 4 * GiB],
      ],
    );
    assert.equal(gpus[1]!.memoryTotalBytes?.from.confidence, 'reported');
  });
  test('systeminformation VRAM is dropped where it is known to be wrong (Linux BAR size, WMI 4 GiB cap)', () => {
    const card = {
      vendor: 'Advanced Micro Devices, Inc. [AMD/ATI]',
      model: 'Navi 31 [Radeon RX 7900 XT]',
      bus: 'PCI',
      vram: 256,
      vramDynamic: false,
    };
    assert.equal(gpusFromGraphics([card], 'linux').gpus[0]!.memoryTotalBytes, null);
    assert.equal(gpusFromGraphics([{ ...card, vram: 4095 }], 'win32').gpus[0]!.memoryTotalBytes, null);
    assert.equal(
      gpusFromGraphics(
        [
          {
            vendor: 'ASPEED Technology, Inc.',
            model: 'ASPEED Graphics Family',
            bus: 'PCI',
            vram: 8,
            vramDynamic: false,
          },
        ],
        'linux',
      ).gpus.length,
      0,
    );
  });
  test('free disk is measured on the filesystem holding the path (longest mount wins)', () => {
    const fs = [
      { fs: '/dev/sda1', mount: '/', size: 100 * GiB, available: 10 * GiB },
      { fs: '/dev/sdb1', mount: '/home', size: 900 * GiB, available: 400 * GiB },
    ];
    assert.equal(filesystemFor(fs, '/home/ada/.cache', 'linux')?.mount, '/home');
    assert.equal(filesystemFor(fs, '/homework', 'linux')?.mount, '/');
    assert.equal(
      filesystemFor([{ fs: 'C:', mount: 'C:', size: 1, available: 1 }], 'C:\\Users\\ada\\AppData\\Local', 'win32')
        ?.mount,
      'C:',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Fakes for the seams

const TOOL_TIMEOUT = 200;

function fakeSi(over: Partial<Record<keyof SystemInfoSource, () => Promise<unknown>>> = {}): SystemInfoSource {
  const base: SystemInfoSource = {
    cpu: async () => ({
      manufacturer: 'Intel',
      brand: 'Core™ i7-12700K',
      vendor: 'GenuineIntel',
      speed: 3.6,
      speedMax: 5.0,
      cores: 20,
      physicalCores: 12,
    }),
    cpuFlags: async () => 'fpu sse sse2 avx avx2 fma',
    mem: async () => ({ total: 32 * GiB }),
    osInfo: async () => ({ platform: 'linux', distro: 'Ubuntu', release: '24.04', kernel: '6.8.0', arch: 'x64' }),
    fsSize: async () => [
      { fs: '/dev/nvme0n1p2', mount: '/', size: 500 * GiB, available: 120 * GiB },
      { fs: '/dev/nvme1n1p1', mount: '/home', size: 2000 * GiB, available: 900 * GiB },
    ],
    graphics: async () => ({ controllers: [] }),
  };
  return { ...base, ...(over as Partial<SystemInfoSource>) };
}

const hostBasics = (): HostBasics => ({
  cpuModel: 'Fallback CPU',
  logicalCpus: 4,
  totalMemBytes: 8 * GiB,
  release: 'Linux 6.8',
});
const never = <T>(): Promise<T> => new Promise<T>(() => {});

type ExecTable = Record<string, ExecResult | (() => Promise<ExecResult>)>;

/** Exec answering by command name (and, for nvidia-smi, by query); anything else is missing. */
function fakeExec(table: ExecTable): Exec {
  return async (cmd, args) => {
    const key = [`${cmd} ${args.join(' ')}`, `${cmd} ${args[args.length - 1] ?? ''}`, cmd].find((k) => k in table);
    const hit = key === undefined ? undefined : table[key];
    if (hit === undefined) return { kind: 'missing' };
    return typeof hit === 'function' ? hit() : hit;
  };
}

function ctx(platform: Platform, over: Partial<ProbeContext> = {}): Partial<ProbeContext> {
  return {
    platform,
    arch: platform === 'darwin' ? 'arm64' : 'x64',
    exec: fakeExec({}),
    readFile: async () => null,
    si: fakeSi(),
    hostBasics,
    // A faked machine's clock is what its systeminformation says, unless a test measures one.
    coreClock: () => null,
    env: {},
    homedir: platform === 'win32' ? 'C:\\Users\\ada' : platform === 'darwin' ? '/Users/ada' : '/home/ada',
    toolTimeoutMs: TOOL_TIMEOUT,
    ...over,
  };
}

const okOut = (stdout: string): ExecResult => ({ kind: 'ok', stdout });

// ---------------------------------------------------------------------------------------------
// Every adapter, same contract

describe('every adapter honours the port contract', () => {
  const allowedWhenMissing: AdapterOutcomeKind[] = ['tool-missing', 'not-applicable', 'ok', 'unparseable'];
  for (const name of Object.keys(ADAPTERS) as AdapterName[]) {
    const adapter = ADAPTERS[name];

    test(`${name}: missing tools and files end as an outcome with a note, not a throw`, async () => {
      const failingSi = fakeSi(
        Object.fromEntries(Object.keys(fakeSi()).map((k) => [k, async () => Promise.reject(new Error('boom'))])),
      );
      const o = await runAdapter(adapter, ctx(adapter.platforms[0]!, { si: failingSi }));
      assert.ok(allowedWhenMissing.includes(o.kind), o.kind);
      assert.equal(o.gpus.length, 0);
      if (o.kind !== 'ok') assert.ok(o.notes.length > 0);
    });

    test(`${name}: a tool that never answers is cut off within the deadline`, async () => {
      const started = Date.now();
      const hung = fakeSi(Object.fromEntries(Object.keys(fakeSi()).map((k) => [k, never])));
      const readFile: ReadFile = () => never();
      const o = await runAdapter(adapter, ctx(adapter.platforms[0]!, { exec: () => never(), readFile, si: hung }));
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 2 * TOOL_TIMEOUT + 1000 + 300, `took ${elapsed} ms`);
      assert.equal(o.gpus.length, 0);
      if (name === 'system') {
        assert.ok(o.notes.some((n) => /timed out/.test(n)));
        assert.equal(o.system?.cpu.from.source, 'node:os');
      } else if (name === 'linux-drm') {
        // Unreadable sysfs files read as absent; a stuck read must not cost more than one timeout.
        assert.ok(o.kind === 'not-applicable' || o.kind === 'timeout', o.kind);
      } else {
        assert.equal(o.kind, 'timeout');
        assert.ok(
          o.notes.some((n) => /timed out after 0\.2 s/.test(n)),
          o.notes.join(' | '),
        );
      }
    });

    test(`${name}: garbage from every tool and file yields no GPU`, async () => {
      const junk = fixture('nvidia-smi/garbage-binary.txt');
      const o = await runAdapter(
        adapter,
        ctx(adapter.platforms[0]!, { exec: async () => okOut(junk), readFile: async () => junk }),
      );
      assert.equal(o.gpus.length, 0, `${name} made GPUs out of garbage`);
      assert.ok(o.notes.length > 0 || o.kind === 'ok');
    });

    test(`${name}: an adapter bug becomes 'unparseable', not a crash`, async () => {
      const throwing: Exec = () => {
        throw new Error('exec exploded');
      };
      const o = await runAdapter(
        {
          ...adapter,
          probe: async (c) => {
            await adapter.probe(c);
            throw new Error('bug');
          },
        },
        ctx(adapter.platforms[0]!, { exec: throwing }),
      );
      assert.equal(o.kind, 'unparseable');
      assert.ok(o.notes[0]?.includes(name));
    });
  }

  test('nvidia-smi replays a fixture through exec exactly as the parser reads it', async () => {
    const out = fixture('nvidia-smi/rtx5090-two-gpus.txt');
    const o = await runAdapter(ADAPTERS['nvidia-smi'], ctx('linux', { exec: fakeExec({ 'nvidia-smi': okOut(out) }) }));
    assert.deepEqual(o, parseNvidiaSmi(out));
  });

  test('nvidia-smi on an old driver retries with the core fields', async () => {
    const exec = fakeExec({
      [`nvidia-smi ${nvidiaSmiArgs().join(' ')}`]: {
        kind: 'failed',
        code: 2,
        stderr: '',
        stdout: fixture('nvidia-smi/rtx2080-invalid-field.txt'),
      },
      [`nvidia-smi ${nvidiaSmiArgs(NVIDIA_CORE_FIELDS).join(' ')}`]: okOut(
        fixture('nvidia-smi/rtx2080-core-fields.txt'),
      ),
    });
    const o = await runAdapter(ADAPTERS['nvidia-smi'], ctx('linux', { exec }));
    assert.equal(o.kind, 'ok');
    assert.deepEqual(
      o.gpus.map((g) => [g.name.value, g.memoryTotalBytes?.value, g.pcie]),
      [['GeForce RTX 2080', 7979 * MiB, undefined]],
    );
    assert.ok(o.notes[0]?.includes('retried with core fields'));
  });

  test('nvidia-smi exit 14 (infoROM warning) keeps its rows; exit 9 (no driver) does not', async () => {
    const warn = await runAdapter(
      ADAPTERS['nvidia-smi'],
      ctx('linux', {
        exec: fakeExec({
          'nvidia-smi': {
            kind: 'failed',
            code: 14,
            stderr: '',
            stdout: fixture('nvidia-smi/inforom-warning-line.txt'),
          },
        }),
      }),
    );
    assert.equal(warn.kind, 'ok');
    assert.equal(warn.gpus.length, 1);
    const dead = await runAdapter(
      ADAPTERS['nvidia-smi'],
      ctx('linux', {
        exec: fakeExec({
          'nvidia-smi': { kind: 'failed', code: 9, stderr: '', stdout: fixture('nvidia-smi/driver-failed.txt') },
        }),
      }),
    );
    assert.equal(dead.kind, 'unparseable');
    assert.equal(dead.detail, 'driver-unavailable');
  });

  test('macos falls back to the SoC name from sysctl when system_profiler hangs', async () => {
    const exec = fakeExec({ system_profiler: () => never(), sysctl: okOut(fixture('macos/m2pro-sysctl.txt')) });
    const o = await runAdapter(ADAPTERS.macos, ctx('darwin', { exec }));
    assert.equal(o.kind, 'ok');
    assert.deepEqual(
      o.gpus.map((g) => [g.name.value, g.name.from.confidence, g.memoryTotalBytes?.value]),
      [['Apple M2 Pro', 'derived', 16 * GiB]],
    );
    assert.ok(o.notes.some((n) => /system_profiler timed out/.test(n)));
  });

  test('windows reads stdout of a reg.exe run that exited 1 on one unreadable subkey', async () => {
    const exec = fakeExec({
      [`reg ${MEMORY_VALUE}`]: {
        kind: 'failed',
        code: 1,
        stderr: 'ERROR: Access is denied.',
        stdout: fixture('windows/rx7900xt-qwmemorysize.txt'),
      },
      'reg DriverDesc': okOut(fixture('windows/rx7900xt-driverdesc.txt')),
    });
    const o = await runAdapter(ADAPTERS.windows, ctx('win32', { exec }));
    assert.deepEqual(
      o.gpus.map((g) => g.memoryTotalBytes?.value),
      [0x4ff000000],
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The whole probe over faked machines

function assertShape(r: ProbeResult): void {
  assert.ok(['linux', 'darwin', 'win32', 'other'].includes(r.os.platform));
  assert.ok(r.cpu.cores >= 1 && r.cpu.threads >= r.cpu.cores);
  assert.ok(r.ramBytes.value > 0);
  assert.equal(r.status, r.gpus.length > 0 ? 'detected' : 'no-gpu');
  assert.deepEqual(
    r.adapters.map((a) => a.name),
    PLATFORM_ADAPTERS[r.os.platform],
  );
  for (const n of r.notes) assert.ok(!n.includes('\n'), 'notes are one line');
}

describe('probeMachine over faked machines', () => {
  test('linux with two NVIDIA GPUs seen by nvidia-smi, sysfs and systeminformation: two GPUs, nvidia-smi fields', async () => {
    const sysfs = JSON.parse(fixture('linux-drm/aspeed-plus-two-nvidia.json')) as SysfsSnapshot;
    const si = fakeSi({
      graphics: async () => ({
        controllers: [
          {
            vendor: 'ASPEED Technology, Inc.',
            model: 'ASPEED Graphics Family',
            bus: 'PCI',
            vram: 8,
            vramDynamic: false,
          },
          {
            vendor: 'NVIDIA Corporation',
            model: 'GB202 [GeForce RTX 5090]',
            bus: 'PCI',
            vram: 256,
            vramDynamic: false,
          },
          {
            vendor: 'NVIDIA Corporation',
            model: 'GB202 [GeForce RTX 5090]',
            bus: 'PCI',
            vram: 256,
            vramDynamic: false,
          },
        ],
      }),
    });
    const r = await probeMachine(
      ctx('linux', {
        exec: fakeExec({ 'nvidia-smi': okOut(fixture('nvidia-smi/rtx5090-two-gpus.txt')) }),
        readFile: readerFromSnapshot(sysfs),
        si,
      }),
    );
    assertShape(r);
    assert.equal(r.status, 'detected');
    assert.deepEqual(
      r.gpus.map((g) => [g.name.value, g.memoryTotalBytes?.value, g.memoryTotalBytes?.from.source]),
      [
        ['NVIDIA GeForce RTX 5090', 32607 * MiB, 'nvidia-smi'],
        ['NVIDIA GeForce RTX 5090', 32607 * MiB, 'nvidia-smi'],
      ],
    );
    assert.deepEqual(
      r.adapters.map((a) => a.outcome),
      ['ok', 'tool-missing', 'ok', 'ok'],
    );
    assert.equal(r.cpu.model, 'Intel Core™ i7-12700K');
    assert.deepEqual(
      [r.cpu.cores, r.cpu.threads, r.cpu.clockGHz],
      [12, 20, sourced(5.0, 'systeminformation', 'reported')],
    );
    assert.equal(r.cpu.simd.avx2, true);
    assert.equal(r.ramBytes.value, 32 * GiB);
    assert.equal(r.diskPath, '/home/ada/.cache');
    assert.equal(r.freeDiskBytes?.value, 900 * GiB);
    assert.equal(r.os.release, 'Ubuntu 24.04');
    assert.ok(!r.notes.some((n) => n.includes('rocm-smi')), 'a missing optional tool is not a note');
  });

  test('a measured core clock wins over the one systeminformation reports, and survives its failure', async () => {
    const measured = sourced(4.09, 'dependent-multiply chain (src/probe/clock.ts)', 'measured');
    const r = await probeMachine(ctx('linux', { coreClock: () => measured }));
    assert.deepEqual(r.cpu.clockGHz, measured);
    const failing = fakeSi({ cpu: () => Promise.reject(new Error('no dmidecode')) });
    const fallback = await probeMachine(ctx('linux', { si: failing, coreClock: () => measured }));
    assert.deepEqual(fallback.cpu.clockGHz, measured);
  });

  test('GENREADY_CPU_GHZ pins the clock; a value that is not a clock is a note, and the clock is measured', async () => {
    const withEnv = (value: string): Partial<ProbeContext> => {
      const { coreClock: _faked, ...rest } = ctx('linux', { env: { GENREADY_CPU_GHZ: value } });
      return rest;
    };
    const pinned = await probeMachine(withEnv(' 3.7 '));
    assert.deepEqual(pinned.cpu.clockGHz, sourced(3.7, 'GENREADY_CPU_GHZ', 'assumed'));
    assert.ok(!pinned.notes.some((n) => n.includes('GENREADY_CPU_GHZ')));
    for (const bad of ['fast', '0', '4.2GHz', '4200']) {
      const r = await probeMachine(withEnv(bad));
      assert.ok(
        r.notes.includes(`GENREADY_CPU_GHZ="${bad}" is not a clock in GHz (0.5–7): ignored`),
        r.notes.join(' | '),
      );
      assert.notEqual(r.cpu.clockGHz?.from.source, 'GENREADY_CPU_GHZ');
    }
  });

  test('linux with no GPU and no vendor tools: no-gpu, CPU and RAM still known', async () => {
    const r = await probeMachine(ctx('linux'));
    assertShape(r);
    assert.equal(r.status, 'no-gpu');
    assert.deepEqual(r.gpus, []);
    assert.deepEqual(
      r.adapters.map((a) => a.outcome),
      ['tool-missing', 'tool-missing', 'not-applicable', 'ok'],
    );
    assert.equal(r.cpu.cores, 12);
  });

  test('linux AMD card without ROCm: sysfs finds it and the probe says ROCm is missing', async () => {
    const sysfs = JSON.parse(fixture('linux-drm/raphael-igpu-plus-rx7900xtx.json')) as SysfsSnapshot;
    const r = await probeMachine(ctx('linux', { readFile: readerFromSnapshot(sysfs) }));
    assert.deepEqual(
      r.gpus.map((g) => g.memoryTotalBytes?.value),
      [536870912, 25753026560],
    );
    assert.ok(r.notes.some((n) => /rocm-smi is not installed/.test(n)));
  });

  test('linux AMD card with ROCm: rocm-smi and sysfs merge into one card with the rocm-smi name', async () => {
    const sysfs: SysfsSnapshot = {
      '/sys/class/drm/card1/device/vendor': '0x1002\n',
      '/sys/class/drm/card1/device/device': '0x744c\n',
      '/sys/class/drm/card1/device/mem_info_vram_total': '21458059264\n',
    };
    const r = await probeMachine(
      ctx('linux', {
        exec: fakeExec({ 'rocm-smi': okOut(fixture('rocm-smi/rx7900xt.json')) }),
        readFile: readerFromSnapshot(sysfs),
      }),
    );
    assert.deepEqual(
      r.gpus.map((g) => [g.name.value, g.name.from.source, g.memoryTotalBytes?.value]),
      [['Radeon RX 7900 XT', 'rocm-smi', 21458059264]],
    );
  });

  test('darwin Apple M2 Pro 16 GB: one unified-memory GPU', async () => {
    const exec = fakeExec({
      system_profiler: okOut(fixture('macos/m2pro-displays.json')),
      sysctl: okOut(fixture('macos/m2pro-sysctl.txt')),
    });
    const si = fakeSi({
      cpu: async () => ({
        manufacturer: 'Apple',
        brand: 'M2 Pro',
        vendor: 'Apple',
        speed: 2.4,
        speedMax: 3.5,
        cores: 12,
        physicalCores: 12,
      }),
      cpuFlags: async () => '',
      mem: async () => ({ total: 16 * GiB }),
      osInfo: async () => ({ platform: 'darwin', distro: 'macOS', release: '14.4', kernel: '23.4.0', arch: 'arm64' }),
      fsSize: async () => [{ fs: '/dev/disk3s1s1', mount: '/', size: 494 * GiB, available: 210 * GiB }],
      graphics: async () => ({
        controllers: [{ vendor: 'Apple', model: 'Apple M2 Pro', bus: 'Built-In', vram: null, vramDynamic: true }],
      }),
    });
    const r = await probeMachine(ctx('darwin', { exec, si }));
    assertShape(r);
    assert.equal(r.gpus.length, 1);
    const g = r.gpus[0]!;
    assert.deepEqual(
      [g.name.value, g.vendor, g.unifiedMemory, g.integrated, g.backendHint],
      ['Apple M2 Pro', 'Apple', true, true, 'metal'],
    );
    assert.equal(g.memoryTotalBytes?.value, 16 * GiB);
    assert.equal(r.cpu.model, 'Apple M2 Pro');
    assert.equal(r.cpu.simd.neon, true);
    assert.equal(r.diskPath, '/Users/ada/Library/Caches');
    assert.equal(r.freeDiskBytes?.value, 210 * GiB);
  });

  test('win32 with registry VRAM beyond 4 GiB and no nvidia-smi: the registry size wins over the WMI cap', async () => {
    const exec = fakeExec({
      [`reg ${MEMORY_VALUE}`]: okOut(fixture('windows/rx7900xt-qwmemorysize.txt')),
      'reg DriverDesc': okOut(fixture('windows/rx7900xt-driverdesc.txt')),
    });
    const si = fakeSi({
      osInfo: async () => ({
        platform: 'Windows',
        distro: 'Microsoft Windows 11 Pro',
        release: '10.0.22631',
        kernel: '10.0.22631',
        arch: 'x64',
      }),
      fsSize: async () => [{ fs: 'C:', mount: 'C:', size: 1000 * GiB, available: 321 * GiB }],
      graphics: async () => ({
        controllers: [
          {
            vendor: 'Advanced Micro Devices, Inc.',
            model: 'AMD Radeon RX 7900 XT',
            bus: 'PCI',
            vram: 4095,
            vramDynamic: false,
          },
        ],
      }),
    });
    const r = await probeMachine(ctx('win32', { exec, si, env: { LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' } }));
    assertShape(r);
    assert.deepEqual(
      r.gpus.map((g) => [
        g.name.value,
        g.memoryTotalBytes?.value,
        g.memoryTotalBytes?.from.source,
        g.memoryFreeBytes,
        g.backendHint,
      ]),
      [['AMD Radeon RX 7900 XT', 0x4ff000000, 'windows-registry', null, 'directml']],
    );
    assert.deepEqual(
      r.adapters.map((a) => a.outcome),
      ['tool-missing', 'ok', 'ok'],
    );
    assert.equal(r.freeDiskBytes?.value, 321 * GiB);
    assert.equal(r.diskPath, 'C:\\Users\\ada\\AppData\\Local');
  });

  test('a machine where every tool hangs still answers within the deadline', async () => {
    const started = Date.now();
    const hung = fakeSi(Object.fromEntries(Object.keys(fakeSi()).map((k) => [k, never])));
    const r = await probeMachine(ctx('linux', { exec: () => never(), readFile: () => never(), si: hung }));
    assert.ok(Date.now() - started < 2 * TOOL_TIMEOUT + 1500);
    assertShape(r);
    assert.equal(r.status, 'no-gpu');
    assert.equal(r.cpu.from.source, 'node:os');
    assert.deepEqual(
      r.adapters.map((a) => a.outcome),
      ['timeout', 'timeout', 'not-applicable', 'ok'],
    );
    assert.ok(r.notes.some((n) => n === 'nvidia-smi timed out after 0.2 s'));
  });

  test('mergeGpus keeps two identical cards apart and fills unknown fields from lower sources', () => {
    const smi = parseNvidiaSmi(fixture('nvidia-smi/a800-pcie-two-gpus.txt')).gpus;
    const sysfs = smi.map((g) => ({
      ...g,
      name: { value: 'NVIDIA GPU [10de:20f5]', from: { source: 'sysfs', confidence: 'derived' as const } },
      memoryTotalBytes: null,
      pcie: undefined,
    }));
    const noDriver = smi.map((g) => ({ ...g, driverVersion: undefined }));
    const merged = mergeGpus([noDriver.map(({ driverVersion: _d, ...g }) => g), sysfs, smi]);
    assert.equal(merged.length, 2);
    assert.deepEqual(
      merged.map((g) => g.driverVersion),
      ['580.119.02', '580.119.02'],
    );
  });
});

describe('fakeProbe builds a consistent hypothetical machine', () => {
  test('"RTX 3060 12GB" with 32 GB RAM', () => {
    const r = fakeProbe({ gpuName: 'NVIDIA GeForce RTX 3060', gpuMemoryGiB: 12, ramGiB: 32, cores: 8 });
    assert.equal(r.status, 'detected');
    const g = r.gpus[0]!;
    assert.deepEqual(
      [g.vendor, g.backendHint, g.unifiedMemory, g.memoryTotalBytes?.value],
      ['NVIDIA', 'cuda', false, 12 * GiB],
    );
    assert.deepEqual(g.memoryTotalBytes?.from, { source: 'catalog', confidence: 'assumed' });
    assert.deepEqual(g.name.from, { source: 'user', confidence: 'assumed' });
    assert.deepEqual(r.ramBytes, { value: 32 * GiB, from: { source: 'user', confidence: 'assumed' } });
    assert.equal(r.os.platform, 'linux');
    assert.deepEqual(r.adapters, [{ name: 'fake', outcome: 'ok', detail: 'hypothetical machine' }]);
  });
  test('an Apple SoC has one memory pool: GPU memory is the RAM', () => {
    const r = fakeProbe({ gpuName: 'Apple M2 Pro', ramGiB: 16 });
    const g = r.gpus[0]!;
    assert.deepEqual(
      [r.os.platform, r.os.arch, g.unifiedMemory, g.backendHint, g.memoryTotalBytes?.value],
      ['darwin', 'arm64', true, 'metal', 16 * GiB],
    );
    assert.equal(r.ramBytes.value, g.memoryTotalBytes?.value);
    assert.equal(r.cpu.simd.neon, true);
  });
  test('no GPU given: a CPU-only machine with defaults stated in notes', () => {
    const r = fakeProbe({});
    assert.equal(r.status, 'no-gpu');
    assert.equal(r.ramBytes.from.source, 'default');
    assert.ok(r.notes.some((n) => /assumed 16 GiB/.test(n)));
    for (const g of [r.cpu.from, r.ramBytes.from]) assert.equal(g.confidence, 'assumed');
  });
});

describe('fixture corpus', () => {
  const files = (dir: string): string[] =>
    readdirSync(FIXTURES + dir).flatMap((f) =>
      statSync(FIXTURES + dir + f).isDirectory() ? files(`${dir}${f}/`) : [`${dir}${f}`],
    );
  const all = files('').filter((f) => f !== 'SOURCES.md');

  test('holds at least 20 captured outputs', () => assert.ok(all.length >= 20, `${all.length} fixtures`));
  test('every fixture file is listed in SOURCES.md', () => {
    const sources = fixture('SOURCES.md');
    const missing = all.filter((f) => !sources.includes(f));
    assert.deepEqual(missing, []);
  });
  test('every fixture the table names exists', () => {
    for (const c of CASES) for (const f of c.files) assert.ok(all.includes(f), f);
  });
});

describe('this real machine', () => {
  test('defaultExec maps a missing tool, a hung tool, a failing tool and a good one', {
    skip: process.platform === 'win32',
  }, async () => {
    assert.deepEqual(await defaultExec('genready-no-such-tool', [], { timeoutMs: 1000 }), { kind: 'missing' });
    const started = Date.now();
    assert.deepEqual(await defaultExec('sleep', ['5'], { timeoutMs: 200 }), { kind: 'timeout' });
    assert.ok(Date.now() - started < 2000);
    const failedRun = await defaultExec('sh', ['-c', 'echo partial; echo oops >&2; exit 3'], { timeoutMs: 2000 });
    assert.deepEqual(failedRun, { kind: 'failed', code: 3, stderr: 'oops\n', stdout: 'partial\n' });
    assert.deepEqual(await defaultExec('echo', ['0, ok'], { timeoutMs: 2000 }), { kind: 'ok', stdout: '0, ok\n' });
  });

  test('probeMachine() finishes in under 10 s with a CPU and a status', async () => {
    const started = Date.now();
    const r = await probeMachine();
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
    assertShape(r);
    assert.ok(r.cpu.cores >= 1);
    // The development VM (Linux, 2 cores, no GPU, no nvidia-smi) must say 'no-gpu'. On a machine
    // where a GPU source answered, a detected GPU is the right answer instead.
    const gpuSourcesSilent = r.adapters
      .filter((a) => a.name !== 'system')
      .every((a) => a.outcome === 'tool-missing' || a.outcome === 'not-applicable');
    if (gpuSourcesSilent) {
      assert.deepEqual(
        r.gpus.filter((g) => g.name.from.source !== 'systeminformation'),
        [],
      );
      if (r.gpus.length === 0) assert.equal(r.status, 'no-gpu');
    }
  });
});
