/** The seam through which commands print: production writes to stdout; tests capture. */
export interface Output {
  text(s: string): void;
  json(v: unknown): void;
}

export const stdout: Output = {
  text: (s) => process.stdout.write(`${s}\n`),
  json: (v) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`),
};
