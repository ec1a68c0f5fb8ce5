/**
 * Expected failures of `genready bench`: a model that does not fit this machine's memory, a corrupt
 * cache entry, a calibration file that is not ours, an architecture the graph builder cannot express.
 */
import { GenreadyError } from '../catalog/errors.ts';

export class BenchError extends GenreadyError {}
