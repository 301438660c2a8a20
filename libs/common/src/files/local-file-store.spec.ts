import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { waitFor } from '@fedchat/testing';
import { loadConfig } from '../config/config.schema';
import { describeFileStoreDriver } from './file-store.driver-suite';
import { createFileStore } from './file-store.module';
import { MissingPartsError } from './file-store';
import { LocalFileStore } from './local-file-store';

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(root, full)));
    else out.push(path.relative(root, full).split(path.sep).join('/'));
  }
  return out.sort();
}

/**
 * Counts the writes the store's file handles make, from the FileHandle prototype (a write stream on a handle writes
 * through it). Not /proc/self/io: that counts every write of the process, and some CI kernels count far more.
 */
async function countHandleWrites(work: () => Promise<unknown>): Promise<number> {
  const probe = await open(__filename, 'r');
  const proto = Object.getPrototypeOf(probe) as Record<'write' | 'writev', (...args: unknown[]) => unknown>;
  await probe.close();
  let calls = 0;
  const originals = { write: proto.write, writev: proto.writev };
  for (const name of ['write', 'writev'] as const) {
    proto[name] = function (this: unknown, ...args: unknown[]) {
      calls++;
      return originals[name].apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    Object.assign(proto, originals);
  }
  return calls;
}

async function listDirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(entry.name, ...(await listDirs(path.join(dir, entry.name))).map((d) => `${entry.name}/${d}`));
  }
  return out.sort();
}

describeFileStoreDriver('local', async () => {
  const base = await mkdtemp(path.join(tmpdir(), 'fedchat-store-'));
  const root = path.join(base, 'files');
  return { store: new LocalFileStore(root), listAll: () => listFiles(root), cleanup: () => rm(base, { recursive: true, force: true }) };
});

describe('LocalFileStore specifics', () => {
  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'fedchat-store-'));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('keeps files inside the root and prunes directories a failed write created', async () => {
    const store = new LocalFileStore(path.join(base, 'files'));
    expect(store.resolve('a/b.txt')).toBe(path.join(base, 'files', 'a', 'b.txt'));
    await store.writeStream('keep/x.txt', Readable.from([Buffer.from('x')]), { maxBytes: 10 });
    await expect(store.writeStream('keep/new/deeper/y.txt', Readable.from([Buffer.alloc(20)]), { maxBytes: 10 })).rejects.toThrow();
    expect(await listDirs(path.join(base, 'files'))).toEqual(['keep']);
  });

  it('prunes directories emptied by a removal, but not the root', async () => {
    const store = new LocalFileStore(path.join(base, 'files'));
    await store.writeStream('a/b/c/x.txt', Readable.from([Buffer.from('x')]), { maxBytes: 10 });
    await store.remove('a/b/c/x.txt');
    expect(await listDirs(path.join(base, 'files'))).toEqual([]);
  });

  it('is the default driver, rooted at DATA_DIR/files', () => {
    const local = createFileStore(loadConfig('embedded', { DATA_DIR: base }));
    expect(local).toBeInstanceOf(LocalFileStore);
    expect((local as LocalFileStore).root).toBe(path.join(base, 'files'));
  });

  it('does not list a file while it is being written', async () => {
    const store = new LocalFileStore(path.join(base, 'files'));
    const source = new PassThrough();
    const writing = store.writeStream('up/s1/a', source, { maxBytes: 100 });
    source.write('part');
    await waitFor('the temporary file', async () => ((await listFiles(path.join(base, 'files'))).length > 0 ? true : undefined), 5000, 5);
    expect(await store.list('up')).toEqual([]);
    source.end('done');
    await writing;
    expect(await store.list('up')).toEqual(['up/s1/a']);
  });

  it('writes parts into one file that assembling renames into place: each byte is written once', async () => {
    const store = new LocalFileStore(path.join(base, 'files'));
    await store.writePart('up/s1', 0, Readable.from([Buffer.alloc(3000, 1)]), { maxBytes: 3000 });
    await store.writePart('up/s1', 3000, Readable.from([Buffer.alloc(3000, 2)]), { maxBytes: 3000 });
    expect(await listFiles(path.join(base, 'files'))).toEqual(['up/s1/parts.bin']);
    const parts = await stat(store.resolve('up/s1/parts.bin'));
    await store.assembleParts('up/s1', 'data/f.bin', { size: 6000 });
    const assembled = await stat(store.resolve('data/f.bin'));
    expect([assembled.ino, assembled.size]).toEqual([parts.ino, 6000]);
    expect(await listDirs(path.join(base, 'files'))).toEqual(['data']);
  });

  it('refuses a part that would leave a gap after the bytes stored (they would read as zeros)', async () => {
    const store = new LocalFileStore(path.join(base, 'files'));
    await store.writePart('up/s1', 0, Readable.from([Buffer.alloc(100, 1)]), { maxBytes: 100 });
    await expect(store.writePart('up/s1', 200, Readable.from([Buffer.alloc(100, 2)]), { maxBytes: 100 })).rejects.toBeInstanceOf(
      MissingPartsError,
    );
    expect((await stat(store.resolve('up/s1/parts.bin'))).size).toBe(100);
  });

  it('reads in chunks of the size asked for', async () => {
    const store = new LocalFileStore(path.join(base, 'files'));
    await store.writeStream('big.bin', Readable.from([Buffer.alloc(3 * 1024 * 1024 + 10, 7)]), { maxBytes: 4 * 1024 * 1024 });
    const sizes: number[] = [];
    for await (const chunk of await store.readStream('big.bin', undefined, { chunkBytes: 1024 * 1024 }))
      sizes.push((chunk as Buffer).length);
    expect(sizes).toEqual([1024 * 1024, 1024 * 1024, 1024 * 1024, 10]);
    const ranged: number[] = [];
    for await (const chunk of await store.readStream('big.bin', { start: 5, end: 2 * 1024 * 1024 + 4 }, { chunkBytes: 1024 * 1024 })) {
      ranged.push((chunk as Buffer).length);
    }
    expect(ranged).toEqual([1024 * 1024, 1024 * 1024]);
  });

  it("gathers a part's 64 KiB chunks (what a socket delivers) into few disk writes", async () => {
    const store = new LocalFileStore(path.join(base, 'files'));
    const chunks = Array.from({ length: 128 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const calls = await countHandleWrites(() => store.writePart('up/s1', 0, Readable.from(chunks), { maxBytes: 8 * 1024 * 1024 }));
    // One write per chunk would be 128; batches of about 1 MiB make a few dozen at most.
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(40);
    expect((await stat(store.resolve('up/s1/parts.bin'))).size).toBe(8 * 1024 * 1024);
  });
});
