import { GenreadyError } from '../catalog/errors.ts';

/** A checkpoint file or folder that cannot be read as asked: truncated, hostile, a pickle, unknown. */
export class CheckpointError extends GenreadyError {}
