/**
 * One-off generator: rebuilds `data/devices.csv` and `data/devices.meta.json` from the shared
 * reference table `../shared/reference/gpus.csv`. The runtime never reads ../shared; this script
 * is the only bridge, and it re-reads its own output through the runtime loader as a final check.
 *
 *   node --import tsx scripts/build-devices.ts [path/to/gpus.csv]
 *
 * What it changes on the way (each decision is written into the row's `notes` where it adds a fact):
 * - `compute_backend` free text → the `Backend` union; the text is kept in `backend_detail`.
 * - `fp16_matrix_tflops` = the FP32-accumulate dense column, else the FP16-accumulate one; null for
 *   Apple (no matrix units exposed to PyTorch MPS). Apple FP16 vector = FP32 when blank.
 * - `form_factor` → `pcie_gen`/`pcie_lanes`; laptop parts and two odd cards get a looked-up link.
 * - Apple/APU unified-memory options from the notes → `memory_options_gib`.
 * - TDP ranges ("60-115 (OEM-set TGP)") → the top of the range, the text kept in notes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { deviceSlug } from '../src/catalog/_device-names.ts';
import { loadDeviceCatalog } from '../src/catalog/devices.ts';
import type { Backend } from '../src/catalog/devices.types.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const inputPath = process.argv[2] ?? fileURLToPath(new URL('../../shared/reference/gpus.csv', import.meta.url));
const csvPath = `${repoRoot}data/devices.csv`;
const metaPath = `${repoRoot}data/devices.meta.json`;

type SourceRow = Record<string, string>;

/** Output columns, in file order, with the description that goes into the meta file. */
const COLUMNS = {
  id: 'stable slug: vendor + name, parenthesised descriptions dropped except memory sizes',
  vendor: 'NVIDIA | AMD | Intel | Apple | other',
  name: 'display name as in the reference table',
  aliases: 'other names the part is reported under, ";"-separated (matching only)',
  segment: 'consumer_desktop | consumer_laptop | workstation | datacenter | apple_soc | apu_unified_memory | cpu',
  form_factor: 'host interface as published (informational; the matcher reads SXM/PCIe/OAM/laptop from it)',
  architecture: 'GPU architecture name',
  compute_id: 'CUDA SM, AMD gfx target, Intel Xe-core count, Metal, or x86-64',
  launch_year: 'year of launch',
  memory_gib:
    'device memory in GiB as marketed (vendors say GB); for unified memory the largest option; blank for CPUs',
  memory_options_gib: 'unified-memory sizes the part ships with, ";"-separated GiB (Apple SoCs, APU); blank otherwise',
  unified_memory: 'y when memory is shared with the CPU (Apple, APU, CPU)',
  memory_type: 'memory technology (informational)',
  memory_bus_bits: 'memory bus width in bits (informational)',
  memory_bandwidth_gbs: 'theoretical peak DRAM bandwidth, GB/s (decimal)',
  fp32_tflops: 'peak non-matrix FP32 TFLOPS at boost clock (AMD RDNA3/4 counts dual-issue)',
  fp16_vector_tflops: 'peak non-matrix FP16 TFLOPS; blank when unpublished',
  fp16_matrix_tflops:
    'dense FP16 matrix TFLOPS with FP32 accumulate (what fp16 inference uses); blank without matrix units',
  fp16_matrix_fp16acc_tflops: 'dense FP16 matrix TFLOPS with FP16 accumulate (informational)',
  bf16_matrix_tflops: 'dense BF16 matrix TFLOPS',
  fp8_matrix_tflops: 'dense FP8 matrix TFLOPS (GeForce: FP16-accumulate figure)',
  int8_tops: 'dense INT8 matrix TOPS',
  bf16_support: 'y/n: hardware BF16 matrix support',
  fp8_support: 'y/n: hardware FP8 matrix support',
  backend: 'cuda | rocm | oneapi | metal | directml | cpu: the main PyTorch-class stack',
  backend_detail: 'backend support text as published in the reference (informational)',
  pcie_gen: 'PCIe generation of the host link; blank for SXM/OAM/SoC/CPU',
  pcie_lanes: 'PCIe lanes of the host link; blank with pcie_gen',
  tdp_w: 'TDP/TGP/TBP in W; top of the published range for laptops and configurable parts',
  launch_price_usd: 'US launch MSRP in USD; blank where none',
  source: 'primary or reference URL(s) for the row',
  verified_in: 'where the numbers were cross-checked (informational)',
  confidence: 'high | medium | low, for the numbers in the row',
  notes: 'caveats, derivations and genready decisions',
} as const;
type Column = keyof typeof COLUMNS;
type OutRow = Record<Column, string>;

