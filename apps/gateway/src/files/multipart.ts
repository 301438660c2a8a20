import busboy, { Busboy } from 'busboy';
import { AppError } from '@fedchat/common';
import type { Request } from 'express';
import type { Readable } from 'node:stream';

export interface MultipartField {
  kind: 'field';
  name: string;
  value: string;
}

export interface MultipartFile {
  kind: 'file';
  name: string;
  filename: string;
  mimeType: string;
  /** Must be consumed (or it is drained when the next part is asked for); fails if the request breaks off. */
  stream: Readable;
}

export type MultipartPart = MultipartField | MultipartFile;

export interface MultipartLimits {
  /** Largest text field, in bytes; a longer one is refused (Mattermost reads 10 KiB of a form value). */
  fieldSize: number;
  fields: number;
  parts: number;
}

const DEFAULT_LIMITS: MultipartLimits = { fieldSize: 10 * 1024, fields: 64, parts: 128 };

/** Thrown for anything wrong with the request body itself: not multipart, malformed, truncated, over a limit. */
export function badMultipart(id: string, detail: string): AppError {
  return new AppError(id, 'Unable to read the multipart request.', 400, detail);
}

export function isMultipart(req: Request): boolean {
  return /^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '');
}

type QueueItem = MultipartPart | { kind: 'end' } | { kind: 'error'; error: Error };

/**
 * The parts of a multipart/form-data request, in order, streamed: a file's content is read as the caller consumes
 * its stream, never buffered whole. Busboy waits while a file stream is unread, so parts arrive one at a time.
 *
 * If the client breaks off, the current file stream fails (so a store write of it fails and cleans up) and the
 * iteration throws. When the caller stops early (an error, or it has what it needs), the rest of the body is
 * drained and discarded so that the client can read the response.
 */
export async function* multipartParts(req: Request, errorId: string, limits: Partial<MultipartLimits> = {}): AsyncGenerator<MultipartPart> {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  let bb: Busboy;
  try {
    bb = busboy({
      headers: req.headers,
      limits: { fieldSize: lim.fieldSize, fields: lim.fields, parts: lim.parts, headerPairs: 32 },
      preservePath: true,
      defParamCharset: 'utf8',
    });
  } catch (err) {
    throw badMultipart(errorId, (err as Error).message);
  }

  const queue: QueueItem[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  const push = (item: QueueItem) => {
    if (finished) return;
    if (item.kind === 'end' || item.kind === 'error') finished = true;
    queue.push(item);
    wake?.();
    wake = undefined;
  };
  const fail = (detail: string) => push({ kind: 'error', error: badMultipart(errorId, detail) });

  bb.on('field', (name, value, info) => {
    if (info.valueTruncated) fail(`form value ${name} is too long`);
    else push({ kind: 'field', name, value });
  });
  bb.on('file', (name, stream, info) => {
    // Errors reach whoever reads the stream; this keeps one that fires before anyone listens from being fatal.
    stream.on('error', () => undefined);
    if (finished) {
      stream.resume();
      return;
    }
    push({ kind: 'file', name, filename: info.filename ?? '', mimeType: info.mimeType, stream });
  });
  bb.on('fieldsLimit', () => fail('too many form fields'));
  bb.on('partsLimit', () => fail('too many parts'));
  bb.on('error', (err: Error) => fail(err.message));
  bb.on('close', () => push({ kind: 'end' }));

  const onAborted = () => {
    if (req.complete) return;
    const err = badMultipart(errorId, 'the request body ended early');
    fail(err.detailedError);
    bb.destroy(err); // fails the file stream being read, if any
  };
  const onRequestError = () => onAborted();
  req.on('close', onAborted);
  req.on('error', onRequestError);
  req.pipe(bb);

  let current: MultipartFile | undefined;
  try {
    for (;;) {
      if (current && !current.stream.readableEnded && !current.stream.destroyed) current.stream.resume();
      current = undefined;
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const item = queue.shift()!;
      if (item.kind === 'end') return;
      if (item.kind === 'error') throw item.error;
      if (item.kind === 'file') current = item;
      yield item;
    }
  } finally {
    req.off('close', onAborted);
    req.off('error', onRequestError);
    if (!finished || queue.length > 0 || !req.complete) {
      finished = true;
      req.unpipe(bb);
      bb.removeAllListeners('file');
      bb.on('error', () => undefined);
      bb.destroy();
      if (!req.destroyed) req.resume(); // discard the rest so that the response reaches the client
    }
  }
}
