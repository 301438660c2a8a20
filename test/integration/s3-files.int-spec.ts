import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { Response } from 'superagent';
import { APP_CONFIG, AppConfig, FILE_STORE, FileStore, S3FileStore } from '@fedchat/common';
import { S3TestServer, startS3TestServer } from '@fedchat/testing';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/*
 * The gateway with MM_FILESETTINGS_DRIVERNAME=amazons3 against an S3-compatible server (s3rver): attachments go to
 * the bucket, never to DATA_DIR, and come back byte-identical, whole and by range.
 */

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** superagent parser that keeps any body as a Buffer. */
function binary(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

async function localFiles(h: GatewayHarness): Promise<string[]> {
  try {
    return await readdir(path.join(h.app.get<AppConfig>(APP_CONFIG).dataDir, 'files'), { recursive: true });
  } catch {
    return [];
  }
}

let s3: S3TestServer;
let h: GatewayHarness;
let alice: TestUser;
let channelId: string;

beforeAll(async () => {
  s3 = await startS3TestServer();
  h = await GatewayHarness.start({
    ...s3.env,
    MM_FILESETTINGS_AMAZONS3PATHPREFIX: 'fedchat',
    MM_FILESETTINGS_MAXFILESIZE: String(12 * MiB),
  });
  alice = await h.signUp('s3alice');
  channelId = (await h.channelWith([alice])).channelId;
});
afterAll(async () => {
  await h?.close();
  await s3?.close();
});

function upload(data: Buffer, name: string) {
  return h.as(alice).post('/api/v4/files').field('channel_id', channelId).attach('files', data, name);
}

describe('file attachments on the amazons3 driver', () => {
  it('uses the S3 file store', () => {
    expect(h.app.get<FileStore>(FILE_STORE)).toBeInstanceOf(S3FileStore);
  });

  it('stores an upload in the bucket and serves it back byte-identical, whole and by range', async () => {
    const data = randomBytes(11 * MiB); // more than two multipart parts
    const res = await upload(data, 'report.bin').expect(201);
    const info = res.body.file_infos[0];
    expect(info.size).toBe(data.length);

    expect(await s3.keys()).toEqual([
      expect.stringMatching(
        new RegExp(`^fedchat/data/\\d{8}/teams/noteam/channels/${channelId}/users/${alice.id}/${info.id}/report\\.bin$`),
      ),
    ]);
    expect(s3.partsReceived()).toBeGreaterThanOrEqual(3);
    expect(await localFiles(h)).toEqual([]);

    const whole = await h.as(alice).get(`/api/v4/files/${info.id}`).buffer(true).parse(binary).expect(200);
    expect(whole.headers['content-length']).toBe(String(data.length));
    expect(sha256(whole.body)).toBe(sha256(data));

    const start = 5 * MiB - 100; // across the boundary of the first part
    const part = await h
      .as(alice)
      .get(`/api/v4/files/${info.id}`)
      .set('Range', `bytes=${start}-${start + 199}`)
      .buffer(true)
      .parse(binary)
      .expect(206);
    expect(part.headers['content-range']).toBe(`bytes ${start}-${start + 199}/${data.length}`);
    expect(part.body).toEqual(data.subarray(start, start + 200));
    const tail = await h.as(alice).get(`/api/v4/files/${info.id}`).set('Range', 'bytes=-10').buffer(true).parse(binary).expect(206);
    expect(tail.body).toEqual(data.subarray(data.length - 10));
    await h.as(alice).get(`/api/v4/files/${info.id}`).set('Range', `bytes=${data.length}-`).expect(416);
  });

  it('refuses a file over MaxFileSize with 413, leaving no object and no unfinished upload in the bucket', async () => {
    const before = await s3.keys();
    const partsBefore = s3.partsReceived();
    const res = await upload(randomBytes(12 * MiB + 1), 'too-big.bin');
    expect(res.status).toBe(413);
    expect(res.body.id).toBe('api.file.upload_file.too_large_detailed.app_error');
    expect(s3.partsReceived()).toBeGreaterThan(partsBefore); // a multipart upload had begun
    expect(await s3.keys()).toEqual(before);
    expect(await s3.pendingUploads()).toEqual([]);
  });

  it('answers 404 when the object has gone from the bucket', async () => {
    const res = await upload(Buffer.from('short-lived'), 'gone.txt').expect(201);
    const info = res.body.file_infos[0];
    const [key] = (await s3.keys()).filter((k) => k.endsWith(`/${info.id}/gone.txt`));
    await h.app.get<FileStore>(FILE_STORE).remove(key.slice('fedchat/'.length));
    const dl = await h.as(alice).get(`/api/v4/files/${info.id}`).expect(404);
    expect(dl.body.id).toBe('api.file.file_reader.app_error');
  });
});
