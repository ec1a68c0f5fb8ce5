/**
 * Error families. Every expected failure a person can cause (a typo in a model name, an impossible
 * size, a corrupt file) is one of these, with a machine-readable `code`; the interfaces (CLI, HTTP)
 * decide once how they look.
 */
export class GenreadyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Unknown or malformed catalog entries (models, devices, data files). */
export class CatalogError extends GenreadyError {}

/** A workload that cannot be evaluated as asked (bad size, unsupported precision, bad flag). */
export class WorkloadError extends GenreadyError {}
