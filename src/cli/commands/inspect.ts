/**
 * `genready inspect PATH`: which model is this .safetensors file or diffusers folder, and can this
 * machine run it. The file part reads headers only (src/checkpoint); the machine part is the same
 * verdict `genready check` gives for the catalog model the layout names.
 */
import { defineCommand } from 'citty';
import { calibrationFor, machineFor, parseCheck } from '../../answers/check.ts';
import { productionLocal } from '../../answers/local.ts';
import { a1111Hashes, type FileHashes } from '../../checkpoint/hash.ts';
import { type Inspection, inspectCheckpoint } from '../../checkpoint/inspect.ts';
import type { Machine } from '../../planner/machine.ts';
import { modelVerdicts, tierOf } from '../../planner/verdict.ts';
import { rejectUnknownFlags, UsageError } from '../_args.ts';
import { figure } from '../_verdict-text.ts';
import { color, gb, params, seconds } from '../format.ts';
import type { Output } from '../output.ts';

const args = {
  path: { type: 'positional', description: '.safetensors file or diffusers folder', required: false },
  as: { type: 'string', description: 'answer for a hypothetical machine with this GPU (as in `genready check --as`)' },
  ram: { type: 'string', description: 'system RAM in GiB for --as (default 32)' },
  json: { type: 'boolean', description: 'print JSON (model, kind, parameters, components, …, machine)' },
  hash: {
    type: 'boolean',
    description: "also read the whole file for AUTOMATIC1111's hashes (Model hash; LoRA hash)",
  },
} as const;

/** This machine's answer for the identified catalog model: tier, mode, seconds per image, largest side. */
export async function machineAnswer(model: string | null, a: { as?: string; ram?: string }) {
  if (!model) return null;
  // The same machine and calibration `genready check` answers with, through the same request.
  const req = parseCheck({
    ...(a.as !== undefined ? { as: a.as } : {}),
    ...(a.ram !== undefined ? { ram: a.ram } : {}),
  });
  const local = productionLocal((msg) => process.stderr.write(`genready: ${msg}\n`));
  const m: Machine = await machineFor(req, local);
  const calibration = calibrationFor(req, m, local);
  const v = modelVerdicts(m, { detail: true, calibration }).find((x) => x.model === model);
  if (!v) return null;
  const tier = tierOf(m);
  return {
    device: m.deviceNote,
    tier: { level: tier.level, name: tier.name },
    model: v.model,
    mode: v.mode,
    strategy: v.strategy,
    width: v.width,
    height: v.height,
    steps: v.steps,
    secondsPerImage: v.secondsPerImage,
    imagesPerHour: v.imagesPerHour,
    maxSideOnDevice: v.maxSideOnDevice,
    /** The cost model's weight bytes for the catalog pipeline at its default formats (compare with the file's). */
    weightsBytes: v.weightsBytes,
    basis: v.basis,
    why: v.why,
  };
}

const KIND_WORDS: Record<string, string> = {
  checkpoint: 'checkpoint (whole pipeline in one file)',
  denoiser: 'denoiser alone',
  vae: 'VAE alone',
  'text-encoder': 'text encoder alone',
  lora: 'LoRA',
  controlnet: 'ControlNet',
};

