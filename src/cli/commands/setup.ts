import { defineCommand } from 'citty';
import {
  installCuda,
  installCudaFrom,
  ortLayout,
  type RuntimeId,
  runtimeStatus,
  SetupError,
  systemLibraries,
} from '../../ort/gpu-runtimes.ts';
import { probeMachine } from '../../probe/probe.ts';
import { rejectUnknownFlags } from '../_args.ts';
import { color, table } from '../format.ts';
import type { Output } from '../output.ts';

const args = {
  provider: {
    type: 'string',
    valueHint: 'cuda|dml|coreml|cpu',
    description: 'install this provider (only CUDA needs installing: it downloads ~hundreds of MB from NuGet)',
  },
  from: {
    type: 'string',
    valueHint: 'FILE.nupkg',
    description: 'with --provider cuda: unpack a NuGet package downloaded elsewhere (offline install)',
  },
  json: { type: 'boolean', description: 'print the providers as JSON' },
} as const;

const IDS: readonly RuntimeId[] = ['cuda', 'dml', 'coreml', 'cpu'];

export const setupCommand = defineCommand({
  meta: {
    name: 'setup',
    description:
      'GPU runtimes as an opt-in: which onnxruntime execution providers this machine could use, which are installed; --provider cuda installs the CUDA one',
  },
  args,
  async run({ args: a, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, args);
    const out = data as Output;
    const asked = a.provider === undefined ? undefined : String(a.provider).toLowerCase();
    if (asked !== undefined && !(IDS as readonly string[]).includes(asked))
      throw new SetupError('bad-provider', `--provider must be one of ${IDS.join(', ')}, got "${a.provider}"`);
    if (a.from !== undefined && asked !== 'cuda')
      throw new SetupError('bad-flag', '--from goes with --provider cuda (a NuGet package of the CUDA provider)');
    const layout = ortLayout();
    const probe = await probeMachine();
    const status = () => runtimeStatus(probe, layout, undefined, systemLibraries());
    const before = status();

    if (asked === undefined) {
      if (a.json)
        return out.json({
          onnxruntime: layout.version,
          platform: `${layout.platform}/${layout.arch}`,
          providers: before,
        });
      out.text(`onnxruntime-node ${layout.version} on ${layout.platform}/${layout.arch}`);
      const t = table(['provider', 'suits this machine', 'installed']);
      for (const r of before) {
        const installed =
          r.state === 'installed'
            ? color.green('yes')
            : r.state === 'missing'
              ? `no: ${r.install}`
              : 'not built for this platform';
        t.push([r.label, `${r.suits ? 'yes' : 'no'} — ${r.why}`, installed]);
      }
      out.text(t.toString());
      for (const r of before)
        if (r.missingSystemLibs && r.suits)
          out.text(
            color.yellow(
              `${r.label} also needs ${r.missingSystemLibs.join(', ')}, not found by ldconfig: install CUDA 12 and cuDNN 9.`,
            ),
          );
      const best = before.find((r) => r.suits && r.state === 'installed')!;
      out.text(color.dim(`genready bench and run use ${best.label} here (--provider to choose).`));
      return;
    }

    const r = before.find((x) => x.id === asked)!;
    if (r.state === 'unavailable')
      throw new SetupError(
        'unavailable',
        `onnxruntime-node ${layout.version} has no ${r.label} provider for ${layout.platform}/${layout.arch}`,
      );
    if (r.state === 'installed' && a.from === undefined) {
      out.text(`${r.label} is installed (${r.id === 'cuda' ? layout.binDir : 'ships with onnxruntime-node'}).`);
      return;
    }
    if (!r.suits) process.stderr.write(color.yellow(`genready: ${r.why}; installing ${r.label} anyway\n`));
    if (a.from !== undefined) {
      const files = installCudaFrom(layout, String(a.from));
      out.text(`unpacked ${files.join(', ')} into ${layout.binDir}`);
    } else {
      process.stderr.write(`genready: running onnxruntime-node's installer for CUDA 12 (downloads from NuGet)\n`);
      await installCuda(layout);
    }
    const after = status().find((x) => x.id === 'cuda')!;
    if (after.state !== 'installed')
      throw new SetupError('install-incomplete', `the CUDA provider files are still missing from ${layout.binDir}`);
    out.text(`${r.label} installed: genready bench and run --provider cuda can use it.`);
    if (after.missingSystemLibs)
      out.text(color.yellow(`It also needs ${after.missingSystemLibs.join(', ')}: install CUDA 12 and cuDNN 9.`));
  },
});
