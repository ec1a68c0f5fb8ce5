/**
 * genready setup: which onnxruntime providers suit a machine and which are installed, the CUDA
 * install through onnxruntime-node's own installer when NuGet cannot be reached, and the offline
 * install from a NuGet package (built here with the installer's own zip library).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  cudaManifest,
  installCuda,
  installCudaFrom,
  missingProviderMessage,
  type OrtLayout,
  ortLayout,
  parseLdconfig,
  runtimeStatus,
  SetupError,
} from '../../src/ort/gpu-runtimes.ts';
import { fakeProbe } from '../../src/probe/fake.ts';
import { cli } from './helpers.ts';

const real = ortLayout();
/** The linux/x64 layout of the installed package, with its bin folder moved to a temp dir. */
const linux = (): OrtLayout => ({
  ...real,
  platform: 'linux',
  arch: 'x64',
  binDir: mkdtempSync(join(tmpdir(), 'genready-ort-')),
});

function nvidiaProbe(driver: string | undefined) {
  const p = fakeProbe({ gpuName: 'NVIDIA GeForce RTX 4090', vendor: 'NVIDIA', gpuMemoryGiB: 24 });
  return { ...p, gpus: p.gpus.map((g) => ({ ...g, ...(driver ? { driverVersion: driver } : {}) })) };
}

describe('setup: providers for this machine', () => {
  it('an NVIDIA GPU with a driver suits CUDA 12; without the provider files it is missing, with the install command', () => {
    const r = runtimeStatus(nvidiaProbe('550.54'), linux());
    const cuda = r.find((x) => x.id === 'cuda')!;
    assert.equal(cuda.suits, true);
    assert.match(cuda.why, /RTX 4090, driver 550\.54/);
    assert.equal(cuda.state, 'missing');
    assert.equal(cuda.install, 'npx genready setup --provider cuda');
    assert.equal(r.find((x) => x.id === 'dml')!.state, 'unavailable');
    assert.equal(r.find((x) => x.id === 'cpu')!.state, 'installed');
  });

  it('an NVIDIA GPU without a driver does not suit CUDA; no GPU neither', () => {
    assert.equal(runtimeStatus(nvidiaProbe(undefined), linux()).find((x) => x.id === 'cuda')!.suits, false);
    const none = runtimeStatus(fakeProbe({}), linux()).find((x) => x.id === 'cuda')!;
    assert.deepEqual([none.suits, none.why], [false, 'no NVIDIA GPU found']);
  });

  it('Windows suits DirectML, which ships with onnxruntime-node; Apple Silicon suits CoreML', () => {
    const win = {
      ...real,
      platform: 'win32' as const,
      arch: 'x64',
      binDir: join(real.packageDir, 'bin/napi-v6/win32/x64'),
    };
    const w = runtimeStatus(nvidiaProbe('551.0'), win).find((x) => x.id === 'dml')!;
    assert.deepEqual([w.suits, w.state], [true, 'installed']);
    assert.equal(runtimeStatus(nvidiaProbe('551.0'), win).find((x) => x.id === 'cuda')!.state, 'unavailable');
    const mac = {
      ...real,
      platform: 'darwin' as const,
      arch: 'arm64',
      binDir: join(real.packageDir, 'bin/napi-v6/darwin/arm64'),
    };
    const c = runtimeStatus(fakeProbe({ gpuName: 'Apple M2', vendor: 'Apple', unifiedMemory: true }), mac).find(
      (x) => x.id === 'coreml',
    )!;
    assert.deepEqual([c.suits, c.state], [true, 'installed']);
  });

  it('names the CUDA 12 and cuDNN 9 libraries the loader does not know', () => {
    const libs = parseLdconfig(
      '3 libs found in cache\n\tlibcudart.so.13 (libc6,x86-64) => /usr/local/cuda-13.0/lib/libcudart.so.13\n\tlibcudnn.so.9 (libc6,x86-64) => /usr/lib/libcudnn.so.9\n',
    );
    const cuda = runtimeStatus(nvidiaProbe('580.1'), linux(), undefined, libs).find((x) => x.id === 'cuda')!;
    assert.deepEqual(cuda.missingSystemLibs, ['libcudart.so.12', 'libcublasLt.so.12']);
  });
});

describe('setup --provider cuda', { skip: !cudaManifest({ ...real, platform: 'linux', arch: 'x64' }) }, () => {
  it('offline: unpacks the provider from a NuGet package into the bin folder, then it is installed', () => {
    const layout = linux();
    const m = cudaManifest(layout)!;
    const AdmZip = createRequire(join(real.packageDir, 'package.json'))('adm-zip');
    const zip = new AdmZip();
    for (const inside of Object.values(m.files)) zip.addFile(inside, Buffer.from(`bytes of ${inside}`));
    const nupkg = join(layout.binDir, m.nupkg);
    zip.writeZip(nupkg);
    assert.match(missingProviderMessage('cuda', layout)!, /npx genready setup --provider cuda$/);
    const files = installCudaFrom(layout, nupkg);
    assert.ok(files.includes('libonnxruntime_providers_cuda.so'));
    assert.equal(
      readFileSync(join(layout.binDir, 'libonnxruntime_providers_cuda.so'), 'utf8'),
      'bytes of runtimes/linux-x64/native/libonnxruntime_providers_cuda.so',
    );
    assert.equal(runtimeStatus(nvidiaProbe('550.54'), layout).find((x) => x.id === 'cuda')!.state, 'installed');
    assert.equal(missingProviderMessage('cuda', layout), null);
  });

  it('a package without the provider files is refused by name', () => {
    const layout = linux();
    const AdmZip = createRequire(join(real.packageDir, 'package.json'))('adm-zip');
    const zip = new AdmZip();
    zip.addFile('readme.txt', Buffer.from('x'));
    const nupkg = join(layout.binDir, 'other.nupkg');
    zip.writeZip(nupkg);
    assert.throws(() => installCudaFrom(layout, nupkg), /has no runtimes\/linux-x64\/native\/libonnxruntime_providers/);
  });

  it('NuGet unreachable: the real installer fails, one line says so with the offline way, nothing is written', async () => {
    // A proxy on a closed local port makes the download fail the same way with or without internet.
    const layout = { ...real, platform: 'linux' as const, arch: 'x64' };
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    const before = existsSync(join(layout.binDir, 'libonnxruntime_providers_cuda.so'));
    const err = await installCuda(layout, () => {}, {
      ...process.env,
      GLOBAL_AGENT_HTTPS_PROXY: 'http://127.0.0.1:9',
    }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof SetupError, String(err));
    assert.equal(err.code, 'download-unreachable');
    assert.match(
      err.message,
      /^cannot reach NuGet for the CUDA provider \(connect ECONNREFUSED 127\.0\.0\.1:9\); offline: /,
    );
    assert.match(err.message, /--from microsoft\.ml\.onnxruntime\.gpu\.linux\.[\d.]+\.nupkg$/);
    assert.equal(err.message.includes('\n'), false);
    assert.equal(existsSync(join(layout.binDir, 'libonnxruntime_providers_cuda.so')), before);
  });

  it('run --provider cuda without the provider says the exact command', {
    skip: missingProviderMessage('cuda') === null,
  }, () => {
    const r = cli(['run', 'recipe.json', '--provider', 'cuda']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'genready: the CUDA provider of onnxruntime is not installed here; install it with: npx genready setup --provider cuda\n',
    );
  });
});
