/** Image bytes of the conformance suite's shared-maker race (shared by the suite and its child). */

/** 256 KiB per image, long enough that two makers' writes overlap; odd indices differ per maker. */
export function bytesOf(index: number, maker: string): Buffer {
  const b = Buffer.alloc(256 * 1024);
  const seed = Buffer.from(`${index}:${index % 2 === 0 ? 'common' : maker}:`);
  for (let i = 0; i < b.length; i++) b[i] = seed[i % seed.length]!;
  return b;
}
