/**
 * rocm-smi adapter (Linux, AMD). `rocm-smi --showproductname --showmeminfo vram --json` prints one
 * object keyed by "card0", "card1", … with "VRAM Total Memory (B)" and "VRAM Total Used Memory (B)"
 * in bytes, as strings.
 *
 * Key names drift between ROCm releases ("Card series" → "Card Series", "Device Name" in 6.x for
 * some APUs), old releases print a PCI id where the marketing name belongs ("Card series: 0x738c"),
 * and warnings can precede the JSON, so the parser looks for the object rather than assuming it is
 * the whole output.
 */
import { execProblem, failed, GiB, looksBinary, plausibleVram, sourced } from './_shared.ts';
import type { AdapterOutcome, DetectedGpu, ProbeAdapter, ProbeContext } from './types.ts';

const SOURCE = 'rocm-smi';
export const ROCM_SMI_ARGS = ['--showproductname', '--showmeminfo', 'vram', '--json'];

/**
 * An AMD GPU whose dedicated VRAM is at most this is treated as an APU carve-out: the BIOS reserves
 * a slice (typically 512 MiB to 2 GiB) of system RAM and the GPU also borrows from the rest.
 */
const APU_CARVEOUT_MAX = 2 * GiB;

export function parseRocmSmi(stdout: string): AdapterOutcome {
  if (stdout.trim() === '') return failed('unparseable', 'rocm-smi printed nothing', 'empty-output');
  if (looksBinary(stdout)) return failed('unparseable', 'rocm-smi output is not text', 'binary-output');
  const start = stdout.indexOf('{');
  const end = stdout.lastIndexOf('}');
  let data: unknown;
  try {
    data = start >= 0 && end > start ? JSON.parse(stdout.slice(start, end + 1)) : JSON.parse(stdout);
  } catch {
    return failed('unparseable', 'rocm-smi output is not JSON', 'not-json');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return failed('unparseable', 'rocm-smi JSON is not an object keyed by card', 'not-object');
  }

  const notes: string[] = [];
  const gpus: DetectedGpu[] = [];
  const cards = Object.entries(data as Record<string, unknown>)
    .map(([key, value]) => ({ key, n: /^card(\d+)$/.exec(key)?.[1], value }))
    .filter((c): c is { key: string; n: string; value: unknown } => c.n !== undefined)
    .sort((a, b) => Number(a.n) - Number(b.n));

  for (const card of cards) {
    if (typeof card.value !== 'object' || card.value === null || Array.isArray(card.value)) {
      notes.push(`rocm-smi: ${card.key} is not an object; ignored`);
      continue;
    }
    const fields = lowerKeys(card.value as Record<string, unknown>);
    const name = pickName(fields);
    const index = Number(card.n);
    const totalRaw = fields['vram total memory (b)'];
    const usedRaw = fields['vram total used memory (b)'];
    const total = bytes(totalRaw);
    if (totalRaw !== undefined && total !== null && !plausibleVram(total)) {
      notes.push(`rocm-smi: ${card.key} reports an impossible VRAM total "${String(totalRaw)}"; ignored`);
      continue;
    }
    let used = bytes(usedRaw);
    if (used !== null && (used < 0 || (total !== null && used > total))) {
      notes.push(`rocm-smi: ${card.key} VRAM used exceeds total; treated as unknown`);
      used = null;
    }
    if (total === null) notes.push(`rocm-smi: ${card.key} (${name}) does not report VRAM total`);
    const carveOut = total !== null && total <= APU_CARVEOUT_MAX;
    gpus.push({
      name: sourced(name, SOURCE, 'measured'),
      vendor: 'AMD',
      memoryTotalBytes: total === null ? null : sourced(total, SOURCE, 'measured'),
      memoryUsedBytes: used === null ? null : sourced(used, SOURCE, 'measured'),
      memoryFreeBytes: total !== null && used !== null ? sourced(total - used, SOURCE, 'derived') : null,
      unifiedMemory: carveOut,
      index,
      integrated: carveOut,
      backendHint: 'rocm',
    });
    if (carveOut)
      notes.push(
        `rocm-smi: ${card.key} has a ${Math.round(total / 2 ** 20)} MiB carve-out; treated as an APU sharing system RAM`,
      );
  }

  if (gpus.length === 0) {
    return {
      kind: 'unparseable',
      gpus: [],
      notes: notes.length ? notes : ['rocm-smi: no cards in its JSON'],
      detail: 'no-cards',
    };
  }
  return { kind: 'ok', gpus, notes };
}

function lowerKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.trim().toLowerCase(), v]));
}

function pickName(fields: Record<string, unknown>): string {
  const isId = (s: string): boolean => /^(0x)?[0-9a-f]{3,4}$/i.test(s);
  for (const key of ['card series', 'device name', 'card model']) {
    const v = fields[key];
    if (typeof v === 'string' && v.trim() !== '' && v !== 'N/A' && !isId(v.trim())) return v.trim();
  }
  const id = fields['card model'] ?? fields['device id'];
  return typeof id === 'string' && id.trim() !== '' ? `AMD GPU ${id.trim()}` : 'AMD GPU';
}

function bytes(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

export const rocmSmiAdapter: ProbeAdapter = {
  name: 'rocm-smi',
  platforms: ['linux'],
  async probe(ctx: ProbeContext): Promise<AdapterOutcome> {
    const r = await ctx.exec('rocm-smi', ROCM_SMI_ARGS, { timeoutMs: ctx.toolTimeoutMs });
    // rocm-smi exits non-zero when one card fails a query yet still prints the others.
    if (r.kind === 'failed' && r.stdout.includes('{')) return parseRocmSmi(r.stdout);
    if (r.kind !== 'ok') return execProblem('rocm-smi', r, ctx.toolTimeoutMs);
    return parseRocmSmi(r.stdout);
  },
};
