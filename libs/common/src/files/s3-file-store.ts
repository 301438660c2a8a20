import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';
import { pipeline, Readable, Transform, TransformCallback } from 'node:stream';
import type { AmazonS3Settings } from '../config/config.schema';
import { SegmentedParts } from './segmented-parts';
import {
  AssembleOptions,
  ByteRange,
  FileNotFoundError,
  FileStore,
  FileTooLargeError,
  folderPath,
  pathSegments,
  StoredFileStat,
  WriteOptions,
  WriteResult,
  existsByStat,
} from './file-store';

/** S3's smallest multipart part; a write holds at most (PARTS_IN_FLIGHT + 1) parts in memory. */
const PART_SIZE = 5 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;
/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;

/**
 * The `amazons3` driver: files are objects in one bucket of AWS S3 or an S3-compatible store (MinIO, Ceph, ...),
 * keyed `<pathPrefix>/<path>`. Writes stream through lib-storage's multipart upload with bounded parts; S3 makes
 * an object visible only when its upload completes, and a failed upload is aborted so that no parts remain.
 */
export class S3FileStore implements FileStore {
  readonly driverName = 'amazons3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly keyPrefix: string;
  /** S3 has no append: parts are objects of their own, joined on assembly. */
  private readonly parts = new SegmentedParts(this);

  constructor(settings: AmazonS3Settings) {
    const host = settings.endpoint.replace(/:\d+$/, '');
    this.client = new S3Client({
      region: settings.region,
      endpoint: `${settings.ssl ? 'https' : 'http'}://${settings.endpoint}`,
      // As Mattermost (minio-go) does: bucket-in-host addressing on AWS, path-style everywhere else (MinIO).
      forcePathStyle: !/(^|\.)amazonaws\.com$/i.test(host),
      credentials:
        settings.accessKeyId && settings.secretAccessKey
          ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey }
          : undefined,
      // Newer SDKs add CRC checksums to every request; several S3-compatible stores reject or mishandle them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 10_000 },
    });
    this.bucket = settings.bucket;
    this.keyPrefix = settings.pathPrefix ? `${settings.pathPrefix}/` : '';
  }

  async writeStream(path: string, source: Readable, opts: WriteOptions): Promise<WriteResult> {
    let key: string;
    try {
      key = this.key(path);
    } catch (err) {
      source.destroy();
      throw err;
    }
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        size += chunk.length;
        if (size > opts.maxBytes) return callback(new FileTooLargeError(opts.maxBytes));
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    // The source's own error, or FileTooLargeError: the upload then fails too, and this is the error to report.
    let streamError: Error | undefined;
    const body = pipeline(source, meter, (err) => {
      streamError ??= err ?? undefined;
    });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      const failure = streamError ?? err;
      source.destroy();
      meter.destroy();
      throw failure;
    }
    return { size, sha256: hash.digest('hex') };
  }

  writePart(folder: string, start: number, source: Readable, opts: WriteOptions): Promise<{ size: number }> {
    return this.parts.writePart(folder, start, source, opts);
  }

  assembleParts(folder: string, path: string, opts: AssembleOptions): Promise<WriteResult> {
    return this.parts.assembleParts(folder, path, opts);
  }

  async readStream(path: string, range?: ByteRange): Promise<Readable> {
    const key = this.key(path);
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      if (!(res.Body instanceof Readable)) throw new Error(`S3 answered GetObject for ${JSON.stringify(path)} without a body stream.`);
      return res.Body;
    } catch (err) {
      throw notFoundOr(err, path);
    }
  }

  async stat(path: string): Promise<StoredFileStat> {
    const key = this.key(path);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: res.ContentLength ?? 0, modifiedAt: res.LastModified ?? new Date(0) };
    } catch (err) {
      throw notFoundOr(err, path);
    }
  }

  exists(path: string): Promise<boolean> {
    return existsByStat(() => this.stat(path));
  }

  async remove(path: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
  }

  async list(prefix: string): Promise<string[]> {
    const keys = await this.keysUnder(prefix);
    return keys
      .map((key) => key.slice(this.keyPrefix.length))
      .filter(isStorePath)
      .sort();
  }

  async removePrefix(prefix: string): Promise<void> {
    const keys = await this.keysUnder(prefix);
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const res = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      if (res.Errors?.length) {
        const first = res.Errors[0];
        throw new Error(`S3 could not delete ${res.Errors.length} of ${batch.length} objects (first: ${first.Key}: ${first.Code}).`);
      }
    }
  }

  /** Every key in the folder `prefix`, of any depth. */
  private async keysUnder(prefix: string): Promise<string[]> {
    const folderKey = `${this.key(folderPath(prefix))}/`;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: folderKey, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /** The object key of a store path; refuses paths that break the rules. */
  private key(path: string): string {
    pathSegments(path);
    return this.keyPrefix + path;
  }
}

/** Keys that other tools made (such as `folder/` markers) are not files of this store. */
function isStorePath(path: string): boolean {
  try {
    pathSegments(path);
    return true;
  } catch {
    return false;
  }
}

function notFoundOr(err: unknown, path: string): unknown {
  const name = (err as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound' ? new FileNotFoundError(path) : err;
}
