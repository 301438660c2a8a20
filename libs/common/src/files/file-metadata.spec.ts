import { deflateSync } from 'node:zlib';
import { detectImageFormat, fileExtension, mimeTypeForExtension, readImageInfo, sanitizeFileName, storageFileName } from './file-metadata';

function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(13);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), len, Buffer.from('IHDR'), ihdr, Buffer.alloc(4)]);
}

function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

function jpeg(width: number, height: number, opts: { exifBytes?: number; sof?: number } = {}): Buffer {
  const sof = Buffer.from([8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  sof.writeUInt16BE(height, 1);
  sof.writeUInt16BE(width, 3);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1')),
    segment(0xe1, Buffer.alloc(opts.exifBytes ?? 100, 0xaa)),
    Buffer.from([0xff, 0xff]), // fill byte before a marker
    segment(0xdb, Buffer.alloc(65, 1)),
    segment(0xc4, Buffer.alloc(30, 2)), // Huffman table: not a frame header despite being 0xc4
    segment(opts.sof ?? 0xc0, sof),
    segment(0xda, Buffer.alloc(10)),
    Buffer.alloc(200, 0x55),
    Buffer.from([0xff, 0xd9]),
  ]);
}

function gif(width: number, height: number, version = '89a'): Buffer {
  const b = Buffer.alloc(13);
  b.write(`GIF${version}`, 0, 'latin1');
  b.writeUInt16LE(width, 6);
  b.writeUInt16LE(height, 8);
  return b;
}

describe('image header reader', () => {
  it('reads PNG dimensions from the IHDR chunk', () => {
    expect(readImageInfo(pngHeader(640, 480))).toEqual({ format: 'png', width: 640, height: 480 });
    const fullPng = Buffer.concat([pngHeader(3, 7), deflateSync(Buffer.alloc(10))]);
    expect(readImageInfo(fullPng)).toEqual({ format: 'png', width: 3, height: 7 });
  });

  it('reads JPEG dimensions from the first start-of-frame, skipping metadata segments', () => {
    expect(readImageInfo(jpeg(400, 300))).toEqual({ format: 'jpeg', width: 400, height: 300 });
    expect(readImageInfo(jpeg(4032, 3024, { exifBytes: 60_000 }))).toEqual({ format: 'jpeg', width: 4032, height: 3024 });
    expect(readImageInfo(jpeg(17, 9, { sof: 0xc2 }))).toEqual({ format: 'jpeg', width: 17, height: 9 }); // progressive
  });

  it('reads GIF87a and GIF89a dimensions', () => {
    expect(readImageInfo(gif(1, 2))).toEqual({ format: 'gif', width: 1, height: 2 });
    expect(readImageInfo(gif(500, 20, '87a'))).toEqual({ format: 'gif', width: 500, height: 20 });
  });

  it('gives up on truncated or non-image bytes without throwing', () => {
    const j = jpeg(400, 300, { exifBytes: 5000 });
    for (let cut = 0; cut < 300; cut += 7) expect(() => readImageInfo(j.subarray(0, cut))).not.toThrow();
    expect(readImageInfo(j.subarray(0, 1000))).toBeUndefined(); // frame header beyond the bytes given
    expect(readImageInfo(pngHeader(10, 10).subarray(0, 20))).toBeUndefined();
    expect(readImageInfo(Buffer.from('hello world, not an image'))).toBeUndefined();
    expect(readImageInfo(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00]))).toBeUndefined(); // bad segment length
    expect(readImageInfo(pngHeader(0, 10))).toBeUndefined();
    expect(readImageInfo(Buffer.alloc(0))).toBeUndefined();
  });

  it('detects the format by magic bytes', () => {
    expect(detectImageFormat(pngHeader(1, 1))).toBe('png');
    expect(detectImageFormat(jpeg(1, 1))).toBe('jpeg');
    expect(detectImageFormat(gif(1, 1))).toBe('gif');
    expect(detectImageFormat(Buffer.from('GIF90a'))).toBeUndefined();
    expect(detectImageFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
  });
});

describe('file names and types', () => {
  it('derives extension and MIME type like Mattermost', () => {
    expect(fileExtension('Report.Final.PDF')).toBe('pdf');
    expect(fileExtension('noext')).toBe('');
    expect(fileExtension('.bashrc')).toBe('');
    expect(fileExtension('trailing.')).toBe('');
    expect(mimeTypeForExtension('PNG')).toBe('image/png');
    expect(mimeTypeForExtension('jpg')).toBe('image/jpeg');
    expect(mimeTypeForExtension('unknownext')).toBe('');
  });

  it('sanitizes hostile names', () => {
    expect(sanitizeFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFileName('..\\..\\windows\\win.ini')).toBe('win.ini');
    expect(sanitizeFileName('..')).toBe('file');
    expect(sanitizeFileName('a/..')).toBe('file');
    expect(sanitizeFileName('')).toBe('file');
    expect(sanitizeFileName('  spaced name.txt  ')).toBe('spaced name.txt');
    expect(sanitizeFileName('bad\u0000na\nme\u202e.txt')).toBe('badname.txt');
    expect(sanitizeFileName('résumé 日本語.pdf')).toBe('résumé 日本語.pdf');
  });

  it('shortens long names to at most 200 bytes, keeping the extension and whole characters', () => {
    const long = storageFileName('x'.repeat(1000) + '.txt');
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(200);
    expect(long.endsWith('.txt')).toBe(true);
    const uni = storageFileName('日本語'.repeat(200) + '.png');
    expect(Buffer.byteLength(uni)).toBeLessThanOrEqual(200);
    expect(uni).toMatch(/^(日本語|日本|日)+\.png$/u);
    expect(storageFileName('short.txt')).toBe('short.txt');
  });
});
