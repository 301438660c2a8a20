import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { FileHandle, mkdir, open, readdir, rename, rm, rmdir, stat, truncate } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AssembleOptions,
  ByteRange,
  DigestMismatchError,
  MissingPartsError,
  FileNotFoundError,
  FileStore,
  FileTooLargeError,
  folderPath,
  InvalidFilePathError,
  pathSegments,
  ReadOptions,
  StoredFileStat,
  WriteOptions,
  WriteResult,
  existsByStat,
} from './file-store';

const TEMP_SUFFIX = '.partial';
/** Names of the temporary files of writes in progress (`.<18 hex digits>.partial`), never listed. */
const TEMP_NAME = /^\.[0-9a-f]{18}\.partial$/;
/** The one file in a parts folder that {@link LocalFileStore.writePart} writes into at each part's offset. */
const PARTS_FILE = 'parts.bin';
/**
 * Buffer of a part's write path: lets the 64 KiB chunks a socket delivers gather while a write is on the disk, so
 * they go down in one writev instead of one write (and one thread-pool round trip) each.
 */
const PART_WRITE_BUFFER_BYTES = 1024 * 1024;

/**
 * The `local` driver: files under one root directory (`<DATA_DIR>/files`). Writes go to a temporary file in the
 * target's directory and are renamed into place, so readers never see a partial file; directories created for a
 * write that failed, and directories emptied by a removal, are pruned again.
 */
export class LocalFileStore implements FileStore {
  readonly driverName = 'local';
  readonly root: string;

  constructor(root: string) {
    this.root = nodePath.resolve(root);
  }

  /** The absolute location of a store path; refuses anything that would leave the root. */
  resolve(path: string): string {
    const absolute = nodePath.resolve(this.root, ...pathSegments(path));
    if (!absolute.startsWith(this.root + nodePath.sep)) throw new InvalidFilePathError(path);
    return absolute;
  }

