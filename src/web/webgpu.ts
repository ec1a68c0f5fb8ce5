/**
 * The visitor's GPU, as far as the browser tells: WebGPU's adapter info. Chrome often gives only a
 * vendor and an architecture ("nvidia", "ada"), sometimes a description with the product name; it is
 * a guess either way and the page says so.
 */

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

interface GpuLike {
  requestAdapter(): Promise<{
    info?: Partial<AdapterInfo>;
    requestAdapterInfo?: () => Promise<Partial<AdapterInfo>>;
  } | null>;
}

/** Adapter info, or null when there is no WebGPU, no adapter or no answer within a second. */
export async function adapterInfo(timeoutMs = 1000): Promise<AdapterInfo | null> {
  const gpu = (navigator as Navigator & { gpu?: GpuLike }).gpu;
  if (!gpu) return null;
  try {
    const timeout = new Promise<null>((done) => setTimeout(() => done(null), timeoutMs));
    const adapter = await Promise.race([gpu.requestAdapter(), timeout]);
    if (!adapter) return null;
    const info =
      adapter.info ?? (adapter.requestAdapterInfo ? await Promise.race([adapter.requestAdapterInfo(), timeout]) : null);
    if (!info) return null;
    return {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      device: info.device ?? '',
      description: info.description ?? '',
    };
  } catch {
    return null;
  }
}
