/**
 * Windows adapter: display adapters from the registry, for every vendor. (NVIDIA cards are also
 * read by nvidia-smi, which wins the merge field by field.)
 *
 * Why the registry and not WMI: Win32_VideoController.AdapterRAM is a uint32, so every card with
 * 4 GiB or more reads as ~4 GiB (4293918720). The display driver writes the real size as a QWORD,
 * `HardwareInformation.qwMemorySize`, under the display class key
 * HKLM\SYSTEM\ControlSet001\Control\Class\{4d36e968-e325-11ce-bfc1-08002be10318}\NNNN.
 *
 * We query the whole class key (`/s`) rather than only \0000: virtual displays (remote desktop,
 * Parsec, IddSampleDriver) often take 0000 and push the real card to 0001 or 0002. reg.exe exits 1
 * when one subkey (…\Properties) is unreadable yet prints the rest, so stdout of a failed run is used.
 *
 * DirectML, the backend most non-NVIDIA Windows tools use, exposes no free-memory figure we can
 * read without a GPU API, so free memory stays unknown here.
 */
import { execProblem, failed, looksBinary, plausibleVram, sourced, vendorFromName } from './_shared.ts';
import type { AdapterOutcome, DetectedGpu, ProbeAdapter, ProbeContext } from './types.ts';

export const DISPLAY_CLASS_KEY = 'HKLM\\SYSTEM\\ControlSet001\\Control\\Class\\{4d36e968-e325-11ce-bfc1-08002be10318}';
export const MEMORY_VALUE = 'HardwareInformation.qwMemorySize';
export const NAME_VALUE = 'DriverDesc';

export function regQueryArgs(value: string): string[] {
  return ['query', DISPLAY_CLASS_KEY, '/s', '/v', value];
}

export interface RegValue {
  type: string;
  data: string;
}

/** Parses `reg query` text into subkey → value name → { type, data }. Language-independent:
 *  only the HKEY_ lines and the `name    REG_TYPE    data` lines are read. */
export function parseRegQuery(stdout: string): Map<string, Map<string, RegValue>> {
  const keys = new Map<string, Map<string, RegValue>>();
  let current: Map<string, RegValue> | null = null;
  for (const raw of stdout.split(/\r?\n/)) {
    if (/^HKEY_/i.test(raw)) {
      const key = raw.trim();
      current = keys.get(key) ?? new Map<string, RegValue>();
      keys.set(key, current);
      continue;
    }
    const m = /^\s+(\S(?:.*?\S)?)\s{2,}(REG_[A-Z_]+)(?:\s{2,}(.*))?$/.exec(raw);
    if (m && current && m[1] !== undefined && m[2] !== undefined)
      current.set(m[1], { type: m[2], data: (m[3] ?? '').trim() });
  }
  return keys;
}

/** Decodes a registry size: REG_QWORD/REG_DWORD as hex or decimal, REG_BINARY as little-endian. */
export function regSizeBytes(v: RegValue): number | null {
  const d = v.data.trim();
  if (v.type === 'REG_QWORD' || v.type === 'REG_DWORD') {
    if (/^0x[0-9a-f]+$/i.test(d)) return Number(BigInt(d));
    if (/^\d+$/.test(d)) return Number(d);
    return null;
  }
  if (v.type === 'REG_BINARY' && /^([0-9a-f]{2})+$/i.test(d) && d.length <= 16) {
    const pairs = d.match(/../g) ?? [];
    return Number(BigInt(`0x${pairs.reverse().join('') || '0'}`));
  }
  return null;
}

/** Adapters that are not GPUs for generation (remote, virtual, fallback renderers). */
const NOT_A_GPU =
  /microsoft basic|remote display|virtual|parsec|citrix|vmware svga|hyper-v|spacedesk|idd ?sample|displaylink|meta virtual/i;

/** Integrated parts whose qwMemorySize is only a BIOS reservation of system RAM. */
function looksIntegrated(name: string): boolean {
  return (
    /intel\(r\) (uhd|hd|iris)|intel.*graphics$|radeon\(tm\) (graphics|\d{3}m)|radeon (vega \d+ )?graphics$|vega \d+ graphics/i.test(
      name,
    ) && !/\barc\b/i.test(name)
  );
}

