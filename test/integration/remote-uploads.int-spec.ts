import { APP_CONFIG, AppConfig, FILE_STORE, LocalFileStore } from '@fedchat/common';
import { newId } from '@fedchat/crypto';
import { addChannelMember, addTeamMember, newRemote, newShare, newUser, waitFor } from '@fedchat/testing';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as path from 'node:path';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { FileTransferModule } from '../../apps/file-transfer/src/file-transfer.module';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { TestUser } from '../support/gateway-harness';
import { connectClusters, startTestCluster, TestCluster } from '../support/test-clusters';
import { UploadExpiry } from '../../apps/file-transfer/src/receiving/upload-expiry.service';
import { RemoteUploadsService } from '../../apps/gateway/src/files/remote-uploads.service';

/*
 * The receive side of file transfer on a real cluster A, driven over HTTP by its real peer B (a connection made
 * through the REST API; requests signed with B's token): upload sessions (`sharedchannel_upload` on /msg), the bytes
 * (`/remotecluster/upload/{id}`), and profile images (`/remotecluster/{user_id}/image`). Files are stored in small
 * segments here (64 KiB) so that resumption shows with small files. The bytes of an upload in progress are in one
 * parts file, `uploads/<session>/parts.bin`, renamed into the attachment's place when complete.
 */

const SEGMENT = 64 * 1024;
const MAX_FILE = 1024 * 1024;
const ENV = {
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  FILE_TRANSFER_SEGMENT_BYTES: String(SEGMENT),
  MM_FILESETTINGS_MAXFILESIZE: String(MAX_FILE),
};

let a: TestCluster;
let b: TestCluster;
let remoteId: string;
let token: string;
let db: DataSource;
let store: LocalFileStore;
let carol: TestUser;
let notSharedChannelId: string;
/** A user of B, known on A (made by a sync message, as in real life). */
const bob = newId();
/** A remote that is not B, with a user and a session of its own (rows written directly). */
const otherRemote = newId();
const otherUser = newId();

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function peer(route: string) {
  return a.h.http.post(`/api/v4/remotecluster/${route}`).set('X-RemoteCluster-Id', remoteId).set('X-RemoteCluster-Token', token);
}

async function message(topic: string, payload: Record<string, unknown>): Promise<{ status: string; err?: string; payload?: any }> {
  const res = await peer('msg')
    .send({ remote_id: remoteId, msg: { id: newId(), topic, create_at: Date.now(), payload } })
    .expect(200);
  return res.body;
}

function sessionMessage(extra: Record<string, unknown> = {}) {
  return {
    id: newId(),
    type: 'attachment',
    create_at: Date.now(),
    user_id: bob,
    channel_id: a.channelId,
    filename: 'data.bin',
    file_size: 1000,
    file_offset: 0,
    remote_id: remoteId,
    req_file_id: newId(),
    ...extra,
  };
}

async function announce(extra: Record<string, unknown> = {}) {
  const res = await message('sharedchannel_upload', sessionMessage(extra));
  if (res.status !== 'OK') throw new Error(`session refused: ${res.err}`);
  return res.payload as { id: string; file_offset: number; file_size: number; req_file_id: string };
}

function sendBytes(uploadId: string, data: Buffer, start: number, total: number) {
  return peer(`upload/${uploadId}`)
    .set('Content-Type', 'application/octet-stream')
    .set('Content-Range', `bytes ${start}-${start + data.length - 1}/${total}`)
    .send(data);
}

async function offsetOf(uploadId: string): Promise<number> {
  const [row] = await db.query('SELECT file_offset FROM upload_sessions WHERE id = $1', [uploadId]);
  return Number(row.file_offset);
}

/** Every file under the store root, temporary ones included. */
async function storedFiles(dir = store.root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await storedFiles(full)));
    else out.push(path.relative(store.root, full));
  }
  return out.sort();
}

