/** The model catalog, format version 1. Order is the display order of `genready models`. */
import type { ModelEntry } from '../../src/catalog/models.types.ts';
import { sd15, sd21, sdxl, sdxlRefiner, sdxlTurbo } from './unets.ts';
import { flux1Dev, flux1Schnell, pixartSigma, sd35Large, sd35Medium, sd3Medium } from './transformers.ts';

export const MODEL_CATALOG_VERSION = 1;

export const models: readonly ModelEntry[] = [
  sd15,
  sd21,
  sdxl,
  sdxlRefiner,
  sdxlTurbo,
  sd3Medium,
  sd35Medium,
  sd35Large,
  flux1Dev,
  flux1Schnell,
  pixartSigma,
];
