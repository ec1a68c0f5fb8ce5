/** Expected failures of the graph builder: an architecture it cannot express as an ONNX graph. */
import { GenreadyError } from '../catalog/errors.ts';

export class GraphError extends GenreadyError {}
