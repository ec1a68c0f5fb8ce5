/** A minimal manifest line for image `index` (`index.png`), for tests of what reads run folders. */
export function manifestEntry(index: number) {
  return {
    v: 1,
    index,
    file: `${index}.png`,
    sha256: 'x',
    bytes: 1,
    prompt: `p${index}`,
    negativePrompt: '',
    seed: index,
    steps: 4,
    guidance: 7,
    sampler: 'euler',
    width: 2,
    height: 2,
    model: { dir: '/m', name: 'm', hash: 'h', files: {} },
    runtime: {},
    device: {},
    batch: 1,
    seconds: 0,
    createdAt: '',
  };
}
