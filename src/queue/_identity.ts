/**
 * A model source's identity as the backend that runs it records it (its loaded model's identify()
 * and name), computed without loading anything: the coordinator records it, a worker finds the
 * model by it. An ONNX export folder: every file's sha256 (hashModelFolder); a `.safetensors`
 * checkpoint or diffusers folder: A1111's hash, the LoRAs' files listed after (checkpointIdentity).
 */
import { basename } from 'node:path';
import { checkpointIdentity, checkpointName, isCheckpointSource } from '../runner/backends/checkpoint.ts';
import type { ModelExtras } from '../runner/backends/index.ts';
import { RunnerError } from '../runner/errors.ts';
import { hashModelFolder, readLayout } from '../runner/model-folder.ts';
import type { ModelFileHash, ModelIdentity } from '../runner/ports.ts';

export async function sourceIdentity(
  source: string,
  extras: ModelExtras = {},
  cache: readonly ModelFileHash[] = [],
): Promise<ModelIdentity & { name: string }> {
  if (isCheckpointSource(source))
    return { ...checkpointIdentity(source, extras.loras ?? []), name: checkpointName(source) };
  if (extras.loras?.length || extras.tokenizer !== undefined)
    throw new RunnerError(
      'bad-recipe',
      `${source}: loras and tokenizer apply to a .safetensors checkpoint or a diffusers folder, not to an ONNX export folder`,
    );
  // The export folder must be whole (workers would all fail on it); the ORT model's identify() is this hash.
  readLayout(source);
  return { ...(await hashModelFolder(source, cache)), name: basename(source) };
}
