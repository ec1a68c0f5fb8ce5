/** The samplers a recipe can name, with the names AUTOMATIC1111 and ComfyUI users know them by. */
import { ddim } from './ddim.ts';
import { dpmpp2m } from './dpmpp-2m.ts';
import { euler } from './euler.ts';
import { eulerAncestral } from './euler-ancestral.ts';
import type { SamplerFactory } from './types.ts';

export const SAMPLERS = {
  euler: { make: euler, a1111: 'Euler' },
  euler_a: { make: eulerAncestral, a1111: 'Euler a' },
  dpmpp_2m: { make: (c, n) => dpmpp2m(c, n, false), a1111: 'DPM++ 2M' },
  dpmpp_2m_karras: { make: (c, n) => dpmpp2m(c, n, true), a1111: 'DPM++ 2M Karras' },
  ddim: { make: ddim, a1111: 'DDIM' },
} as const satisfies Record<string, { make: SamplerFactory; a1111: string }>;

export type SamplerId = keyof typeof SAMPLERS;
export const SAMPLER_IDS = Object.keys(SAMPLERS) as SamplerId[];

/** Recipe spelling → id: the id itself or the A1111 name, case- and space-insensitive. */
export function samplerIdOf(name: string): SamplerId | undefined {
  const key = name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');
  for (const id of SAMPLER_IDS) {
    if (id.replace(/_/g, ' ') === key || SAMPLERS[id].a1111.toLowerCase() === key) return id;
  }
  return undefined;
}

export type { Sampler, SchedulerConfig } from './types.ts';
