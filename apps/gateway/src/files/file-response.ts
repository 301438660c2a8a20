import { AppError, FileNotFoundError, FileStore } from '@fedchat/common';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';

/** Types a browser would run rather than show; served as text/plain (as Mattermost does). */
const UNSAFE_CONTENT_TYPES = [
  'application/javascript',
  'application/ecmascript',
  'text/javascript',
  'text/ecmascript',
  'application/x-javascript',
  'text/html',
];

/** Types shown inline unless `?download=1`; everything else is an attachment. */
const MEDIA_CONTENT_TYPES = [
  'image/jpeg',
  'image/png',
  'image/bmp',
  'image/gif',
  'image/tiff',
  'video/avi',
  'video/mpeg',
  'video/mp4',
  'audio/mpeg',
  'audio/wav',
];

export interface StoredFileResponse {
  path: string;
  /** Shown to the user in Content-Disposition. */
  name: string;
  contentType: string;
  /** Milliseconds; becomes Last-Modified. */
  modifiedAt: number;
  forceDownload?: boolean;
  /** Defaults to Mattermost's `private, no-cache`. */
  cacheControl?: string;
  etag?: string;
}

export function servedContentType(mimeType: string): string {
  if (!mimeType) return 'application/octet-stream';
  const lower = mimeType.toLowerCase();
  return UNSAFE_CONTENT_TYPES.some((t) => lower.startsWith(t)) ? 'text/plain' : mimeType;
}

/** RFC 6266 / 5987: a quoted ASCII fallback and the exact UTF-8 name. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** One `bytes=` range of a file of `size` bytes; undefined to send it all, 'unsatisfiable' for 416. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header || size === 0) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // several ranges or nonsense: ignore, send everything
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}

export function fileGone(): AppError {
  return new AppError('api.file.file_reader.app_error', 'The file could not be found in the file store.', 404);
}

/**
 * Streams a stored file: content type (dangerous ones as text/plain), inline or attachment disposition,
 * `nosniff`, Last-Modified and If-Modified-Since, and single byte ranges (206/416).
 */
export async function sendStoredFile(store: FileStore, req: Request, res: Response, file: StoredFileResponse): Promise<void> {
  let size: number;
  try {
    size = (await store.stat(file.path)).size;
  } catch (err) {
    if (err instanceof FileNotFoundError) throw fileGone();
    throw err;
  }
  const contentType = servedContentType(file.contentType);
  const inline = !file.forceDownload && MEDIA_CONTENT_TYPES.some((t) => contentType.toLowerCase().startsWith(t));
  const modified = new Date(Math.floor(file.modifiedAt / 1000) * 1000);

  res.setHeader('Cache-Control', file.cacheControl ?? 'private, no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
  res.setHeader('Content-Disposition', contentDisposition(inline ? 'inline' : 'attachment', file.name));
  res.setHeader('Last-Modified', modified.toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
  if (file.etag) res.setHeader('ETag', file.etag);

  if (isNotModified(req, modified, file.etag)) {
    res.status(304).end();
    return;
  }

  const range = req.headers.range === undefined ? undefined : parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.status(416).setHeader('Content-Range', `bytes */${size}`);
    res.end();
    return;
  }
  let stream;
  try {
    stream = await store.readStream(file.path, range);
  } catch (err) {
    if (err instanceof FileNotFoundError) throw fileGone();
    throw err;
  }
  res.setHeader('Content-Type', contentType);
  if (range) {
    res.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.status(200).setHeader('Content-Length', String(size));
  }
  if (req.method === 'HEAD') {
    stream.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(stream, res);
  } catch {
    res.destroy(); // headers are gone already: cut the connection rather than send a short body as whole
  }
}

/** Sends an in-memory image (generated default pictures). */
export function sendBuffer(req: Request, res: Response, body: Buffer, contentType: string, headers: Record<string, string>): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', String(body.length));
  res.status(200).end(req.method === 'HEAD' ? undefined : body);
}

function isNotModified(req: Request, modified: Date, etag: string | undefined): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) return etag !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === '*');
  const since = req.headers['if-modified-since'];
  if (!since || req.headers.range) return false;
  const t = Date.parse(since);
  return Number.isFinite(t) && modified.getTime() <= t;
}