/** The first matching prefix of `compute_backend` names the stack. */
const BACKEND_BY_PREFIX: [RegExp, Backend][] = [
  [/^CUDA/, 'cuda'],
  [/^ROCm/, 'rocm'],
  [/^oneAPI/, 'oneapi'],
  [/^Metal/, 'metal'],
  [/^DirectML/, 'directml'],
  [/^CPU/, 'cpu'],
];

/**
 * Host links the reference leaves unstated. Laptop parts use the PCIe generation of their die and
 * the lane count of the same die's desktop card in the reference table.
 */
const PCIE_LOOKUP: Record<string, { gen: number; lanes: number; note: string }> = {
  'GeForce RTX 3060 Laptop GPU': { gen: 4, lanes: 16, note: 'PCIe 4.0 x16 assumed: GA106, as the desktop RTX 3060' },
  'GeForce RTX 3070 Laptop GPU': { gen: 4, lanes: 16, note: 'PCIe 4.0 x16 assumed: GA104, as the desktop RTX 3070' },
  'GeForce RTX 4060 Laptop GPU': {
    gen: 4,
    lanes: 8,
    note: 'PCIe 4.0 x8 assumed: AD107 exposes 8 lanes, as the desktop RTX 4060',
  },
  'GeForce RTX 4070 Laptop GPU': {
    gen: 4,
    lanes: 8,
    note: 'PCIe 4.0 x8 assumed: AD106 exposes 8 lanes, as the desktop RTX 4060 Ti',
  },
  'GeForce RTX 4090 Laptop GPU': { gen: 4, lanes: 16, note: 'PCIe 4.0 x16 assumed: AD103, as the desktop RTX 4080' },
  'Quadro RTX 5000 Max-Q': { gen: 3, lanes: 16, note: 'PCIe 3.0 x16 assumed: TU104, as the desktop Quadro RTX 5000' },
  'A10G (AWS)': {
    gen: 4,
    lanes: 16,
    note: 'PCIe 4.0 x16 assumed: link not published for the A10G; the A10 it derives from is PCIe 4.0 x16',
  },
  'P104-100': {
    gen: 1,
    lanes: 4,
    note: 'PCIe 1.0 x4 assumed: the GP104/GP102 mining cards (P104-101, P102-100) are listed with a PCIe 1.0 x4 link (TechPowerUp-derived listings); the x16 slot is mechanical only; not confirmed for this SKU',
  },
};

/** Form factors with no PCIe host link of their own. */
const NO_PCIE = [/^SXM/, /^OAM/, /^SoC/, /^socketed CPU/, /^Grace/];

/** Unified-memory sizes the reference states only as a range. */
const MEMORY_OPTIONS_LOOKUP: Record<string, { sizes: number[]; note: string }> = {
  "Ryzen AI Max+ 395 (Radeon 8060S iGPU, 'Strix Halo')": {
    sizes: [32, 64, 128],
    note: 'memory options 32/64/128 GB as sold in systems (genready reading of the 32-128 GB range)',
  },
};

/** Names users and drivers give to a part besides its catalog name. */
const ALIASES: Record<string, string[]> = {
  "Ryzen AI Max+ 395 (Radeon 8060S iGPU, 'Strix Halo')": ['Radeon 8060S'],
};

/**
 * Fill-ins for required numbers the reference leaves blank. The M3 Ultra is two M3 Max dies
 * (80 vs 40 GPU cores), so twice the M3 Max estimate; the reference notes give the same ~32.
 */
const FP32_FILL: Record<string, { tflops: number; note: string }> = {
  'Apple M3 Ultra': {
    tflops: 32.4,
    note: 'fp32_tflops filled by genready as 2 x Apple M3 Max (16.2) by GPU core count: an estimate',
  },
};

