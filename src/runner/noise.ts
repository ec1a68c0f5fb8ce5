/**
 * Seeded Gaussian noise, the same on every machine.
 *
 * The algorithm is PyTorch's CPU `torch.randn` after `torch.manual_seed(seed)` (a 32-bit
 * Mersenne Twister, MT19937, feeding a Box-Muller transform in blocks of 16), so a latent drawn
 * here equals the one diffusers draws with `generator=torch.Generator("cpu").manual_seed(seed)` and
 * AUTOMATIC1111 draws with its "CPU" RNG source, to within one float32 rounding. Reference:
 * pytorch aten/src/ATen/native/cpu/DistributionTemplates.h (`normal_fill`, `normal_fill_16`) and
 * aten/src/ATen/core/MT19937RNGEngine.h.
 *
 * Why it is identical everywhere: the generator is integer arithmetic; the transform uses only
 * IEEE-754 +, ×, sqrt (exactly rounded) and V8's Math.log/cos/sin, which are a software port of
 * fdlibm and do not depend on the CPU or the C library. Each value is computed in double and rounded
 * once to float32. (torch itself is not bit-identical across CPUs: its AVX2 path uses a vectorised
 * log/sincos, so it can differ from this by one float32 ulp.) test/runner/noise.test.ts pins values.
 */

const N = 624;
const M = 397;

/** MT19937 with PyTorch's seeding (the low 32 bits of the seed, standard initialisation). */
export class MT19937 {
  private readonly state = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
    const s = this.state;
    s[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = s[i - 1]! ^ (s[i - 1]! >>> 30);
      s[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  private twist(): void {
    const s = this.state;
    for (let i = 0; i < N; i++) {
      const y = (s[i]! & 0x80000000) | (s[(i + 1) % N]! & 0x7fffffff);
      let v = s[(i + M) % N]! ^ (y >>> 1);
      if (y & 1) v ^= 0x9908b0df;
      s[i] = v >>> 0;
    }
    this.index = 0;
  }

  /** Next 32-bit unsigned output. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.state[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform float32 in [0, 1) from the low 24 bits, as torch's `uniform_real_distribution<float>`. */
  nextFloat24(): number {
    return (this.nextUint32() & 0xffffff) / 16777216;
  }
}

function boxMuller16(data: Float32Array, at: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = 1 - data[at + j]!; // (0, 1]: log never sees 0
    const u2 = data[at + j + 8]!;
    const radius = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    data[at + j] = radius * Math.cos(theta);
    data[at + j + 8] = radius * Math.sin(theta);
  }
}

/**
 * Fill `count` standard normal float32 values from the generator, exactly as torch's `normal_fill`
 * does for a contiguous float tensor of at least 16 elements (latents always are).
 */
export function randn(rng: MT19937, count: number): Float32Array {
  if (count < 16) throw new RangeError('randn needs at least 16 values (torch uses another path below 16)');
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = rng.nextFloat24();
  for (let i = 0; i + 16 <= count; i += 16) boxMuller16(data, i);
  if (count % 16 !== 0) {
    // torch redraws the last 16 values (overlapping the previous block) rather than handle a short block.
    const at = count - 16;
    for (let i = 0; i < 16; i++) data[at + i] = rng.nextFloat24();
    boxMuller16(data, at);
  }
  return data;
}

/** A seeded noise source: the initial latent, then the per-step noise of ancestral samplers, in order. */
export interface NoiseSource {
  next(count: number): Float32Array;
}

export function seededNoise(seed: number): NoiseSource {
  const rng = new MT19937(seed);
  return { next: (count) => randn(rng, count) };
}