const partsFile = (uploadId: string) => `uploads/${uploadId}/parts.bin`;

/** Bytes this process has written (write(2) and friends, to files and sockets alike): /proc/self/io `wchar`. */
async function bytesWritten(): Promise<number> {
  return Number(/^wchar: (\d+)$/m.exec(await readFile('/proc/self/io', 'utf8'))![1]);
}

async function filesOfSession(uploadId: string): Promise<string[]> {
  return (await storedFiles()).filter((f) => f.startsWith(`uploads/${uploadId}/`));
}

/** Nothing of the file is visible: no FileInfo, not downloadable, nothing stored under its id. */
async function expectNoFile(fileId: string): Promise<void> {
  expect(await db.query('SELECT id FROM file_infos WHERE id = $1', [fileId])).toEqual([]);
  await a.h.as(a.admin).get(`/api/v4/files/${fileId}`).expect(404);
  expect((await storedFiles()).filter((f) => f.includes(`/${fileId}/`))).toEqual([]);
}

/** A POST over a raw socket, so that a test can break it off or make its headers lie. */
function rawUpload(uploadId: string, headers: Record<string, string | number>) {
  const url = new URL(`${a.url}/api/v4/remotecluster/upload/${uploadId}`);
  const req = http.request(url, {
    method: 'POST',
    headers: { 'X-RemoteCluster-Id': remoteId, 'X-RemoteCluster-Token': token, 'Content-Type': 'application/octet-stream', ...headers },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  response.catch(() => undefined);
  return { req, response };
}

function until(what: string, cond: () => Promise<boolean>): Promise<boolean> {
  return waitFor(what, async () => ((await cond()) ? true : undefined), 10_000);
}

/** A PNG of random pixels: incompressible, so it spans several segments. */
function noisyPng(width: number, height: number): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

beforeAll(async () => {
  a = await startTestCluster('a', ENV, [RemoteClusterModule, SharedChannelSyncModule, FileTransferModule]);
  b = await startTestCluster('b', ENV, [RemoteClusterModule]);
  remoteId = await connectClusters(a, b);
  [{ remote_token: token }] = await b.h.app
    .get(DataSource)
    .query('SELECT remote_token FROM remote_clusters WHERE remote_id = $1', [remoteId]);
  db = a.h.app.get(DataSource);
  store = a.h.app.get(FILE_STORE);

  // B shared a channel with A (rows as an accepted invitation leaves them), and A has another channel it does not share.
  await newShare(db, { channel_id: a.channelId, team_id: a.teamId, creator_id: a.admin.id, remote_id: remoteId }, [remoteId]);
  ({ channelId: notSharedChannelId } = await a.h.channelWith([a.admin]));
  carol = await a.h.signUp('carol', a.admin);
  await addChannelMember(db, a.channelId, carol.id);
  await addTeamMember(db, a.teamId, carol.id);

  const synced = await message('sharedchannel_sync', {
    id: newId(),
    channel_id: a.channelId,
    users: { [bob]: { id: bob, username: 'bob', email: 'bob@b.example', update_at: Date.now() } },
  });
  expect(synced.payload).toMatchObject({ users_syncd: [bob] });

  await newRemote(db, { remote_id: otherRemote, name: 'other' });
  await newUser(db, { id: otherUser, username: 'olga:other', remote_id: otherRemote });
});

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('attachments received from a remote', () => {
  it('receives an image in two requests (204, then 200 with the FileInfo), with a thumbnail, attached to its post', async () => {
    const image = await noisyPng(300, 200);
    expect(image.length).toBeGreaterThan(2 * SEGMENT);
    const fileId = newId();
    const session = await announce({ filename: 'photo.png', file_size: image.length, req_file_id: fileId, content_digest: sha256(image) });
    expect(session).toMatchObject({
      file_offset: 0,
      file_size: image.length,
      req_file_id: fileId,
      remote_id: remoteId,
      type: 'attachment',
    });
    expect(session).not.toHaveProperty('path');

    const cut = SEGMENT + 1000;
    await sendBytes(session.id, image.subarray(0, cut), 0, image.length).expect(204);
    expect(await offsetOf(session.id)).toBe(cut);
    expect(await filesOfSession(session.id)).toEqual([partsFile(session.id)]);
    expect((await stat(store.resolve(partsFile(session.id)))).size).toBe(cut);
    await a.h.as(a.admin).get(`/api/v4/files/${fileId}`).expect(404); // not visible before it is complete

    const done = await sendBytes(session.id, image.subarray(cut), cut, image.length).expect(200);
    expect(done.body).toMatchObject({
      id: fileId,
      user_id: bob,
      channel_id: a.channelId,
      post_id: '',
      name: 'photo.png',
      extension: 'png',
      mime_type: 'image/png',
      size: image.length,
      width: 300,
      height: 200,
      has_preview_image: true,
      remote_id: remoteId,
    });
    expect(await filesOfSession(session.id)).toEqual([]); // parts gone
    const [info] = await db.query('SELECT content_digest, path FROM file_infos WHERE id = $1', [fileId]);
    expect(info.content_digest).toBe(sha256(image));
    expect(info.path).toMatch(new RegExp(`^data/\\d{8}/teams/noteam/channels/${a.channelId}/users/${bob}/${fileId}/photo\\.png$`));

    // The post comes after its file, and carries it.
    const postId = newId();
    const synced = await message('sharedchannel_sync', {
      id: newId(),
      channel_id: a.channelId,
      posts: [
        {
          id: postId,
          user_id: bob,
          channel_id: a.channelId,
          create_at: Date.now(),
          update_at: Date.now(),
          message: 'look',
          file_ids: [fileId],
        },
      ],
    });
    expect(synced.payload).toMatchObject({ post_errors: [] });
    const [post] = await db.query('SELECT file_ids FROM posts WHERE id = $1', [postId]);
    expect(post.file_ids).toEqual([fileId]);

    const download = await a.h
      .as(carol)
      .get(`/api/v4/files/${fileId}`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(download.status).toBe(200);
    expect(sha256(download.body as Buffer)).toBe(sha256(image));
    const thumb = await a.h.as(carol).get(`/api/v4/files/${fileId}/thumbnail`).expect(200);
    expect(thumb.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(thumb.body as Buffer).metadata();
    expect(meta.width).toBeLessThanOrEqual(120);
    expect(meta.height).toBeLessThanOrEqual(100);
    await a.h.as(carol).get(`/api/v4/files/${fileId}/preview`).expect(200);

    // Repeating the last request or the announcement changes nothing and answers the same.
    const again = await sendBytes(session.id, Buffer.alloc(0), image.length, image.length);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(fileId);
    const reannounced = await announce({ filename: 'photo.png', file_size: image.length, req_file_id: fileId });
    expect(reannounced).toMatchObject({ id: session.id, file_offset: image.length });
  });

  it('attaches a file that arrives after its post when the post comes again', async () => {
    const data = randomBytes(5000);
    const fileId = newId();
    const postId = newId();
    const post = { id: postId, user_id: bob, channel_id: a.channelId, create_at: Date.now(), message: 'file follows', file_ids: [fileId] };
    await message('sharedchannel_sync', { id: newId(), channel_id: a.channelId, posts: [{ ...post, update_at: Date.now() }] });
    expect((await db.query('SELECT file_ids FROM posts WHERE id = $1', [postId]))[0].file_ids).toEqual([]);

    const session = await announce({ file_size: data.length, req_file_id: fileId });
    await sendBytes(session.id, data, 0, data.length).expect(200);
    await message('sharedchannel_sync', { id: newId(), channel_id: a.channelId, posts: [{ ...post, update_at: Date.now() + 1 }] });
    expect((await db.query('SELECT file_ids FROM posts WHERE id = $1', [postId]))[0].file_ids).toEqual([fileId]);
    expect((await db.query('SELECT post_id FROM file_infos WHERE id = $1', [fileId]))[0].post_id).toBe(postId);
  });

  it('accepts the bytes as a multipart form field "data" too', async () => {
    const data = randomBytes(SEGMENT + 123);
    const session = await announce({ file_size: data.length });
    const res = await peer(`upload/${session.id}`).attach('data', data, 'blob').expect(200);
    expect(res.body).toMatchObject({ id: session.req_file_id, size: data.length });
    const [info] = await db.query('SELECT content_digest FROM file_infos WHERE id = $1', [session.req_file_id]);
    expect(info.content_digest).toBe(sha256(data));
  });

  it('resumes after a request broken off mid-body: the offset stays at a segment boundary', async () => {
    const data = randomBytes(4 * SEGMENT + 500);
    const fileId = newId();
    const session = await announce({ file_size: data.length, req_file_id: fileId, content_digest: sha256(data) });

    const { req, response } = rawUpload(session.id, {
      'Content-Length': data.length,
      'Content-Range': `bytes 0-${data.length - 1}/${data.length}`,
    });
    req.write(data.subarray(0, 2 * SEGMENT + 300));
    await until('two segments stored', async () => (await offsetOf(session.id)) === 2 * SEGMENT);
    req.destroy();
    await expect(response).rejects.toThrow();
    // The bytes of the segment in flight may stay in the parts file, past the offset: the next part overwrites them.
    expect(await filesOfSession(session.id)).toEqual([partsFile(session.id)]);
    expect(await offsetOf(session.id)).toBe(2 * SEGMENT);
    await expectNoFile(fileId);

    // The sender asks again, learns the offset and continues from it.
    const resumed = await announce({ file_size: data.length, req_file_id: fileId });
    expect(resumed).toMatchObject({ id: session.id, file_offset: 2 * SEGMENT });
    const done = await sendBytes(session.id, data.subarray(2 * SEGMENT), 2 * SEGMENT, data.length).expect(200);
    expect(done.body).toMatchObject({ id: fileId, size: data.length });
    const [info] = await db.query('SELECT content_digest FROM file_infos WHERE id = $1', [fileId]);
    expect(info.content_digest).toBe(sha256(data));
  });

  it('gives up an unfinished upload that stopped moving: its segments go, fresh and finished sessions stay', async () => {
    const data = randomBytes(3 * SEGMENT);
    const stale = await announce({ file_size: data.length });
    await sendBytes(stale.id, data.subarray(0, SEGMENT), 0, data.length).expect(204);
    const fresh = await announce({ file_size: data.length });
    await sendBytes(fresh.id, data.subarray(0, SEGMENT), 0, data.length).expect(204);
    const finished = await announce({ file_size: 10 });
    await sendBytes(finished.id, Buffer.alloc(10, 1), 0, 10).expect(200);
    const dayAgo = Date.now() - 24 * 3600_000 - 1000;
    await db.query('UPDATE upload_sessions SET update_at = $2, create_at = $2 WHERE id = ANY($1)', [[stale.id, finished.id], dayAgo]);

    expect(await a.h.app.get(UploadExpiry).sweep()).toBe(1);
    expect(await db.query('SELECT id FROM upload_sessions WHERE id = $1', [stale.id])).toEqual([]);
    expect(await filesOfSession(stale.id)).toEqual([]);
    expect(await offsetOf(fresh.id)).toBe(SEGMENT);
    expect(await filesOfSession(fresh.id)).toHaveLength(1);
    expect(await offsetOf(finished.id)).toBe(10);
    // The sender that comes back after all starts over under a new session.
    const again = await announce({ file_size: data.length, req_file_id: stale.req_file_id });
    expect(again.id).not.toBe(stale.id);
    expect(again.file_offset).toBe(0);
  });

  it('keeps committed segments when the Content-Length lies (more announced than sent, then the connection ends)', async () => {
    const data = randomBytes(3 * SEGMENT);
    const session = await announce({ file_size: data.length });
    const { req, response } = rawUpload(session.id, { 'Content-Length': data.length });
    req.write(data.subarray(0, SEGMENT + 10));
    await until('one segment stored', async () => (await offsetOf(session.id)) === SEGMENT);
    req.destroy();
    await expect(response).rejects.toThrow();
    expect(await filesOfSession(session.id)).toEqual([partsFile(session.id)]);
    expect(await offsetOf(session.id)).toBe(SEGMENT);
    await expectNoFile(session.req_file_id);
  });

  it('breaks off a stalled request on the session when the sender starts a new one, and stores the new bytes', async () => {
    const data = randomBytes(3 * SEGMENT + 5);
    const session = await announce({ file_size: data.length, content_digest: sha256(data) });
    const stalled = rawUpload(session.id, {
      'Content-Length': data.length,
      'Content-Range': `bytes 0-${data.length - 1}/${data.length}`,
    });
    // One segment stored, the next half sent with garbage that a late write must never put into the file.
    stalled.req.write(data.subarray(0, SEGMENT));
    stalled.req.write(randomBytes(SEGMENT / 2));
    await until('one segment stored', async () => (await offsetOf(session.id)) === SEGMENT);
    const done = await sendBytes(session.id, data.subarray(SEGMENT), SEGMENT, data.length).expect(200);
    expect(done.body).toMatchObject({ id: session.req_file_id, size: data.length });
    await expect(stalled.response).rejects.toThrow(); // its connection was closed
    const [info] = await db.query('SELECT content_digest, path FROM file_infos WHERE id = $1', [session.req_file_id]);
    expect(info.content_digest).toBe(sha256(data));
    expect(sha256(await readFile(store.resolve(info.path)))).toBe(sha256(data));
  });

  it('writes each received byte once: no second write joins the parts', async () => {
    const data = randomBytes(MAX_FILE - 1000);
    const session = await announce({ file_size: data.length, content_digest: sha256(data) });
    const before = await bytesWritten();
    // The test's own client sends the body from this process too: that is one write of it.
    await sendBytes(session.id, data, 0, data.length).expect(200);
    const written = (await bytesWritten()) - before;
    expect(written).toBeGreaterThan(2 * data.length - SEGMENT); // the body sent, and stored once
    expect(written).toBeLessThan(2.5 * data.length);
  });

  it('checks an upload resumed after a restart (its running digest lost) by reading the stored bytes back', async () => {
    const receiver = a.h.app.get(RemoteUploadsService);
    const forgetRunningDigests = () => (receiver as unknown as { digests: Map<string, unknown> }).digests.clear();
    const data = randomBytes(3 * SEGMENT + 11);
    const good = await announce({ file_size: data.length, content_digest: sha256(data) });
    await sendBytes(good.id, data.subarray(0, SEGMENT), 0, data.length).expect(204);
    forgetRunningDigests();
    await sendBytes(good.id, data.subarray(SEGMENT), SEGMENT, data.length).expect(200);
    const [info] = await db.query('SELECT content_digest FROM file_infos WHERE id = $1', [good.req_file_id]);
    expect(info.content_digest).toBe(sha256(data));

    // Bytes that changed on disk while the process was down are caught.
    const bad = await announce({ file_size: data.length, content_digest: sha256(data) });
    await sendBytes(bad.id, data.subarray(0, SEGMENT), 0, data.length).expect(204);
    forgetRunningDigests();
    const damaged = Buffer.from(data.subarray(0, SEGMENT));
    damaged[5] ^= 0xff;
    await writeFile(store.resolve(partsFile(bad.id)), damaged);
    const res = await sendBytes(bad.id, data.subarray(SEGMENT), SEGMENT, data.length);
    expect(res.status).toBe(400);
    expect(res.body.id).toBe('api.upload.upload_data.digest_mismatch.app_error');
    expect(await offsetOf(bad.id)).toBe(0);
    await expectNoFile(bad.req_file_id);
  });

  it('refuses a Content-Length larger than what remains (413) or different from the Content-Range (400), before reading', async () => {
    const session = await announce({ file_size: 1000 });
    const { req, response } = rawUpload(session.id, { 'Content-Length': 1001 });
    req.flushHeaders();
    const res = await response.then(
      (r) => r,
      () => undefined,
    );
    req.destroy();
    expect(res?.status).toBe(413);
    expect(JSON.parse(res!.body)).toMatchObject({ id: 'api.upload.upload_data.too_large.app_error', status_code: 413 });

    const mismatch = await peer(`upload/${session.id}`)
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Range', 'bytes 0-99/1000')
      .send(Buffer.alloc(50));
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.id).toBe('api.upload.upload_data.invalid_content_range.app_error');
    expect(await offsetOf(session.id)).toBe(0);
    expect(await filesOfSession(session.id)).toEqual([]);
  });

  it('refuses bytes past the end of the file (chunked body) and keeps nothing of the excess', async () => {
    const session = await announce({ file_size: 1000 });
    const { req, response } = rawUpload(session.id, { 'Transfer-Encoding': 'chunked' });
    req.write(randomBytes(800));
    req.end(randomBytes(800));
    const res = await response;
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).id).toBe('api.upload.upload_data.too_large.app_error');
    expect(await offsetOf(session.id)).toBe(0);
    // What came before the excess may stay in the parts file (past the offset, to be overwritten); nothing past the end.
    for (const file of await filesOfSession(session.id)) expect((await stat(store.resolve(file))).size).toBeLessThanOrEqual(1000);
    await expectNoFile(session.req_file_id);
  });

  it('refuses a range that does not start at the session offset or has another total', async () => {
    const data = randomBytes(3000);
    const session = await announce({ file_size: data.length });
    await sendBytes(session.id, data.subarray(0, 1000), 0, data.length).expect(204);
    const wrongStart = await sendBytes(session.id, data.subarray(500, 1500), 500, data.length);
    expect(wrongStart.status).toBe(400);
    expect(wrongStart.body.id).toBe('api.upload.upload_data.offset_mismatch.app_error');
    const wrongTotal = await sendBytes(session.id, data.subarray(1000, 2000), 1000, 9999);
    expect(wrongTotal.status).toBe(400);
    const malformed = await peer(`upload/${session.id}`)
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Range', 'bytes=1000-')
      .send(Buffer.alloc(10));
    expect(malformed.status).toBe(400);
    expect(await offsetOf(session.id)).toBe(1000);
    expect(await filesOfSession(session.id)).toHaveLength(1);
  });

  it('refuses unknown and malformed session ids (404, 400) and sessions of another remote (401)', async () => {
    const unknown = await sendBytes(newId(), Buffer.alloc(10), 0, 10);
    expect(unknown.status).toBe(404);
    expect(unknown.body.id).toBe('app.upload.get.app_error');
    const malformed = await sendBytes('not-an-id', Buffer.alloc(10), 0, 10);
    expect(malformed.status).toBe(400);

    const foreign = newId();
    const fileId = newId();
    await db.query(
      `INSERT INTO upload_sessions (id, type, create_at, user_id, channel_id, filename, path, file_size, remote_id, req_file_id)
       VALUES ($1, 'attachment', 1, $2, $3, 'x.bin', $4, 10, $5, $6)`,
      [foreign, otherUser, a.channelId, `data/x/${fileId}/x.bin`, otherRemote, fileId],
    );
    const stolen = await sendBytes(foreign, Buffer.alloc(10), 0, 10);
    expect(stolen.status).toBe(401);
    expect(stolen.body.id).toBe('api.context.remote_id_mismatch.app_error');
    expect(await offsetOf(foreign)).toBe(0);
    expect(await filesOfSession(foreign)).toEqual([]);
  });

  it('starts over when the file does not match its digest, leaving nothing visible', async () => {
    const data = randomBytes(2 * SEGMENT + 7);
    const session = await announce({ file_size: data.length, content_digest: sha256(randomBytes(10)) });
    const res = await sendBytes(session.id, data, 0, data.length);
    expect(res.status).toBe(400);
    expect(res.body.id).toBe('api.upload.upload_data.digest_mismatch.app_error');
    expect(await offsetOf(session.id)).toBe(0);
    expect(await filesOfSession(session.id)).toEqual([]);
    await expectNoFile(session.req_file_id);
  });

  describe('upload sessions that are refused', () => {
    async function refused(extra: Record<string, unknown>): Promise<string> {
      const fileId = newId();
      const res = await message('sharedchannel_upload', sessionMessage({ req_file_id: fileId, ...extra }));
      expect(res.status).toBe('FAIL');
      expect(await db.query('SELECT id FROM upload_sessions WHERE req_file_id = $1', [fileId])).toEqual([]);
      return res.err ?? '';
    }

    it('a file larger than MaxFileSize', async () => {
      expect(await refused({ file_size: MAX_FILE + 1 })).toContain('api.upload.create.upload_too_large.app_error');
    });

    it('a channel not shared with the sender, or unknown', async () => {
      expect(await refused({ channel_id: notSharedChannelId })).toContain(
        'api.upload.create.upload_channel_not_shared_with_remote.app_error',
      );
      expect(await refused({ channel_id: newId() })).toContain('upload_channel_not_shared_with_remote');
    });

    it('a type other than attachment', async () => {
      expect(await refused({ type: 'import' })).toContain('api.upload.invalid_type_for_shared_channel.app_error');
    });

    it('a user who is not one of the sender’s (local, another remote’s, unknown)', async () => {
      for (const userId of [a.admin.id, otherUser, newId()]) {
        expect(await refused({ user_id: userId })).toContain('api.context.remote_id_mismatch.app_error');
      }
    });

    it('a file id that is already taken, or malformed fields', async () => {
      const local = await a.h
        .as(a.admin)
        .post(`/api/v4/files?channel_id=${a.channelId}`)
        .attach('files', Buffer.from('mine'), 'mine.txt')
        .expect(201);
      const takenId = local.body.file_infos[0].id;
      const res = await message('sharedchannel_upload', sessionMessage({ req_file_id: takenId }));
      expect(res).toMatchObject({ status: 'FAIL' });
      expect(res.err).toContain('api.upload.create.file_id_taken.app_error');
      expect(await refused({ file_size: -1 })).toContain('file_size');
      expect(await refused({ content_digest: 'ABC' })).toContain('content_digest');
    });

    it('anything while file attachments are disabled (FAIL for sessions, 501 for bytes)', async () => {
      const open = await announce({ file_size: 10 });
      const config = a.h.app.get<AppConfig>(APP_CONFIG);
      config.files.enableFileAttachments = false;
      try {
        expect(await refused({})).toContain('api.file.attachments.disabled.app_error');
        const res = await sendBytes(open.id, Buffer.alloc(10), 0, 10);
        expect(res.status).toBe(501);
      } finally {
        config.files.enableFileAttachments = true;
      }
      expect(await offsetOf(open.id)).toBe(0);
      await expectNoFile(open.req_file_id);
    });
  });
});

describe('profile images received from a remote', () => {
  async function pictureOf(userId: string): Promise<{ last_picture_update: number }> {
    const [row] = await db.query('SELECT last_picture_update FROM users WHERE id = $1', [userId]);
    return { last_picture_update: Number(row.last_picture_update) };
  }

  it("sets the picture of one of the sender's users", async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#3366ff' } })
      .png()
      .toBuffer();
    const res = await peer(`${bob}/image`).attach('image', png, 'profile.png').expect(200);
    expect(res.body).toEqual({ status: 'OK' });
    expect((await pictureOf(bob)).last_picture_update).toBeGreaterThan(0);
    const served = await a.h.as(carol).get(`/api/v4/users/${bob}/image`).expect(200);
    expect(served.headers['content-type']).toBe('image/png');
    // Re-encoded as a local upload is (Mattermost's 128x128 PNG), not stored as received.
    const meta = await sharp(served.body as Buffer).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 128, 128]);
    const { data } = await sharp(served.body as Buffer)
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([...data.subarray(0, 3)]).toEqual([0x33, 0x66, 0xff]);
  });

  it('bounds what a peer sends: larger pictures are scaled down, and images over the pixel limit refused', async () => {
    const wide = await sharp({ create: { width: 1200, height: 400, channels: 3, background: '#102030' } })
      .jpeg()
      .toBuffer();
    await peer(`${bob}/image`).attach('image', wide, 'profile.jpg').expect(200);
    const served = await a.h.as(carol).get(`/api/v4/users/${bob}/image`).expect(200);
    const meta = await sharp(served.body as Buffer).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 128, 128]);
    expect((await storedFiles()).filter((f) => f.startsWith(`users/${bob}/`))).toEqual([`users/${bob}/profile.png`]);

    const before = await pictureOf(bob);
    const huge = await sharp({ create: { width: 8000, height: 4500, channels: 3, background: '#000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const res = await peer(`${bob}/image`).attach('image', huge, 'profile.png');
    expect(res.status).toBe(400);
    expect(res.body.id).toBe('api.user.upload_profile_user.check_image_limits.app_error');
    expect(await pictureOf(bob)).toEqual(before);
  });

  it('refuses what does not decode, keeping the picture it had', async () => {
    const before = await pictureOf(bob);
    const fake = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(2000)]);
    const res = await peer(`${bob}/image`).attach('image', fake, 'profile.png');
    expect(res.status).toBe(400);
    expect(res.body.id).toBe('api.user.upload_profile_user.decode.app_error');
    expect(await pictureOf(bob)).toEqual(before);
    expect((await storedFiles()).filter((f) => f.startsWith(`users/${bob}/`))).toEqual([`users/${bob}/profile.png`]);
  });

  it('refuses a missing image, local, unknown and foreign users, and a body over MaxFileSize', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const noImage = await peer(`${bob}/image`).attach('picture', png, 'profile.png');
    expect(noImage.status).toBe(400);
    expect(noImage.body.id).toBe('api.user.upload_profile_user.no_file.app_error');

    for (const userId of [a.admin.id, newId(), 'nope']) {
      const res = await peer(`${userId}/image`).attach('image', png, 'profile.png');
      expect(res.status).toBe(400);
      expect(res.body.id).toBe('api.context.invalid_url_param.app_error');
    }
    const foreign = await peer(`${otherUser}/image`).attach('image', png, 'profile.png');
    expect(foreign.status).toBe(401);
    expect(foreign.body.id).toBe('api.context.remote_id_mismatch.app_error');
    expect((await pictureOf(otherUser)).last_picture_update).toBe(0);
    expect((await pictureOf(a.admin.id)).last_picture_update).toBe(0);

    const url = new URL(`${a.url}/api/v4/remotecluster/${bob}/image`);
    const req = http.request(url, {
      method: 'POST',
      headers: {
        'X-RemoteCluster-Id': remoteId,
        'X-RemoteCluster-Token': token,
        'Content-Type': 'multipart/form-data; boundary=x',
        'Content-Length': MAX_FILE + 1,
      },
    });
    const status = await new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    req.destroy();
    expect(status).toBe(413);
  });
});
