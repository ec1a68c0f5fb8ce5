/**
 * Reading an image size written as text: "1024x768" (also "1024×768", "1024*768", spaces around
 * the parts). The one reading of a size, shared by requests (answers/fields.ts, which adds the
 * field-named errors and the range) and recipes (runner/recipe.ts). Pure, no dependencies.
 */

const SIZE = /^\s*(\d+)\s*[x×*]\s*(\d+)\s*$/i;

/** [width, height], or null when the text is not a size. Range checks are the caller's. */
export function readSize(text: string): [number, number] | null {
  const m = SIZE.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : null;
}
