/**
 * Checkpoint domain model: what a .safetensors header says (tensors with dtype, shape and byte
 * range), and what genready makes of it (components, family, kind). Everything here comes from the
 * header alone; no tensor data is read.
 */

/** safetensors dtypes genready accepts (the format's own names). */
export const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;
export type DType = keyof typeof DTYPE_BYTES;

/** Floating-point dtypes: their elements are what `parameters` counts. */
export const FLOAT_DTYPES: ReadonlySet<DType> = new Set(['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2']);

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Elements (product of the shape; 1 for a scalar). */
  elements: number;
  /** Byte range relative to the start of the data section, as in the header. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  fileBytes: number;
  /** Length of the JSON header (the 8-byte prefix's value). */
  headerBytes: number;
  tensors: TensorInfo[];
  /** `__metadata__`: free-form string → string map (kohya training tags, modelspec, format). */
  metadata: Record<string, string>;
}

/** What a file or folder is, as `inspect --json` names it. */
export type CheckpointKind = 'checkpoint' | 'denoiser' | 'vae' | 'text-encoder' | 'lora' | 'controlnet';

/** A component's role inside a file. */
export type ComponentRole = 'denoiser' | 'vae' | 'text-encoder' | 'controlnet';
