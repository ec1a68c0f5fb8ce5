/** Expected failures of queued production: a bad or unreachable Redis, a refused worker, failed images. */
import { GenreadyError } from '../catalog/errors.ts';

export class QueueError extends GenreadyError {}
