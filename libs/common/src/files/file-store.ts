import type { Readable } from 'node:stream';

/** Injection token of the process's {@link FileStore}, chosen by `MM_FILESETTINGS_DRIVERNAME`. */
export const FILE_STORE = Symbol('FILE_STORE');

/** An inclusive byte range, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredFileStat {
  size: number;
  modifiedAt: Date;
}

export interface WriteResult {
  /** Bytes written. */
  size: number;
  /** SHA-256 of the content, lower-case hex. */
  sha256: string;
}

export interface ReadOptions {
  /**
   * Bytes per chunk the stream yields where the driver chooses (local disk: the read size, 64 KiB by default). A
   * whole-file copy (sending to a peer) reads in larger chunks for fewer reads and socket writes per byte.
   */
  chunkBytes?: number;
}

export interface WriteOptions {
  /** The most bytes the file may have; one byte more fails the write with {@link FileTooLargeError}. */
  maxBytes: number;
}

export interface AssembleOptions {
  /** The file's length: the first `size` bytes written into the parts folder. */
  size: number;
  /** The SHA-256 of those bytes when the caller hashed them as they went in; saves reading them again. */
  sha256?: string;
  /** The SHA-256 the file must have; otherwise it never appears and the call fails with {@link DigestMismatchError}. */
  expectedSha256?: string;
}

/**
 * Where file contents live: attachments, profile pictures, files received from remote clusters.
 * Paths are relative, `/`-separated keys such as `data/20240101/teams/noteam/channels/<id>/users/<id>/<id>/a.png`
 * (Mattermost's layout); a path that tries to leave the store (`..`, absolute, empty segments) is refused with
 * {@link InvalidFilePathError}. Every driver passes the same test suite (`describeFileStoreDriver`).
 */
export interface FileStore {
  readonly driverName: string;

  /**
   * Streams `source` into `path`. The content only becomes visible under `path` once all of it has arrived and
   * fitted `maxBytes`; on any failure (source error, limit exceeded, disk error) nothing is left behind, an
   * existing file at `path` is untouched, and the error is rethrown. The source is consumed, and destroyed on
   * failure. Replaces an existing file atomically.
   */
  writeStream(path: string, source: Readable, opts: WriteOptions): Promise<WriteResult>;

  /** The content, or part of it; fails with {@link FileNotFoundError} before any byte if there is no such file. */
  readStream(path: string, range?: ByteRange, opts?: ReadOptions): Promise<Readable>;

  /** Fails with {@link FileNotFoundError}. */
  stat(path: string): Promise<StoredFileStat>;

  exists(path: string): Promise<boolean>;

  /** Deletes the file; a missing file is not an error. */
  remove(path: string): Promise<void>;

  /**
   * The paths of all files under the folder `prefix` (e.g. `uploads/<session>` lists `uploads/<session>/a` and
   * `uploads/<session>/x/b`, never `uploads/<session>2/c`), at any depth, sorted in JavaScript string order.
   * Writes still in progress are not listed. A missing folder lists nothing. `prefix` follows the path rules,
   * with one trailing `/` allowed.
   */
  list(prefix: string): Promise<string[]>;

  /**
   * Writes `source` into the unfinished file kept in the folder `folder` (e.g. `uploads/<session>`), from byte
   * `start`, which must not lie past the bytes already there (else {@link MissingPartsError}); a part overwrites
   * whatever an earlier failed part left from `start` on. Nothing is visible at a file path until
   * {@link assembleParts}. On failure the folder may keep some of the bytes (they are overwritten by the next part).
   */
  writePart(folder: string, start: number, source: Readable, opts: WriteOptions): Promise<{ size: number }>;

  /**
   * Makes the first `opts.size` bytes written with {@link writePart} the file at `path` (replacing one there), then
   * removes the folder. The local driver renames its one parts file into place, so no byte is written twice; a driver
   * that cannot append (S3) keeps each part as an object and joins them here. Fails with {@link MissingPartsError}
   * when fewer bytes are there, and {@link DigestMismatchError} (nothing at `path`) when they do not match
   * `opts.expectedSha256`.
   */
  assembleParts(folder: string, path: string, opts: AssembleOptions): Promise<WriteResult>;

  /**
   * Deletes every file under the folder `prefix` (all that {@link list} lists); a missing folder is not an error.
   * A write under `prefix` running at the same time may survive it or fail.
   */
  removePrefix(prefix: string): Promise<void>;
}

/** `exists` for a driver whose `stat` fails with {@link FileNotFoundError} for a missing file. */
export async function existsByStat(stat: () => Promise<StoredFileStat>): Promise<boolean> {
  try {
    await stat();
    return true;
  } catch (err) {
    if (err instanceof FileNotFoundError) return false;
    throw err;
  }
}

export class FileStoreError extends Error {
  constructor(
    message: string,
    readonly code: 'too_large' | 'not_found' | 'invalid_path' | 'io' | 'missing_parts' | 'digest_mismatch',
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class FileTooLargeError extends FileStoreError {
  constructor(readonly maxBytes: number) {
    super(`The file is larger than the limit of ${maxBytes} bytes.`, 'too_large');
  }
}

export class FileNotFoundError extends FileStoreError {
  constructor(readonly path: string) {
    super(`No file at ${JSON.stringify(path)}.`, 'not_found');
  }
}

/** The parts folder holds fewer contiguous bytes than a part's start or the assembled size needs. */
export class MissingPartsError extends FileStoreError {
  constructor(
    readonly folder: string,
    readonly stored: number,
    readonly needed: number,
  ) {
    super(`The parts in ${JSON.stringify(folder)} hold ${stored} bytes, ${needed} are needed.`, 'missing_parts');
  }
}

/** The assembled bytes do not have the SHA-256 they were expected to have. */
export class DigestMismatchError extends FileStoreError {
  constructor(readonly path: string) {
    super(`The content for ${JSON.stringify(path)} does not match its SHA-256 digest.`, 'digest_mismatch');
  }
}

export class InvalidFilePathError extends FileStoreError {
  constructor(readonly path: string) {
    super(`Invalid file store path ${JSON.stringify(path)}.`, 'invalid_path');
  }
}

/**
 * Checks a store path: relative, `/`-separated, no empty, `.` or `..` segments, no backslashes or control
 * characters. Returns its segments.
 */
export function pathSegments(path: string): string[] {
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (typeof path !== 'string' || path.length === 0 || path.length > 4096 || /[\\\u0000-\u001f\u007f]/.test(path)) {
    throw new InvalidFilePathError(String(path));
  }
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new InvalidFilePathError(path);
  return segments;
}

/** Checks a folder prefix of {@link FileStore.list}: a store path, with one trailing `/` allowed. Returns it without. */
export function folderPath(prefix: string): string {
  const folder = typeof prefix === 'string' && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  try {
    pathSegments(folder);
  } catch {
    throw new InvalidFilePathError(String(prefix));
  }
  return folder;
}