/**
 * Names the matcher must resolve to a specific row by its default-variant rule (see
 * src/catalog/_device-match.ts). They are checked after the build, so a future reference table
 * that drops one of these rows fails here instead of silently resolving elsewhere.
 */
const REQUIRED_DEFAULTS: Record<string, string> = {
  'NVIDIA H100': 'H100 SXM5 80GB',
  'NVIDIA A100': 'A100 SXM4 40GB',
  'A100 80GB': 'A100 SXM4 80GB',
  'Tesla V100': 'Tesla V100 SXM2 16GB',
};

function mapBackend(text: string, name: string): Backend {
  const found = BACKEND_BY_PREFIX.find(([re]) => re.test(text.trim()));
  if (!found) throw new Error(`${name}: unmapped compute_backend "${text}"`);
  return found[1];
}

function pcieOf(row: SourceRow, notes: string[]): { gen: string; lanes: string } {
  const formFactor = row.form_factor ?? '';
  const published = /PCIe (\d)\.0 x(\d+)/.exec(formFactor);
  if (published) return { gen: published[1] ?? '', lanes: published[2] ?? '' };
  const lookup = PCIE_LOOKUP[row.name ?? ''];
  if (lookup) {
    notes.push(lookup.note);
    return { gen: String(lookup.gen), lanes: String(lookup.lanes) };
  }
  if (NO_PCIE.some((re) => re.test(formFactor))) return { gen: '', lanes: '' };
  throw new Error(`${row.name}: no PCIe rule for form factor "${formFactor}"`);
}

/** "y", "n", "y (uncertain)" → y/n; the qualifier goes into notes. */
function flagOf(text: string, column: string, notes: string[]): 'y' | 'n' {
  const value = text.trim();
  if (value !== 'y' && value !== 'n') notes.push(`${column} as published: ${value}`);
  if (value.startsWith('y')) return 'y';
  if (value.startsWith('n')) return 'n';
  throw new Error(`unreadable ${column} "${text}"`);
}

/** "350" → 350; "60-115 (OEM-set TGP)" → 115 with the text kept in notes. */
function tdpOf(text: string, notes: string[]): string {
  const value = text.trim();
  if (value === '' || /^\d+(\.\d+)?$/.test(value)) return value;
  const range = /^(\d+)(?:-(\d+))?/.exec(value);
  if (!range) throw new Error(`unreadable tdp_w "${text}"`);
  notes.push(`TDP as published: ${value}`);
  return range[2] ?? range[1] ?? '';
}

function memoryOptionsOf(row: SourceRow, notes: string[]): string {
  const name = row.name ?? '';
  const lookup = MEMORY_OPTIONS_LOOKUP[name];
  if (lookup) {
    notes.push(lookup.note);
    return lookup.sizes.join(';');
  }
  if (row.segment !== 'apple_soc') return '';
  const stated = /unified memory options ([\d/]+) GB/.exec(row.notes ?? '');
  if (!stated?.[1]) throw new Error(`${name}: no memory options in notes`);
  const sizes = stated[1].split('/').map(Number);
  if (Math.max(...sizes) !== Number(row.memory_gb)) throw new Error(`${name}: memory_gb is not the largest option`);
  return sizes.join(';');
}

