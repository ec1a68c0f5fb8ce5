/** Expected failures at the onnxruntime boundary: a model whose inputs or outputs are not what we feed or read. */
import { GenreadyError } from '../catalog/errors.ts';

export class OrtError extends GenreadyError {}
