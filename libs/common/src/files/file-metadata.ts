/**
 * What a file's name and first bytes say about it: extension, MIME type, and for PNG/JPEG/GIF the image
 * format and dimensions (read from the header, no image library). Used for uploads and received files alike.
 */

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  // images
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jpe: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  ico: 'image/vnd.microsoft.icon',
  heic: 'image/heic',
  avif: 'image/avif',
  psd: 'image/vnd.adobe.photoshop',
  // audio and video
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  m4a: 'audio/mp4',
  flac: 'audio/flac',
  aac: 'audio/aac',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  avi: 'video/avi',
  mpeg: 'video/mpeg',
  mpg: 'video/mpeg',
  mkv: 'video/x-matroska',
  ogv: 'video/ogg',
  // text
  txt: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  js: 'text/javascript',
  mjs: 'text/javascript',
  ics: 'text/calendar',
  vcf: 'text/vcard',
  json: 'application/json',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  // documents and archives
  pdf: 'application/pdf',
  rtf: 'application/rtf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  zip: 'application/zip',
  gz: 'application/gzip',
  tgz: 'application/gzip',
  tar: 'application/x-tar',
  '7z': 'application/x-7z-compressed',
  rar: 'application/vnd.rar',
  bz2: 'application/x-bzip2',
  xz: 'application/x-xz',
  wasm: 'application/wasm',
};

/** Mattermost's `FileInfo.Extension`: lower-case, without the dot; '' if the name has none. */
export function fileExtension(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 || dot === base.length - 1 ? '' : base.slice(dot + 1).toLowerCase();
}

/** The MIME type for an extension (without the dot), or '' when unknown (as Mattermost stores it). */
export function mimeTypeForExtension(extension: string): string {
  return MIME_BY_EXTENSION[extension.toLowerCase()] ?? '';
}

const MAX_STORED_NAME_BYTES = 200;

/**
 * A client-supplied file name made safe to show and to store: the part after the last `/` or `\`, without
 * control or bidi-override characters, trimmed; `..`, `.` and empty names become `file`.
 */
export function sanitizeFileName(raw: string): string {
  const base = raw.slice(Math.max(raw.lastIndexOf('/'), raw.lastIndexOf('\\')) + 1);
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean;
}

/**
 * A sanitized name shortened to fit a file system's 255-byte name limit with room to spare: at most 200 bytes of
 * UTF-8, keeping the extension, never splitting a character.
 */
export function storageFileName(name: string): string {
  const safe = sanitizeFileName(name);
  if (Buffer.byteLength(safe) <= MAX_STORED_NAME_BYTES) return safe;
  const ext = fileExtension(safe);
  const suffix = ext && Buffer.byteLength(ext) <= 16 ? '.' + safe.slice(safe.length - ext.length) : '';
  const budget = MAX_STORED_NAME_BYTES - Buffer.byteLength(suffix);
  let stem = '';
  let bytes = 0;
  for (const ch of safe.slice(0, safe.length - suffix.length)) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > budget) break;
    stem += ch;
    bytes += n;
  }
  return (stem.trim() || 'file') + suffix;
}

export type ImageFormat = 'png' | 'jpeg' | 'gif';

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
}

export const IMAGE_MIME_TYPES: Readonly<Record<ImageFormat, string>> = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif' };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The image format by magic bytes (needs the first 8 bytes). */
export function detectImageFormat(head: Buffer): ImageFormat | undefined {
  if (head.length >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 6 && /^GIF8[79]a$/.test(head.subarray(0, 6).toString('latin1'))) return 'gif';
  return undefined;
}

/**
 * Format and pixel size of a PNG, JPEG or GIF from its first bytes; undefined when the bytes are not one of
 * those or the size is not within `head` (a JPEG's size comes after its metadata segments).
 */
export function readImageInfo(head: Buffer): ImageInfo | undefined {
  switch (detectImageFormat(head)) {
    case 'png':
      // Signature, then the IHDR chunk: length (4), type (4), width (4), height (4), big-endian.
      if (head.length < 24 || head.toString('latin1', 12, 16) !== 'IHDR') return undefined;
      return sized('png', head.readUInt32BE(16), head.readUInt32BE(20));
    case 'gif':
      if (head.length < 10) return undefined;
      return sized('gif', head.readUInt16LE(6), head.readUInt16LE(8));
    case 'jpeg':
      return readJpegSize(head);
    default:
      return undefined;
  }
}

function sized(format: ImageFormat, width: number, height: number): ImageInfo | undefined {
  return width > 0 && height > 0 && width <= 0x7fffffff && height <= 0x7fffffff ? { format, width, height } : undefined;
}

/** Walks the JPEG marker segments to the first start-of-frame, which holds the height and width. */
function readJpegSize(buf: Buffer): ImageInfo | undefined {
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return undefined;
    const marker = buf[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image / start of scan before any frame
    const length = buf.readUInt16BE(i + 2);
    if (length < 2) return undefined;
    const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isStartOfFrame) {
      if (i + 9 > buf.length) return undefined;
      return sized('jpeg', buf.readUInt16BE(i + 7), buf.readUInt16BE(i + 5));
    }
    i += 2 + length;
  }
  return undefined;
}

/** Mattermost's team segment of attachment paths: uploads are not tied to a team. */
const ATTACHMENT_TEAM_ID = 'noteam';

/**
 * Where an attachment lives in the store, in Mattermost's layout:
 * `data/<yyyymmdd>/teams/noteam/channels/<channel>/users/<user>/<file id>/<name>` (the date in UTC).
 */
export function attachmentPath(createAt: number, channelId: string, userId: string, fileId: string, name: string): string {
  const day = new Date(createAt).toISOString().slice(0, 10).replace(/-/g, '');
  return `data/${day}/teams/${ATTACHMENT_TEAM_ID}/channels/${channelId}/users/${userId}/${fileId}/${storageFileName(name)}`;
}

/** The store folder of a received upload's segments (`uploads/<session>/`); each is named by its start offset. */
export function uploadSegmentFolder(sessionId: string): string {
  return `uploads/${sessionId}/`;
}

/** Mattermost's thumbnail and preview paths next to an attachment: `<dir>/<name without extension>_thumb.jpg`, `_preview.jpg`. */
export function derivedImagePaths(path: string): { thumbnail: string; preview: string } {
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const base = path.slice(0, slash + 1) + (dot > 0 ? name.slice(0, dot) : name);
  return { thumbnail: `${base}_thumb.jpg`, preview: `${base}_preview.jpg` };
}