function convert(row: SourceRow): OutRow {
  const name = row.name ?? '';
  const notes: string[] = [];
  const isApple = row.segment === 'apple_soc';
  const unified = isApple || row.segment === 'apu_unified_memory' || row.segment === 'cpu';

  let fp32 = row.fp32_tflops ?? '';
  const fill = FP32_FILL[name];
  if (fp32 === '' && fill) {
    fp32 = String(fill.tflops);
    notes.push(fill.note);
  }
  // Apple GPUs expose no matrix units to MPS; FP16 runs at about the FP32 rate (reference notes).
  const fp16Vector = row.fp16_vector_tflops || (isApple ? fp32 : '');
  const fp16Matrix = isApple ? '' : row.matrix_fp16_tflops_dense_fp32acc || row.matrix_fp16_tflops_dense_fp16acc || '';
  const pcie = pcieOf(row, notes);

  const out: OutRow = {
    id: deviceSlug(row.vendor ?? '', name),
    vendor: row.vendor ?? '',
    name,
    aliases: (ALIASES[name] ?? []).join(';'),
    segment: row.segment ?? '',
    form_factor: row.form_factor ?? '',
    architecture: row.architecture ?? '',
    compute_id: row.compute_id ?? '',
    launch_year: row.launch_year ?? '',
    memory_gib: row.memory_gb ?? '',
    memory_options_gib: memoryOptionsOf(row, notes),
    unified_memory: unified ? 'y' : 'n',
    memory_type: row.memory_type ?? '',
    memory_bus_bits: row.memory_bus_bits ?? '',
    memory_bandwidth_gbs: row.memory_bandwidth_gbs ?? '',
    fp32_tflops: fp32,
    fp16_vector_tflops: fp16Vector,
    fp16_matrix_tflops: fp16Matrix,
    fp16_matrix_fp16acc_tflops: row.matrix_fp16_tflops_dense_fp16acc ?? '',
    bf16_matrix_tflops: row.bf16_matrix_tflops_dense ?? '',
    fp8_matrix_tflops: row.fp8_matrix_tflops_dense ?? '',
    int8_tops: row.int8_tops_dense ?? '',
    bf16_support: flagOf(row.bf16_support ?? '', 'bf16_support', notes),
    fp8_support: flagOf(row.fp8_support ?? '', 'fp8_support', notes),
    backend: mapBackend(row.compute_backend ?? '', name),
    backend_detail: row.compute_backend ?? '',
    pcie_gen: pcie.gen,
    pcie_lanes: pcie.lanes,
    tdp_w: tdpOf(row.tdp_w ?? '', notes),
    launch_price_usd: row.launch_msrp_usd ?? '',
    source: row.source ?? '',
    verified_in: row.verified_in ?? '',
    confidence: row.confidence ?? '',
    notes: [row.notes ?? '', ...notes.map((n) => `genready: ${n}`)].filter((n) => n.length > 0).join('; '),
  };
  return out;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function toCsv(rows: OutRow[]): string {
  const columns = Object.keys(COLUMNS) as Column[];
  const lines = [columns.join(','), ...rows.map((row) => columns.map((c) => csvField(row[c])).join(','))];
  return `${lines.join('\n')}\n`;
}

function main(): void {
  const input = readFileSync(inputPath, 'utf8');
  const sourceRows: SourceRow[] = parse(input, { columns: true, skip_empty_lines: true, bom: true });
  const rows = sourceRows.map(convert);

  const ids = new Set<string>();
  for (const row of rows) {
    if (ids.has(row.id)) throw new Error(`duplicate id ${row.id}`);
    ids.add(row.id);
  }

  writeFileSync(csvPath, toCsv(rows));
  const meta = {
    formatVersion: 1,
    generatedFrom: {
      file: 'shared/reference/gpus.csv',
      sha256: createHash('sha256').update(input).digest('hex'),
      rows: sourceRows.length,
    },
    generatedBy: 'scripts/build-devices.ts',
    rows: rows.length,
    units: {
      memory: 'GiB as marketed (vendors quote decimal GB; the number is kept as published)',
      bandwidth: 'GB/s, decimal, theoretical peak',
      throughput: 'TFLOPS / TOPS, dense (no 2:4 sparsity), peak at boost clock',
      power: 'W',
      price: 'USD at launch',
    },
    booleans: 'y / n',
    lists: '";"-separated',
    columns: COLUMNS,
  };
  writeFileSync(metaPath, `${JSON.stringify(meta, null, 2)}\n`);

  // Read the output back through the runtime loader: validation and default resolution.
  const catalog = loadDeviceCatalog({ path: csvPath });
  for (const [query, expected] of Object.entries(REQUIRED_DEFAULTS)) {
    const resolved = catalog.resolve(query).name;
    if (resolved !== expected) throw new Error(`"${query}" resolves to ${resolved}, expected ${expected}`);
  }
  console.log(`wrote ${rows.length} devices to data/devices.csv and data/devices.meta.json`);
}

main();
