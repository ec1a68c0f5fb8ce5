/**
 * GPU runtimes for onnxruntime-node as an explicit opt-in (`genready setup`): which execution
 * providers this machine could use, which are installed, and installing the CUDA one.
 *
 * onnxruntime-node's npm package ships the CPU runtime for every platform, DirectML on Windows and
 * CoreML inside the macOS library. The CUDA provider's libraries (hundreds of MB) come from NuGet
 * through the package's own install script, which `npm ci` does not run here (.npmrc
 * ignore-scripts); `setup --provider cuda` runs that same script on request, or, offline, unpacks
 * the NuGet package the user brought (`--from FILE.nupkg`) with the script's own metadata.
 *
 * Nothing here loads onnxruntime: presence is a file check, so `setup` is instant and safe on a
 * machine whose provider libraries would crash the loader.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GenreadyError } from '../catalog/errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import type { ProbeResult } from '../probe/types.ts';

export class SetupError extends GenreadyError {}

export type RuntimeId = 'cuda' | 'dml' | 'coreml' | 'cpu';

/** Where onnxruntime-node keeps its native files for one platform/arch. */
export interface OrtLayout {
  /** The package folder (node_modules/onnxruntime-node). */
  packageDir: string;
  version: string;
  platform: NodeJS.Platform;
  arch: string;
  /** bin/napi-v6/<platform>/<arch>/ */
  binDir: string;
}

export function ortLayout(platform: NodeJS.Platform = process.platform, arch: string = process.arch): OrtLayout {
  const req = createRequire(import.meta.url);
  // The package has no "exports" map, so its package.json resolves directly.
  const pkgJson = req.resolve('onnxruntime-node/package.json');
  const packageDir = dirname(pkgJson);
  const version = JSON.parse(readFileSync(pkgJson, 'utf8')).version as string;
  return { packageDir, version, platform, arch, binDir: join(packageDir, 'bin', 'napi-v6', platform, arch) };
}

/** The part of onnxruntime-node's script/install-metadata.js that says what the CUDA install adds. */
interface InstallMetadata {
  manifests: Record<string, Record<string, { package: string; path: string }>>;
  packages: Record<string, { name: string; versions: { feed: string; version: string }[] }>;
}

function installMetadata(layout: OrtLayout): InstallMetadata | null {
  const file = join(layout.packageDir, 'script', 'install-metadata.js');
  if (!existsSync(file)) return null;
  return createRequire(file)(file) as InstallMetadata;
}

