/**
 * PNG output with text chunks. Pixels are encoded by pngjs (deterministic for the same bytes in:
 * fixed filter and deflate settings, Node's bundled zlib); the text chunks go right after IHDR so
 * that readers that stop early still find them. A value that Latin-1 cannot hold is written as an
 * uncompressed iTXt chunk (UTF-8), as Pillow's `PngInfo.add_text` does, which AUTOMATIC1111 and
 * ComfyUI both read.
 */
import { PNG } from 'pngjs';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

// A tEXt chunk holds Latin-1 only (PNG spec 11.3.4.3): every code unit must be below 256.
const isLatin1 = (s: string) => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
};

function textChunk(keyword: string, value: string): Buffer {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword))
    throw new Error(`PNG text keyword "${keyword}" must be 1–79 printable ASCII characters`);
  if (isLatin1(value))
    return chunk(
      'tEXt',
      Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(value, 'latin1')]),
    );
  // iTXt: keyword, NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, UTF-8 text.
  return chunk(
    'iTXt',
    Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(value, 'utf8')]),
  );
}

/** Encode 8-bit RGB pixels (row-major, 3 bytes a pixel) with the given text entries, in order. */
export function encodePng(rgb: Uint8Array, width: number, height: number, texts: Record<string, string> = {}): Buffer {
  if (rgb.length !== width * height * 3) throw new Error(`encodePng: ${rgb.length} bytes for ${width}×${height} RGB`);
  const png = new PNG({
    width,
    height,
    colorType: 2,
    inputColorType: 2,
    bitDepth: 8,
    inputHasAlpha: false,
    deflateLevel: 9,
    filterType: 4,
  });
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  const body = PNG.sync.write(png, {
    colorType: 2,
    inputColorType: 2,
    inputHasAlpha: false,
    deflateLevel: 9,
    filterType: 4,
  });
  // 8-byte signature + IHDR chunk (4 length + 4 type + 13 data + 4 CRC) = 33 bytes.
  const head = body.subarray(0, 33);
  const rest = body.subarray(33);
  return Buffer.concat([head, ...Object.entries(texts).map(([k, v]) => textChunk(k, v)), rest]);
}

/** Text entries of a PNG (tEXt and uncompressed iTXt). */
export function readPngText(buf: Uint8Array): Record<string, string> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 8 || b.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG file');
  const out: Record<string, string> = {};
  let at = 8;
  while (at + 12 <= b.length) {
    const len = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    const data = b.subarray(at + 8, at + 8 + len);
    if (type === 'tEXt') {
      const nul = data.indexOf(0);
      if (nul > 0) out[data.toString('latin1', 0, nul)] = data.toString('latin1', nul + 1);
    } else if (type === 'iTXt') {
      const nul = data.indexOf(0);
      if (nul > 0 && data[nul + 1] === 0) {
        const lang = data.indexOf(0, nul + 3);
        const trans = lang >= 0 ? data.indexOf(0, lang + 1) : -1;
        if (trans >= 0) out[data.toString('latin1', 0, nul)] = data.toString('utf8', trans + 1);
      }
    } else if (type === 'IEND') break;
    at += 12 + len;
  }
  return out;
}

/** Decode to RGBA (pngjs' output). */
export function decodePng(buf: Uint8Array): { width: number; height: number; data: Buffer } {
  const png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  return { width: png.width, height: png.height, data: png.data };
}
