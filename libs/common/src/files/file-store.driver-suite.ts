import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import {
  DigestMismatchError,
  FileNotFoundError,
  FileStore,
  FileTooLargeError,
  InvalidFilePathError,
  MissingPartsError,
} from './file-store';

/** A driver under test, plus how to list what it really holds (to prove nothing partial is left behind). */
export interface FileStoreDriverHarness {
  store: FileStore;
  /** Every stored object, temporary ones included, as store-relative paths. */
  listAll(): Promise<string[]>;
  cleanup(): Promise<void>;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A source that yields `data` in small chunks, then fails with `error` (as a client that went away). */
function failingSource(data: Buffer, error: Error): Readable {
  const source = new PassThrough();
  source.write(data.subarray(0, data.length / 2));
  setTimeout(() => {
    source.write(data.subarray(data.length / 2));
    setTimeout(() => source.destroy(error), 5);
  }, 5);
  return source;
}

/**
 * The behaviour every {@link FileStore} driver must have. Run it from a driver's `.spec.ts`:
 * `describeFileStoreDriver('local', async () => ({ store, listAll, cleanup }))`.
 */
export function describeFileStoreDriver(name: string, factory: () => Promise<FileStoreDriverHarness>): void {
  describe(`FileStore driver: ${name}`, () => {
    let h: FileStoreDriverHarness;
    let store: FileStore;

    beforeEach(async () => {
      h = await factory();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('writes a stream and reads back the same bytes, with size and sha256', async () => {
      const data = randomBytes(300_000);
      const result = await store.writeStream('a/b/c.bin', Readable.from([data.subarray(0, 1000), data.subarray(1000)]), {
        maxBytes: data.length,
      });
      expect(result).toEqual({ size: data.length, sha256: sha256(data) });
      expect(sha256(await readAll(await store.readStream('a/b/c.bin')))).toBe(sha256(data)); // toEqual on big buffers is slow
      expect((await store.stat('a/b/c.bin')).size).toBe(data.length);
      expect(await store.exists('a/b/c.bin')).toBe(true);
      expect(await h.listAll()).toEqual(['a/b/c.bin']);
    });

    it('stores an empty file', async () => {
      const result = await store.writeStream('empty.txt', Readable.from([]), { maxBytes: 10 });
      expect(result).toEqual({ size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect((await readAll(await store.readStream('empty.txt'))).length).toBe(0);
    });

    it('reads byte ranges (inclusive)', async () => {
      const data = Buffer.from('0123456789abcdef');
      await store.writeStream('r.txt', Readable.from([data]), { maxBytes: 100 });
      expect((await readAll(await store.readStream('r.txt', { start: 2, end: 5 }))).toString()).toBe('2345');
      expect((await readAll(await store.readStream('r.txt', { start: 15, end: 15 }))).toString()).toBe('f');
    });

    it('accepts exactly maxBytes and refuses one byte more, leaving nothing behind', async () => {
      await store.writeStream('exact.bin', Readable.from([Buffer.alloc(64)]), { maxBytes: 64 });
      await expect(
        store.writeStream('deep/dir/over.bin', Readable.from([Buffer.alloc(40), Buffer.alloc(25)]), { maxBytes: 64 }),
      ).rejects.toBeInstanceOf(FileTooLargeError);
      expect(await store.exists('deep/dir/over.bin')).toBe(false);
      expect(await h.listAll()).toEqual(['exact.bin']);
    });

    it('leaves nothing when the source fails part-way', async () => {
      const err = new Error('client went away');
      await expect(store.writeStream('x/y/partial.bin', failingSource(randomBytes(50_000), err), { maxBytes: 1e6 })).rejects.toBe(err);
      expect(await store.exists('x/y/partial.bin')).toBe(false);
      expect(await h.listAll()).toEqual([]);
    });

    it('reports a source that fails before the write has begun (a client gone at once), without an unhandled error', async () => {
      const err = new Error('client went away at once');
      const source = new PassThrough();
      const written = store.writeStream('early/fail.bin', source, { maxBytes: 1e6 });
      source.destroy(err); // its 'error' is emitted while the store is still making the directory and the file
      await expect(written).rejects.toBe(err);
      expect(await store.exists('early/fail.bin')).toBe(false);
      expect(await h.listAll()).toEqual([]);
    });

    it('keeps the previous content when a replacing write fails, and replaces it when one succeeds', async () => {
      await store.writeStream('p.txt', Readable.from([Buffer.from('old')]), { maxBytes: 10 });
      await expect(store.writeStream('p.txt', Readable.from([Buffer.from('far too long')]), { maxBytes: 10 })).rejects.toBeInstanceOf(
        FileTooLargeError,
      );
      expect((await readAll(await store.readStream('p.txt'))).toString()).toBe('old');
      await store.writeStream('p.txt', Readable.from([Buffer.from('new')]), { maxBytes: 10 });
      expect((await readAll(await store.readStream('p.txt'))).toString()).toBe('new');
      expect(await h.listAll()).toEqual(['p.txt']);
    });

    it('handles concurrent writes to sibling paths', async () => {
      const items = Array.from({ length: 8 }, (_, i) => ({ path: `same/dir/f${i}`, data: randomBytes(10_000 + i) }));
      await Promise.all(items.map((it) => store.writeStream(it.path, Readable.from([it.data]), { maxBytes: 1e6 })));
      for (const item of items) expect(sha256(await readAll(await store.readStream(item.path)))).toBe(sha256(item.data));
    });

    it('reports missing files', async () => {
      await expect(store.readStream('nope/missing.txt')).rejects.toBeInstanceOf(FileNotFoundError);
      await expect(store.stat('nope/missing.txt')).rejects.toBeInstanceOf(FileNotFoundError);
      expect(await store.exists('nope/missing.txt')).toBe(false);
      await expect(store.remove('nope/missing.txt')).resolves.toBeUndefined();
    });

    it('removes files', async () => {
      await store.writeStream('del/me.txt', Readable.from([Buffer.from('x')]), { maxBytes: 10 });
      await store.writeStream('del/keep.txt', Readable.from([Buffer.from('y')]), { maxBytes: 10 });
      await store.remove('del/me.txt');
      expect(await store.exists('del/me.txt')).toBe(false);
      expect(await h.listAll()).toEqual(['del/keep.txt']);
    });

    it.each(['../escape.txt', 'a/../../escape.txt', '/etc/passwd', 'a//b', './a', 'a/./b', 'a\\..\\b', '', 'a/\u0000b', 'a/'])(
      'refuses the path %j',
      async (bad) => {
        await expect(store.writeStream(bad, Readable.from([Buffer.from('x')]), { maxBytes: 10 })).rejects.toBeInstanceOf(
          InvalidFilePathError,
        );
        await expect(store.readStream(bad)).rejects.toBeInstanceOf(InvalidFilePathError);
        await expect(store.stat(bad)).rejects.toBeInstanceOf(InvalidFilePathError);
        await expect(store.remove(bad)).rejects.toBeInstanceOf(InvalidFilePathError);
        expect(await h.listAll()).toEqual([]);
      },
    );

    it('lists the files under a folder, at any depth, sorted', async () => {
      for (const path of ['up/s1/b', 'up/s1/a', 'up/s1/x/c', 'up/s10/d', 'up/s2', 'other/e']) {
        await store.writeStream(path, Readable.from([Buffer.from(path)]), { maxBytes: 100 });
      }
      expect(await store.list('up/s1')).toEqual(['up/s1/a', 'up/s1/b', 'up/s1/x/c']);
      expect(await store.list('up/s1/')).toEqual(['up/s1/a', 'up/s1/b', 'up/s1/x/c']);
      expect(await store.list('up')).toEqual(['up/s1/a', 'up/s1/b', 'up/s1/x/c', 'up/s10/d', 'up/s2']);
      expect(await store.list('up/s2')).toEqual([]); // a file is not a folder
      expect(await store.list('up/none')).toEqual([]);
    });

    it('removes every file under a folder and nothing else', async () => {
      for (const path of ['up/s1/a', 'up/s1/x/c', 'up/s10/d', 'up/s2', 'other/e']) {
        await store.writeStream(path, Readable.from([Buffer.from(path)]), { maxBytes: 100 });
      }
      await store.removePrefix('up/s1/');
      expect(await h.listAll()).toEqual(['other/e', 'up/s10/d', 'up/s2']);
      expect(await store.exists('up/s1/a')).toBe(false);
      await expect(store.removePrefix('up/none')).resolves.toBeUndefined();
      await store.removePrefix('up/s2'); // a file, not a folder
      expect(await store.exists('up/s2')).toBe(true);
      await store.removePrefix('up');
      expect(await h.listAll()).toEqual(['other/e']);
    });

    it.each(['', '/', '../up', 'up/../../x', '/etc', 'up//s1', './up', 'up/./s1', 'up//', 'up\\..\\x', 'up/\u0000'])(
      'refuses the folder %j',
      async (bad) => {
        await store.writeStream('up/s1/a', Readable.from([Buffer.from('x')]), { maxBytes: 10 });
        await expect(store.list(bad)).rejects.toBeInstanceOf(InvalidFilePathError);
        await expect(store.removePrefix(bad)).rejects.toBeInstanceOf(InvalidFilePathError);
        expect(await h.listAll()).toEqual(['up/s1/a']);
      },
    );

    it('assembles parts written in order into a file, replacing what a failed part left, and removes the parts', async () => {
      const data = randomBytes(250_000);
      expect(await store.writePart('up/s1', 0, Readable.from([data.subarray(0, 100_000)]), { maxBytes: 100_000 })).toEqual({
        size: 100_000,
      });
      // A part that broke off midway, then the same part again, whole.
      await expect(
        store.writePart('up/s1', 100_000, failingSource(randomBytes(60_000), new Error('gone')), { maxBytes: 100_000 }),
      ).rejects.toThrow('gone');
      await store.writePart('up/s1', 100_000, Readable.from([data.subarray(100_000, 200_000)]), { maxBytes: 100_000 });
      await store.writePart('up/s1', 200_000, Readable.from([data.subarray(200_000)]), { maxBytes: 100_000 });
      expect(await store.exists('done/f.bin')).toBe(false);

      const result = await store.assembleParts('up/s1', 'done/f.bin', { size: data.length, expectedSha256: sha256(data) });
      expect(result).toEqual({ size: data.length, sha256: sha256(data) });
      expect(sha256(await readAll(await store.readStream('done/f.bin')))).toBe(sha256(data));
      expect(await h.listAll()).toEqual(['done/f.bin']);
    });

    it('assembles an empty file from no parts, and trusts a digest the caller computed', async () => {
      expect(await store.assembleParts('up/s0', 'done/empty', { size: 0 })).toEqual({ size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect((await store.stat('done/empty')).size).toBe(0);
      const data = randomBytes(1000);
      await store.writePart('up/s1', 0, Readable.from([data]), { maxBytes: 1000 });
      const result = await store.assembleParts('up/s1', 'done/f', { size: 1000, sha256: sha256(data), expectedSha256: sha256(data) });
      expect(result.sha256).toBe(sha256(data));
    });

    it('refuses to assemble parts that miss bytes or do not match the expected digest, leaving no file', async () => {
      const data = randomBytes(5000);
      await store.writePart('up/s1', 0, Readable.from([data]), { maxBytes: 5000 });
      await expect(store.assembleParts('up/s1', 'done/f', { size: 6000 })).rejects.toBeInstanceOf(MissingPartsError);
      await expect(store.assembleParts('up/none', 'done/f', { size: 1 })).rejects.toBeInstanceOf(MissingPartsError);
      await expect(store.assembleParts('up/s1', 'done/f', { size: 5000, expectedSha256: sha256(randomBytes(5)) })).rejects.toBeInstanceOf(
        DigestMismatchError,
      );
      expect(await store.exists('done/f')).toBe(false);
      await expect(store.writePart('up/s1', 0, Readable.from([data, Buffer.alloc(1)]), { maxBytes: 5000 })).rejects.toBeInstanceOf(
        FileTooLargeError,
      );
      await store.removePrefix('up/s1');
      expect(await h.listAll()).toEqual([]);
    });

    it('accepts unicode and unusual but harmless names', async () => {
      for (const path of ['u/résumé 日本語.txt', 'u/..hidden', 'u/a b;c&d.txt', 'u/...']) {
        await store.writeStream(path, Readable.from([Buffer.from(path)]), { maxBytes: 1000 });
        expect((await readAll(await store.readStream(path))).toString()).toBe(path);
      }
    });
  });
}
