/**
 * Device-name cleaning shared by the matcher and by `scripts/build-devices.ts`, so that catalog
 * names and user/driver strings are read by exactly the same rules (the detect-gpu habit: one
 * cleaning function for both sides of the comparison).
 *
 * The output is a token list: lowercase, vendor words and marketing noise removed, digit/letter
 * runs split where users and drivers glue them ("rtx4090", "7900XTX"), memory sizes folded into a
 * single `<n>gb` token and form factors canonicalised (`sxm4` → `sxm`).
 */

/** Vendor and product-line words that drivers add but that never tell two catalog parts apart. */
const VENDOR_WORDS = new Set([
  'nvidia',
  'geforce',
  'amd',
  'ati',
  'radeon',
  'intel',
  'apple',
  'tesla',
  'graphics',
  'gpu',
  'corporation',
  'corp',
  'inc',
]);

/**
 * Words that describe packaging, memory technology or board partner marketing rather than the chip.
 * `generation`/`edition` appear in NVIDIA workstation names ("RTX 6000 Ada Generation") and are
 * dropped on both sides, so users may omit them.
 */
const NOISE_WORDS = new Set([
  'with',
  'design',
  'founders',
  'edition',
  'fe',
  'generation',
  'gen',
  'desktop',
  'series',
  'card',
  'discrete',
  'dedicated',
  'accelerator',
  'hgx',
  'dgx',
]);

/** Memory technology ("80GB HBM3"), PCIe generation ("gen4") and rack layout ("NVL72") tokens. */
const NOISE_PATTERNS = [/^hbm\d*e?$/, /^(lp)?g?ddr\d+x?$/, /^nvl\d+$/, /^gen\d$/];

/** Suffixes that users glue to a model number ("4070ti", "7900xtx", "4070tisuper"). */
const GLUED_SUFFIX = /\b(\d{3,5})((?:ti|super|xtx|xt|gre)+)\b/g;
const SUFFIX_PART = /xtx|xt|ti|super|gre/g;

/** Series prefixes that users glue to a number ("rtx4090", "rx7900"). */
const GLUED_PREFIX = /\b(rtx|gtx|gt|rx|mx|arc)(?=\d)/g;

/**
 * Memory sizes: "16GB", "16 GB", "16G", "16 GiB". At most three digits, so APU model numbers such
 * as "5600G" are not read as 5600 GB.
 */
const MEMORY_SIZE = /\b(\d{1,3})\s*(?:gib|gb|g)\b/g;

function canonicalToken(token: string): string {
  if (/^sxm\d*$/.test(token)) return 'sxm';
  if (token === 'mobile' || token === 'notebook') return 'laptop';
  return token;
}

function isDropped(token: string): boolean {
  return VENDOR_WORDS.has(token) || NOISE_WORDS.has(token) || NOISE_PATTERNS.some((re) => re.test(token));
}

/**
 * Clean a device name into tokens.
 * @example deviceNameTokens('NVIDIA GeForce RTX 4070 Laptop GPU') // ['rtx', '4070', 'laptop']
 * @example deviceNameTokens('Radeon RX 7900XTX') // ['rx', '7900', 'xtx']
 * @example deviceNameTokens('NVIDIA A100-SXM4-40GB') // ['a100', 'sxm', '40gb']
 */
export function deviceNameTokens(raw: string): string[] {
  const text = raw
    .toLowerCase()
    .replace(/\((?:r|tm|c)\)|[®™©]/g, ' ')
    .replace(/\bmax[\s-]?q\b/g, ' maxq ')
    .replace(/\bpci[\s-]?e(?:xpress)?\b/g, ' pcie ')
    // GPU core counts ("16-core GPU") name a bin of the same chip, not a different model.
    .replace(/\b\d+[\s-]?cores?\b/g, ' ')
    .replace(MEMORY_SIZE, ' $1gb ')
    .replace(/[^a-z0-9]+/g, ' ')
    .replace(GLUED_PREFIX, '$1 ')
    .replace(
      GLUED_SUFFIX,
      (_m, digits: string, suffix: string) => `${digits} ${suffix.match(SUFFIX_PART)?.join(' ') ?? suffix}`,
    );
  return text
    .split(' ')
    .filter((t) => t.length > 0)
    .map(canonicalToken)
    .filter((t) => !isDropped(t));
}

/** Split a catalog name into its main part and any parenthesised description ("A10G (AWS)"). */
export function splitParenthetical(name: string): { main: string; extra: string } {
  const extra: string[] = [];
  const main = name.replace(/\(([^)]*)\)/g, (_m, inner: string) => {
    extra.push(inner);
    return ' ';
  });
  return { main, extra: extra.join(' ') };
}

/**
 * A stable id slug: vendor prefix (unless the name already starts with it), parenthesised
 * descriptions dropped except memory sizes ("RTX A2000 (6GB)" keeps `6gb`), `+` spelled out.
 * @example deviceSlug('NVIDIA', 'GeForce RTX 4090') // 'nvidia-geforce-rtx-4090'
 */
export function deviceSlug(vendor: string, name: string): string {
  const kept = name.replace(/\(([^)]*)\)/g, (_m, inner: string) =>
    /^\s*\d+\s*GB\s*$/i.test(inner) ? ` ${inner} ` : ' ',
  );
  const prefixed = kept.toLowerCase().startsWith(vendor.toLowerCase()) ? kept : `${vendor} ${kept}`;
  return prefixed
    .toLowerCase()
    .replace(/\+/g, ' plus ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