  async writeStream(path: string, source: Readable, opts: WriteOptions): Promise<WriteResult> {
    let target: string;
    try {
      target = this.resolve(path);
    } catch (err) {
      source.destroy();
      throw err;
    }
    const dir = nodePath.dirname(target);
    const temp = nodePath.join(dir, `.${randomBytes(9).toString('hex')}${TEMP_SUFFIX}`);
    let firstCreated: string | undefined;
    let handle: FileHandle | undefined;
    const hash = createHash('sha256');
    let size = 0;
    // The source may fail while the directory and the file are still being made, before the pipeline listens: keep
    // its error (unheard, it would be an uncaught exception) and report it as the write's failure.
    let sourceError: unknown;
    const keepSourceError = (err: unknown) => (sourceError ??= err);
    source.on('error', keepSourceError);
    try {
      const opened = await openCreating(dir, temp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY);
      firstCreated = opened.firstCreated;
      handle = opened.handle;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
          size += chunk.length;
          if (size > opts.maxBytes) return callback(new FileTooLargeError(opts.maxBytes));
          hash.update(chunk);
          callback(null, chunk);
        },
      });
      if (sourceError !== undefined) throw sourceError;
      await pipeline(source, meter, handle.createWriteStream({ autoClose: true }));
      handle = undefined;
      await rename(temp, target);
    } catch (err) {
      source.destroy();
      await handle?.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      if (firstCreated) await this.pruneEmptyDirs(dir, firstCreated);
      throw sourceError ?? err;
    } finally {
      source.off('error', keepSourceError);
    }
    return { size, sha256: hash.digest('hex') };
  }

  async writePart(folder: string, start: number, source: Readable, opts: WriteOptions): Promise<{ size: number }> {
    let file: string;
    try {
      file = this.resolve(`${folderPath(folder)}/${PARTS_FILE}`);
    } catch (err) {
      source.destroy();
      throw err;
    }
    let size = 0;
    let handle: FileHandle | undefined;
    let sourceError: unknown;
    const keepSourceError = (err: unknown) => (sourceError ??= err);
    source.on('error', keepSourceError);
    try {
      // No O_TRUNC: the parts before `start` stay; positional writes from `start` replace what a failed part left.
      handle = (await openCreating(nodePath.dirname(file), file, fsConstants.O_CREAT | fsConstants.O_WRONLY)).handle;
      const stored = (await handle.stat()).size;
      // A gap would read back as zeros: refuse it (the parts file was lost, e.g. the store was wiped).
      if (stored < start) throw new MissingPartsError(folder, stored, start);
      const meter = new Transform({
        highWaterMark: PART_WRITE_BUFFER_BYTES,
        transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
          size += chunk.length;
          if (size > opts.maxBytes) return callback(new FileTooLargeError(opts.maxBytes));
          callback(null, chunk);
        },
      });
      if (sourceError !== undefined) throw sourceError;
      const output = handle.createWriteStream({ start, autoClose: true, highWaterMark: PART_WRITE_BUFFER_BYTES });
      handle = undefined; // the stream closes it
      await pipeline(source, meter, output);
    } catch (err) {
      source.destroy();
      await handle?.close().catch(() => undefined);
      throw sourceError ?? err;
    } finally {
      source.off('error', keepSourceError);
    }
    return { size };
  }

  async assembleParts(folder: string, path: string, opts: AssembleOptions): Promise<WriteResult> {
    const dir = this.resolve(folderPath(folder));
    const file = nodePath.join(dir, PARTS_FILE);
    const target = this.resolve(path);
    let stored = 0;
    try {
      stored = (await stat(file)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // An empty file never had a part written.
      if (opts.size === 0) await this.writeStream(`${folderPath(folder)}/${PARTS_FILE}`, Readable.from([]), { maxBytes: 0 });
    }
    if (stored < opts.size) throw new MissingPartsError(folder, stored, opts.size);
    if (stored > opts.size) await truncate(file, opts.size);
    let sha256 = opts.sha256;
    if (sha256 === undefined) {
      const hash = createHash('sha256');
      if (opts.size > 0) await pipeline((await open(file, 'r')).createReadStream({ start: 0, end: opts.size - 1 }), hash);
      sha256 = hash.digest('hex');
    }
    if (opts.expectedSha256 && sha256 !== opts.expectedSha256) throw new DigestMismatchError(path);
    const made = await mkdir(nodePath.dirname(target), { recursive: true });
    try {
      await rename(file, target);
    } catch (err) {
      if (made) await this.pruneEmptyDirs(nodePath.dirname(target), made);
      throw err;
    }
    await rm(dir, { recursive: true, force: true });
    await this.pruneEmptyDirs(nodePath.dirname(dir), this.root);
    return { size: opts.size, sha256 };
  }

  async readStream(path: string, range?: ByteRange, opts: ReadOptions = {}): Promise<Readable> {
    const absolute = this.resolve(path);
    let handle: FileHandle;
    try {
      handle = await open(absolute, 'r');
    } catch (err) {
      throw notFoundOr(err, path);
    }
    try {
      if (!(await handle.stat()).isFile()) throw new FileNotFoundError(path);
    } catch (err) {
      await handle.close();
      throw err;
    }
    return handle.createReadStream({ ...(range ?? {}), autoClose: true, highWaterMark: opts.chunkBytes });
  }

  async stat(path: string): Promise<StoredFileStat> {
    const absolute = this.resolve(path);
    try {
      const s = await stat(absolute);
      if (!s.isFile()) throw new FileNotFoundError(path);
      return { size: s.size, modifiedAt: s.mtime };
    } catch (err) {
      throw notFoundOr(err, path);
    }
  }

  exists(path: string): Promise<boolean> {
    return existsByStat(() => this.stat(path));
  }

  async remove(path: string): Promise<void> {
    const absolute = this.resolve(path);
    try {
      if ((await stat(absolute)).isDirectory()) throw new InvalidFilePathError(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await rm(absolute, { force: true });
    await this.pruneEmptyDirs(nodePath.dirname(absolute), this.root);
  }

  async list(prefix: string): Promise<string[]> {
    const folder = folderPath(prefix);
    const relative = await this.filesUnder(this.resolve(folder));
    return relative.map((p) => `${folder}/${p}`).sort();
  }

  async removePrefix(prefix: string): Promise<void> {
    const dir = this.resolve(folderPath(prefix));
    try {
      if (!(await stat(dir)).isDirectory()) return;
    } catch (err) {
      if (notFoundOr(err, prefix) instanceof FileNotFoundError) return;
      throw err;
    }
    await rm(dir, { recursive: true, force: true });
    await this.pruneEmptyDirs(nodePath.dirname(dir), this.root);
  }

  /** Files below `dir` as `/`-separated paths relative to it, without temporary files; none if `dir` is missing. */
  private async filesUnder(dir: string): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (notFoundOr(err, dir) instanceof FileNotFoundError) return [];
      throw err;
    }
    const out: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory()) out.push(...(await this.filesUnder(nodePath.join(dir, entry.name))).map((p) => `${entry.name}/${p}`));
      else if (entry.isFile() && !TEMP_NAME.test(entry.name)) out.push(entry.name);
    }
    return out;
  }

  /** Removes `dir` and its parents while they are empty, stopping at `top` (inclusive) and never at the root. */
  private async pruneEmptyDirs(dir: string, top: string): Promise<void> {
    for (
      let current = dir;
      current.startsWith(this.root + nodePath.sep) && current.length >= top.length;
      current = nodePath.dirname(current)
    ) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): its parents are not empty either
      }
    }
  }
}

/**
 * Opens `file` in `dir`, making the directory first. A concurrent failed write or removal may prune a directory just
 * made; retries cover that. `firstCreated` is the topmost directory this call made, if any.
 */
async function openCreating(dir: string, file: string, flags: number): Promise<{ handle: FileHandle; firstCreated?: string }> {
  let firstCreated: string | undefined;
  for (let attempt = 0; ; attempt++) {
    firstCreated = (await mkdir(dir, { recursive: true })) ?? firstCreated;
    try {
      return { handle: await open(file, flags, 0o640), firstCreated };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 2) throw err;
    }
  }
}

function notFoundOr(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' ? new FileNotFoundError(path) : err;
}
