import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import S3rver from 's3rver';
import { freePort } from './ports';

/** An S3-compatible server (s3rver) on loopback with one empty bucket, storing under a temporary directory. */
export interface S3TestServer {
  /** `127.0.0.1:<port>`: the form of MM_FILESETTINGS_AMAZONS3ENDPOINT (plain http). */
  endpoint: string;
  bucket: string;
  /** s3rver's one account; it checks the key id, not the signature. */
  accessKeyId: string;
  secretAccessKey: string;
  /** The environment of the `amazons3` file store driver using this server. */
  env: Record<string, string>;
  /** Every object key in the bucket, sorted. */
  keys(): Promise<string[]>;
  /** Keys of multipart uploads started and neither completed nor aborted. */
  pendingUploads(): Promise<string[]>;
  /** Multipart parts received so far. */
  partsReceived(): number;
  close(): Promise<void>;
}

/** Where s3rver keeps the parts of a multipart upload (its filesystem store's layout). */
const UPLOADS_DIR = '._S3rver_uploads';

export async function startS3TestServer(bucket = 'fedchat-test'): Promise<S3TestServer> {
  const directory = await mkdtemp(path.join(tmpdir(), 'fedchat-s3rver-'));
  const port = await freePort();
  const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true, configureBuckets: [{ name: bucket }] });
  let parts = 0;
  // s3rver lacks AbortMultipartUpload (DELETE /<bucket>/<key>?uploadId=...); real S3 and MinIO drop the parts.
  server.middleware.unshift(async (ctx, next) => {
    if (ctx.method === 'PUT' && ctx.query.partNumber !== undefined && ctx.query.uploadId !== undefined) parts++;
    const uploadId = ctx.query.uploadId;
    if (ctx.method === 'DELETE' && typeof uploadId === 'string' && /^[0-9a-f]+$/.test(uploadId)) {
      await rm(path.join(directory, bucket, UPLOADS_DIR, uploadId), { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    await next();
  });
  await server.run();
  const endpoint = `127.0.0.1:${port}`;
  const accessKeyId = 'S3RVER';
  const secretAccessKey = 'S3RVER';
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: `http://${endpoint}`,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  return {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    env: {
      MM_FILESETTINGS_DRIVERNAME: 'amazons3',
      MM_FILESETTINGS_AMAZONS3BUCKET: bucket,
      MM_FILESETTINGS_AMAZONS3ENDPOINT: endpoint,
      MM_FILESETTINGS_AMAZONS3SSL: 'false',
      MM_FILESETTINGS_AMAZONS3ACCESSKEYID: accessKeyId,
      MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY: secretAccessKey,
    },
    async keys() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async pendingUploads() {
      let uploads: string[];
      try {
        uploads = await readdir(path.join(directory, bucket, UPLOADS_DIR));
      } catch {
        return [];
      }
      const keys = await Promise.all(uploads.map((id) => readFile(path.join(directory, bucket, UPLOADS_DIR, id, 'key'), 'utf8')));
      return keys.sort();
    },
    partsReceived: () => parts,
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