function render(
  r: Inspection,
  machine: Awaited<ReturnType<typeof machineAnswer>>,
  hashes: FileHashes | null,
): string[] {
  const lines: string[] = [];
  const tensors = r.files.reduce((s, f) => s + f.tensors, 0);
  lines.push(
    `${color.bold(r.path)}: ${r.format === 'diffusers-folder' ? `diffusers folder, ${r.files.length} weight files, ` : ''}${gb(r.bytes)}, ${tensors.toLocaleString('en-US')} tensors`,
  );
  if (r.kind === null) {
    lines.push(color.yellow('Layout not recognised.'));
  } else {
    const fam = r.family ? `${r.family} ` : '';
    const also = r.alsoMatches.length ? ` (same layout as ${r.alsoMatches.join(', ')})` : '';
    lines.push(
      `${color.bold(`${fam}${KIND_WORDS[r.kind]}`)} — catalog model ${r.model ? color.bold(r.model) : 'not determined by the layout'}${also}`,
    );
  }
  lines.push(`  parameters ${params(r.parameters)} (floating point)`);
  for (const c of r.components) {
    const dt = Object.keys(c.dtypes).join('/');
    lines.push(
      `    ${c.role.padEnd(12)} ${c.name}: ${params(c.parameters)} ${dt}, ${gb(c.bytes)}${c.prefix ? color.dim(` [${c.prefix}]`) : ''}${c.model && c.model !== r.model ? ` (${c.model})` : ''}`,
    );
  }
  if (r.lora)
    lines.push(
      `    ${r.lora.modules} adapted modules, rank ${r.lora.ranks.join('/') || '?'}; family from ${r.lora.basis}`,
    );
  lines.push(
    `  dtypes: ${Object.entries(r.dtypes)
      .map(([d, x]) => `${d} ${x.tensors} tensors ${gb(x.bytes)}`)
      .join(' · ')}`,
  );
  const facts: string[] = [];
  if (r.vae) facts.push(`VAE ${r.vae}`);
  if (r.kind === 'checkpoint' || r.kind === 'denoiser')
    facts.push(r.ema ? `EMA copy: ${params(r.ema.parameters)}` : 'no EMA copy (pruned)');
  if (r.prediction)
    facts.push(
      r.prediction.type
        ? `prediction: ${r.prediction.type} ${color.dim(`(${r.prediction.source})`)}`
        : `prediction type: ${r.prediction.source}`,
    );
  if (facts.length) lines.push(`  ${facts.join(' · ')}`);
  if (r.missing.length)
    lines.push(
      color.yellow(
        `  missing: ${r.missing.slice(0, 8).join(', ')}${r.missing.length > 8 ? ` … (${r.missing.length})` : ''}`,
      ),
    );
  if (r.unexpected.count)
    lines.push(
      color.yellow(
        `  ${r.unexpected.count} tensors no known layout claims, e.g. ${r.unexpected.examples.slice(0, 3).join(', ')}`,
      ),
    );
  for (const n of r.nearest.slice(0, 3)) {
    lines.push(
      `  nearest for ${n.prefix || 'the file'}: ${n.name}${n.family ? ` (${n.family})` : ''}, ${Math.round(n.score * 100)} % of its signature; differs:`,
    );
    for (const d of n.differences.slice(0, 6)) lines.push(`    ${d}`);
  }
  for (const n of r.notes) lines.push(color.dim(`  ${n}`));
  if (hashes)
    lines.push(
      r.kind === 'lora'
        ? `  LoRA hash (A1111 "Lora hashes"): ${hashes.addnetHash?.slice(0, 12)} · sha256 ${hashes.sha256}`
        : `  Model hash (A1111): ${hashes.modelHash} · sha256 ${hashes.sha256} · legacy ${hashes.legacyHash}`,
    );
  if (machine) {
    const where =
      machine.mode === 'on-device'
        ? color.green('on the device')
        : machine.mode === 'with-offload'
          ? color.yellow(`with ${machine.strategy}`)
          : machine.mode === 'cpu-only'
            ? color.yellow('on the CPU')
            : color.red('not established');
    lines.push(`${color.bold('Here')}: ${machine.device}; tier ${machine.tier.level} (${machine.tier.name})`);
    lines.push(
      `  ${machine.model} ${where} at ${machine.width}×${machine.height}, ${machine.steps} steps: ${figure(machine.secondsPerImage, seconds)} per image${machine.maxSideOnDevice ? `; largest square on the device ${machine.maxSideOnDevice}²` : ''} ${color.dim(`(${machine.basis}; ${machine.why})`)}`,
    );
  } else if (r.kind !== null) {
    lines.push(color.dim('No catalog model to estimate for: the layout does not name one.'));
  }
  return lines;
}

export const inspectCommand = defineCommand({
  meta: {
    name: 'inspect',
    description: 'Which model is this .safetensors file or diffusers folder, and can it run here',
  },
  args,
  async run({ args: a, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, args);
    const out = data as Output;
    if (!a.path) throw new UsageError('missing-path', 'inspect needs a .safetensors file or a diffusers folder');
    const r = inspectCheckpoint(String(a.path));
    // Hashing reads every byte: only when asked, and only for a single file (A1111 hashes files).
    const hashes = a.hash && r.format === 'safetensors' ? a1111Hashes(r.path) : null;
    const machine = await machineAnswer(r.model, {
      ...(a.as !== undefined ? { as: String(a.as) } : {}),
      ...(a.ram !== undefined ? { ram: String(a.ram) } : {}),
    });
    if (a.json) return out.json({ ...r, hashes, machine });
    for (const l of render(r, machine, hashes)) out.text(l);
  },
});
