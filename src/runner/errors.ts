/** Expected failures of a production run: bad recipe, bad model folder, a run folder that disagrees. */
import { GenreadyError } from '../catalog/errors.ts';

export class RunnerError extends GenreadyError {}
