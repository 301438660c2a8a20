import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { AssembleOptions, DigestMismatchError, FileStore, folderPath, MissingPartsError, WriteOptions, WriteResult } from './file-store';

/**
 * `writePart`/`assembleParts` for a driver that cannot append to an object (S3): each part is an object of its own,
 * named by its start offset zero-padded to 16 digits so that listing sorts them in order, and assembling joins them
 * into the file in one streamed write (the second write of every byte that appending avoids).
 */
export class SegmentedParts {
  constructor(private readonly store: FileStore) {}

  async writePart(folder: string, start: number, source: Readable, opts: WriteOptions): Promise<{ size: number }> {
    let path: string;
    try {
      path = `${folderPath(folder)}/${String(start).padStart(16, '0')}`;
    } catch (err) {
      source.destroy();
      throw err;
    }
    const { size } = await this.store.writeStream(path, source, opts);
    return { size };
  }

  async assembleParts(folder: string, path: string, opts: AssembleOptions): Promise<WriteResult> {
    const prefix = `${folderPath(folder)}/`;
    const segments: string[] = [];
    let position = 0;
    for (const segment of await this.store.list(prefix)) {
      // A part of another segmentation (settings changed between attempts) that the next part replaced in part.
      if (Number(segment.slice(prefix.length)) !== position) break;
      segments.push(segment);
      position += (await this.store.stat(segment)).size;
    }
    if (position < opts.size) throw new MissingPartsError(folder, position, opts.size);

    const store = this.store;
    async function* joined(): AsyncGenerator<Buffer> {
      const hash = createHash('sha256');
      let left = opts.size;
      for (const segment of segments) {
        for await (const chunk of await store.readStream(segment)) {
          const bytes = (chunk as Buffer).subarray(0, left);
          left -= bytes.length;
          hash.update(bytes);
          yield bytes;
          if (left === 0) break;
        }
        if (left === 0) break;
      }
      // Failing before the end keeps the joined file from ever appearing.
      if (opts.expectedSha256 && hash.digest('hex') !== opts.expectedSha256) throw new DigestMismatchError(path);
    }
    const written = await this.store.writeStream(path, Readable.from(joined()), { maxBytes: opts.size });
    await this.store.removePrefix(prefix);
    return written;
  }
}