/**
 * Joins the qwMemorySize and DriverDesc queries by subkey. Pure.
 * @param memoryText stdout of `reg query <class> /s /v HardwareInformation.qwMemorySize`
 * @param namesText  stdout of `reg query <class> /s /v DriverDesc`
 */
export function parseWindowsRegistry(memoryText: string, namesText: string): AdapterOutcome {
  if (memoryText.trim() === '' && namesText.trim() === '')
    return failed('unparseable', 'reg query printed nothing', 'empty-output');
  if (looksBinary(memoryText) || looksBinary(namesText))
    return failed('unparseable', 'reg query output is not text', 'binary-output');
  const sizes = parseRegQuery(memoryText);
  const names = parseRegQuery(namesText);
  const subkeys = [...new Set([...names.keys(), ...sizes.keys()])].sort();
  if (subkeys.length === 0) {
    return failed(
      'unparseable',
      `reg query found no display adapters: ${memoryText.trim().split(/\r?\n/)[0]?.slice(0, 120) ?? ''}`,
      'no-keys',
    );
  }

  const notes: string[] = [];
  const gpus: DetectedGpu[] = [];
  for (const key of subkeys) {
    const suffix = /\\(\d{4})$/.exec(key)?.[1];
    if (suffix === undefined) continue; // …\Properties and other non-adapter subkeys
    const name = names.get(key)?.get(NAME_VALUE)?.data;
    if (!name) {
      notes.push(`windows-registry: adapter ${suffix} has a memory size but no DriverDesc; ignored`);
      continue;
    }
    if (NOT_A_GPU.test(name)) {
      notes.push(`windows-registry: adapter ${suffix} "${name}" is a virtual or fallback display; skipped`);
      continue;
    }
    const sizeValue = sizes.get(key)?.get(MEMORY_VALUE);
    let total = sizeValue ? regSizeBytes(sizeValue) : null;
    if (total !== null && !plausibleVram(total)) {
      notes.push(
        `windows-registry: adapter ${suffix} "${name}" has an impossible qwMemorySize "${sizeValue?.data ?? ''}"; treated as unknown`,
      );
      total = null;
    }
    if (sizeValue === undefined) notes.push(`windows-registry: adapter ${suffix} "${name}" has no qwMemorySize`);
    const vendor = vendorFromName(name);
    const integrated = looksIntegrated(name);
    gpus.push({
      name: sourced(name, 'windows-registry', 'reported'),
      vendor,
      // For integrated parts this is the BIOS reservation, not a limit: they borrow system RAM.
      memoryTotalBytes: total === null ? null : sourced(total, 'windows-registry', 'reported'),
      memoryFreeBytes: null,
      memoryUsedBytes: null,
      unifiedMemory: integrated,
      index: Number(suffix),
      integrated,
      backendHint: vendor === 'NVIDIA' ? 'cuda' : vendor === 'other' ? 'cpu' : 'directml',
    });
  }
  if (gpus.length > 0 && gpus.some((g) => g.backendHint === 'directml')) {
    notes.push('windows-registry: free GPU memory is unknown for DirectML adapters');
  }
  return { kind: 'ok', gpus, notes };
}

export const windowsAdapter: ProbeAdapter = {
  name: 'windows',
  platforms: ['win32'],
  async probe(ctx: ProbeContext): Promise<AdapterOutcome> {
    const opts = { timeoutMs: ctx.toolTimeoutMs };
    const [mem, names] = await Promise.all([
      ctx.exec('reg', regQueryArgs(MEMORY_VALUE), opts),
      ctx.exec('reg', regQueryArgs(NAME_VALUE), opts),
    ]);
    const text = (r: typeof mem): string | null =>
      r.kind === 'ok' ? r.stdout : r.kind === 'failed' && /HKEY_/i.test(r.stdout) ? r.stdout : null;
    const memText = text(mem);
    const namesText = text(names);
    if (namesText === null) {
      return names.kind === 'ok'
        ? failed('unparseable', 'reg query printed nothing', 'empty-output')
        : execProblem('reg', names, ctx.toolTimeoutMs);
    }
    return parseWindowsRegistry(memText ?? '', namesText);
  },
};