/** The CUDA 12 manifest for this platform: file in binDir → path inside the NuGet package. */
export function cudaManifest(layout: OrtLayout): { files: Record<string, string>; nupkg: string; url: string } | null {
  const meta = installMetadata(layout);
  const manifest = meta?.manifests[`${layout.platform}/${layout.arch}:cuda12`];
  if (!meta || !manifest) return null;
  const files = Object.fromEntries(Object.entries(manifest).map(([f, v]) => [f.replace(/^\.\//, ''), v.path]));
  const pkgKey = Object.values(manifest)[0]!.package;
  const pkg = meta.packages[pkgKey]!;
  const id = pkg.name.toLowerCase();
  const v = (pkg.versions[0]?.version ?? layout.version).toLowerCase();
  // NuGet's flat container (PackageBaseAddress/3.0.0) path for one package version.
  return {
    files,
    nupkg: `${id}.${v}.nupkg`,
    url: `https://api.nuget.org/v3-flatcontainer/${id}/${v}/${id}.${v}.nupkg`,
  };
}

/** The files without which the provider cannot load (the TensorRT one is optional for CUDA). */
function requiredFiles(id: RuntimeId, layout: OrtLayout): string[] | null {
  switch (id) {
    case 'cpu':
      return [];
    case 'cuda': {
      const m = cudaManifest(layout);
      return m ? Object.keys(m.files).filter((f) => !/tensorrt/i.test(f)) : null;
    }
    case 'dml':
      return layout.platform === 'win32' ? ['DirectML.dll'] : null;
    case 'coreml':
      // CoreML is compiled into the macOS onnxruntime library itself.
      return layout.platform === 'darwin' ? [] : null;
  }
}

export interface RuntimeStatus {
  id: RuntimeId;
  label: string;
  /** This machine has the hardware (and driver) for it. */
  suits: boolean;
  why: string;
  /** installed: its files are present; missing: installable; unavailable: onnxruntime-node has no build of it here. */
  state: 'installed' | 'missing' | 'unavailable';
  /** What to type to install it, when missing. */
  install?: string;
  /** System libraries it needs and that were not found (CUDA runtime, cuDNN), when known. */
  missingSystemLibs?: string[];
}

export const SETUP_CUDA = 'npx genready setup --provider cuda';

/** CUDA provider of onnxruntime 1.2x–1.3x: CUDA 12 runtime, cuBLAS 12, cuDNN 9 (onnxruntime's CUDA EP requirements). */
export const CUDA_SYSTEM_LIBS = ['libcudart.so.12', 'libcublasLt.so.12', 'libcudnn.so.9'];

/** `ldconfig -p` → the sonames it lists. */
export function parseLdconfig(text: string): Set<string> {
  return new Set([...text.matchAll(/^\s*(\S+\.so[.\d]*)\s/gm)].map((m) => m[1]!));
}

/**
 * What each provider means for this machine. `exists` and `systemLibs` are seams (file system,
 * `ldconfig -p`); `systemLibs` null means unknown (not Linux, or ldconfig missing).
 */
export function runtimeStatus(
  probe: Pick<ProbeResult, 'gpus' | 'os'>,
  layout: OrtLayout,
  exists: (path: string) => boolean = existsSync,
  systemLibs: Set<string> | null = null,
): RuntimeStatus[] {
  const nvidia = probe.gpus.find((g) => g.vendor === 'NVIDIA' && !g.integrated);
  const anyGpu = probe.gpus.find((g) => !g.integrated) ?? probe.gpus[0];
  const appleSilicon = layout.platform === 'darwin' && layout.arch === 'arm64';
  const state = (id: RuntimeId): RuntimeStatus['state'] => {
    const files = requiredFiles(id, layout);
    if (files === null) return 'unavailable';
    return files.every((f) => exists(join(layout.binDir, f))) ? 'installed' : 'missing';
  };
  const cudaState = state('cuda');
  const cudaLibsMissing =
    systemLibs && nvidia && layout.platform === 'linux' ? CUDA_SYSTEM_LIBS.filter((l) => !systemLibs.has(l)) : [];
  return [
    {
      id: 'cuda',
      label: 'CUDA 12',
      suits: Boolean(nvidia?.driverVersion),
      why: nvidia
        ? nvidia.driverVersion
          ? `${nvidia.name.value}, driver ${nvidia.driverVersion}`
          : `${nvidia.name.value}, but no NVIDIA driver answered (nvidia-smi)`
        : 'no NVIDIA GPU found',
      state: cudaState,
      ...(cudaState === 'missing' ? { install: SETUP_CUDA } : {}),
      ...(cudaLibsMissing.length ? { missingSystemLibs: cudaLibsMissing } : {}),
    },
    {
      id: 'dml',
      label: 'DirectML',
      suits: layout.platform === 'win32' && anyGpu !== undefined,
      why:
        layout.platform !== 'win32'
          ? 'Windows only'
          : anyGpu
            ? `${anyGpu.name.value} (any DirectX 12 GPU)`
            : 'no GPU found',
      state: state('dml'),
    },
    {
      id: 'coreml',
      label: 'CoreML',
      suits: appleSilicon,
      why: appleSilicon ? 'Apple Silicon' : layout.platform === 'darwin' ? 'Intel Mac: no Neural Engine' : 'macOS only',
      state: state('coreml'),
    },
    { id: 'cpu', label: 'CPU', suits: true, why: 'always', state: 'installed' },
  ];
}

/** Reachability failures of the download (DNS, refused, unreachable, timed out, proxy). */
const OFFLINE =
  /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ENETUNREACH|EHOSTUNREACH|ETIMEDOUT|socket hang up|getaddrinfo)\b/;

export function offlineAdvice(layout: OrtLayout): string {
  const m = cudaManifest(layout);
  if (!m) return '';
  return `offline: on a machine with internet download ${m.url}, copy it here, then run ${SETUP_CUDA} --from ${m.nupkg}`;
}

/**
 * Run onnxruntime-node's own installer for CUDA 12 (what its postinstall would do with
 * ONNXRUNTIME_NODE_INSTALL=cuda12). Its progress lines go to `log`. A download that cannot reach
 * NuGet ends in one SetupError line with the offline way; the installer writes nothing then.
 */
export async function installCuda(
  layout: OrtLayout,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (!cudaManifest(layout))
    throw new SetupError(
      'cuda-unavailable',
      `onnxruntime-node ${layout.version} has no CUDA provider for ${layout.platform}/${layout.arch}${layout.platform === 'win32' ? '; use DirectML (--provider dml), which ships with it' : ''}`,
    );
  const script = join(layout.packageDir, 'script', 'install.js');
  // The installer (1.30) reads ONNXRUNTIME_NODE_INSTALL=cuda12 but its parser then returns nothing
  // for it, so what installs CUDA is its per-platform default (linux/x64: cuda12). That default is
  // skipped when npm's variables say "local install" (under `npm run`/`npm test`) or when an .npmrc
  // says onnxruntime-node-install=skip: those are removed from its environment.
  const childEnv: NodeJS.ProcessEnv = { ...env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' };
  for (const k of [
    'npm_config_local_prefix',
    'npm_package_json',
    'npm_config_onnxruntime_node_install',
    'npm_config_onnxruntime_node_install_cuda',
    'ONNXRUNTIME_NODE_INSTALL_CUDA',
  ])
    delete childEnv[k];
  const child = spawn(process.execPath, [script], {
    cwd: layout.packageDir,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    for (const l of s.split('\n')) if (l.trim()) log(`  ${l}`);
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code === 0) {
    if (missingProviderMessage('cuda', layout) === null) return;
    throw new SetupError(
      'install-incomplete',
      `onnxruntime-node's installer ended without the CUDA provider files in ${layout.binDir}`,
    );
  }
  const reason = /^\w*Error: (.+)$/m.exec(stderr)?.[1] ?? stderr.trim().split('\n').at(-1) ?? `exit ${code}`;
  if (OFFLINE.test(stderr))
    throw new SetupError(
      'download-unreachable',
      `cannot reach NuGet for the CUDA provider (${reason}); ${offlineAdvice(layout)}`,
    );
  throw new SetupError('install-failed', `onnxruntime-node's CUDA installer failed: ${reason}`);
}

/**
 * Offline install: unpack the CUDA provider's files from a NuGet package the user downloaded, with
 * the zip reader onnxruntime-node's installer uses (adm-zip, its own dependency).
 */
export function installCudaFrom(layout: OrtLayout, nupkg: string): string[] {
  const m = cudaManifest(layout);
  if (!m)
    throw new SetupError(
      'cuda-unavailable',
      `onnxruntime-node has no CUDA provider for ${layout.platform}/${layout.arch}`,
    );
  if (!existsSync(nupkg)) throw new SetupError('no-file', `${nupkg} does not exist; download it from ${m.url}`);
  const AdmZip = createRequire(join(layout.packageDir, 'package.json'))('adm-zip') as new (
    file: string,
  ) => { getEntry(name: string): { getData(): Buffer } | null };
  let zip: InstanceType<typeof AdmZip>;
  try {
    zip = new AdmZip(nupkg);
  } catch (err) {
    throw new SetupError('bad-nupkg', `${nupkg} is not a NuGet package (zip): ${(err as Error).message}`);
  }
  const entries = Object.entries(m.files).map(([file, inside]) => {
    const e = zip.getEntry(inside);
    if (!e) throw new SetupError('bad-nupkg', `${nupkg} has no ${inside}; download ${m.url}`);
    return [file, e] as const;
  });
  // Each library lands whole or not at all (a half-written .so would crash the loader).
  for (const [file, e] of entries) writeFileAtomic(join(layout.binDir, file), e.getData());
  return entries.map(([f]) => f);
}

/** Sonames the dynamic loader knows (`ldconfig -p`); null where that cannot be asked (not Linux, no ldconfig). */
export function systemLibraries(platform: NodeJS.Platform = process.platform): Set<string> | null {
  if (platform !== 'linux') return null;
  for (const cmd of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    try {
      return parseLdconfig(
        execFileSync(cmd, ['-p'], { encoding: 'utf8', timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] }),
      );
    } catch {}
  }
  return null;
}

/**
 * One line for a provider asked for (`--provider cuda`) whose files are not installed, with the
 * command that installs it; null when it is there or has nothing to install.
 */
export function missingProviderMessage(
  id: string,
  layout: OrtLayout = ortLayout(),
  exists: (path: string) => boolean = existsSync,
): string | null {
  if (id !== 'cuda') return null;
  const files = requiredFiles('cuda', layout);
  if (files === null)
    return `onnxruntime-node ${layout.version} has no CUDA provider for ${layout.platform}/${layout.arch}${layout.platform === 'win32' ? '; use --provider dml' : ''}`;
  if (files.every((f) => exists(join(layout.binDir, f)))) return null;
  return `the CUDA provider of onnxruntime is not installed here; install it with: ${SETUP_CUDA}`;
}
