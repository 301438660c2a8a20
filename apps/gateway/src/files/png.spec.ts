import * as zlib from 'node:zlib';
import { colorForId, crc32, DEFAULT_PROFILE_IMAGE_SIZE, defaultProfileImage, encodeRgbPng } from './png';

interface Chunk {
  type: string;
  data: Buffer;
  crc: number;
}

function chunksOf(png: Buffer): Chunk[] {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: Chunk[] = [];
  for (let i = 8; i < png.length;) {
    const length = png.readUInt32BE(i);
    const type = png.toString('latin1', i + 4, i + 8);
    const data = png.subarray(i + 8, i + 8 + length);
    const crc = png.readUInt32BE(i + 8 + length);
    expect(crc).toBe(zlib.crc32(png.subarray(i + 4, i + 8 + length))); // Node's own CRC-32 agrees
    chunks.push({ type, data, crc });
    i += 12 + length;
  }
  return chunks;
}

function decodeRgb(png: Buffer): { width: number; height: number; pixels: Buffer } {
  const chunks = chunksOf(png);
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const ihdr = chunks[0].data;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  expect([...ihdr.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
  const raw = zlib.inflateSync(chunks[1].data);
  expect(raw.length).toBe((width * 3 + 1) * height);
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = raw.subarray(y * (width * 3 + 1), (y + 1) * (width * 3 + 1));
    expect(row[0]).toBe(0);
    rows.push(row.subarray(1));
  }
  return { width, height, pixels: Buffer.concat(rows) };
}

describe('PNG encoder', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('round-trips arbitrary pixels', () => {
    const pixels = Buffer.from(Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) % 256));
    const decoded = decodeRgb(encodeRgbPng(5, 3, pixels));
    expect(decoded).toEqual({ width: 5, height: 3, pixels });
  });

  it('makes a 128x128 solid default image whose colour depends on the user id', () => {
    const png = defaultProfileImage('abcdefghijklmnopqrstuvwxyz');
    const { width, height, pixels } = decodeRgb(png);
    expect([width, height]).toEqual([DEFAULT_PROFILE_IMAGE_SIZE, DEFAULT_PROFILE_IMAGE_SIZE]);
    const color = colorForId('abcdefghijklmnopqrstuvwxyz');
    for (let i = 0; i < pixels.length; i += 3) expect([pixels[i], pixels[i + 1], pixels[i + 2]]).toEqual(color);
    expect(defaultProfileImage('abcdefghijklmnopqrstuvwxyz')).toEqual(png);
    const others = new Set(['a', 'b', 'c', 'd', 'e', 'f'].map((s) => colorForId(s.repeat(26)).join(',')));
    expect(others.size).toBeGreaterThan(1);
  });
});
