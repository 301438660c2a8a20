import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3TestServer, startS3TestServer } from '@fedchat/testing';
import { AmazonS3Settings, loadConfig } from '../config/config.schema';
import { FileTooLargeError } from './file-store';
import { describeFileStoreDriver } from './file-store.driver-suite';
import { createFileStore } from './file-store.module';
import { S3FileStore } from './s3-file-store';

// Every test talks HTTP to a real S3 server (in-process), two of them moving 64 MiB: allow for a loaded machine.
jest.setTimeout(60_000);

const MiB = 1024 * 1024;
const PATH_PREFIX = 'fedchat/files';

function settingsFor(s3: S3TestServer, pathPrefix?: string): AmazonS3Settings {
  return {
    bucket: s3.bucket,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    endpoint: s3.endpoint,
    ssl: false,
    region: 'us-east-1',
    pathPrefix,
  };
}

/** `count` chunks of 1 MiB of random bytes, made only when the reader asks for them; `sha256()` of all made so far. */
function generatedSource(count: number): { source: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  function* chunks() {
    for (let i = 0; i < count; i++) {
      const chunk = randomBytes(MiB);
      hash.update(chunk);
      yield chunk;
    }
  }
  return { source: Readable.from(chunks(), { objectMode: false }), sha256: () => hash.copy().digest('hex') };
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// Each test gets its own s3rver, so that listAll sees every object and unfinished upload in the bucket.
describeFileStoreDriver('amazons3 (s3rver, with a path prefix)', async () => {
  const s3 = await startS3TestServer();
  return {
    store: new S3FileStore(settingsFor(s3, PATH_PREFIX)),
    listAll: async () => [
      ...(await s3.keys()).map((key) =>
        key.startsWith(`${PATH_PREFIX}/`) ? key.slice(PATH_PREFIX.length + 1) : `outside the prefix: ${key}`,
      ),
      ...(await s3.pendingUploads()).map((key) => `unfinished upload: ${key}`),
    ],
    cleanup: () => s3.close(),
  };
});

describe('S3FileStore specifics', () => {
  let s3: S3TestServer;
  let store: S3FileStore;
  beforeEach(async () => {
    s3 = await startS3TestServer();
    store = new S3FileStore(settingsFor(s3));
  });
  afterEach(async () => {
    await s3.close();
  });

  it('streams a 64 MiB file up in parts and reads back the same bytes, whole and across a part boundary', async () => {
    const { source, sha256 } = generatedSource(64);
    const result = await store.writeStream('big/file.bin', source, { maxBytes: 64 * MiB });
    expect(result).toEqual({ size: 64 * MiB, sha256: sha256() });
    expect(s3.partsReceived()).toBeGreaterThanOrEqual(12); // multipart, parts of at most a few MiB
    expect(await s3.keys()).toEqual(['big/file.bin']);
    expect(await s3.pendingUploads()).toEqual([]);
    expect(await sha256Of(await store.readStream('big/file.bin'))).toBe(result.sha256);

    const whole = Buffer.concat(await (await store.readStream('big/file.bin')).toArray());
    const range = { start: 5 * MiB - 3, end: 5 * MiB + 2 };
    expect(Buffer.concat(await (await store.readStream('big/file.bin', range)).toArray())).toEqual(
      whole.subarray(range.start, range.end + 1),
    );
    expect((await store.stat('big/file.bin')).size).toBe(64 * MiB);
  });

  it('aborts a multipart upload over maxBytes: no object, no parts left, the previous file kept', async () => {
    await store.writeStream('big/file.bin', Readable.from([Buffer.from('old')]), { maxBytes: 10 });
    const { source } = generatedSource(64);
    await expect(store.writeStream('big/file.bin', source, { maxBytes: 20 * MiB })).rejects.toBeInstanceOf(FileTooLargeError);
    expect(s3.partsReceived()).toBeGreaterThan(0); // the upload had begun, so there were parts to drop
    expect(source.destroyed).toBe(true);
    expect(await s3.pendingUploads()).toEqual([]);
    expect(await s3.keys()).toEqual(['big/file.bin']);
    expect(Buffer.concat(await (await store.readStream('big/file.bin')).toArray()).toString()).toBe('old');
  });

  it('is chosen by MM_FILESETTINGS_DRIVERNAME=amazons3 and works with the settings as an operator writes them', async () => {
    const configured = createFileStore(loadConfig('embedded', { ...s3.env, MM_FILESETTINGS_AMAZONS3PATHPREFIX: '/tenant-a/' }));
    expect(configured).toBeInstanceOf(S3FileStore);
    await configured.writeStream('a/b.txt', Readable.from([Buffer.from('hello')]), { maxBytes: 10 });
    expect(await s3.keys()).toEqual(['tenant-a/a/b.txt']);
    expect(await configured.list('a')).toEqual(['a/b.txt']);
  });

  it('reports S3 errors other than a missing file as they are (a missing bucket is not a missing file)', async () => {
    const wrongBucket = new S3FileStore({ ...settingsFor(s3), bucket: 'no-such-bucket' });
    await expect(wrongBucket.readStream('a.txt')).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await expect(wrongBucket.writeStream('a.txt', Readable.from([randomBytes(10)]), { maxBytes: 100 })).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });
});
