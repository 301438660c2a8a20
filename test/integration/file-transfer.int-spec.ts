import { Bus } from '@fedchat/common';
import { ConnectionChangedEvent } from '@fedchat/contracts';
import { waitFor } from '@fedchat/testing';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { encodeRgbPng } from '../../apps/gateway/src/files/png';
import { FileTransferModule } from '../../apps/file-transfer/src/file-transfer.module';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { TestUser } from '../support/gateway-harness';
import { ClusterPlace, connectClusters, startTestCluster, TestCluster } from '../support/test-clusters';
import { UploadProxy } from '../support/upload-proxy';

/*
 * Attachments and profile pictures between two real clusters on loopback (gateway, remote-cluster,
 * shared-channel-sync and file-transfer in one Nest app each, own PostgreSQL database and file store). B's uploads
 * from A go through a proxy that can break them on purpose. B accepts files up to 3 MiB and stores them in 64 KiB
 * segments, the unit in which an interrupted transfer resumes.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const SEGMENT = 64 * KiB;
const ENV = {
  REMOTE_CLUSTER_PING_INTERVAL_MS: '300',
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '3000',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  SHARED_CHANNELS_POLL_INTERVAL_MS: '200',
  SHARED_CHANNELS_RETRY_MAX_MS: '500',
  FILE_TRANSFER_POLL_INTERVAL_MS: '200',
  FILE_TRANSFER_RETRY_MAX_MS: '400',
  FILE_TRANSFER_SEGMENT_BYTES: String(SEGMENT),
};
const B_ENV = { ...ENV, MM_FILESETTINGS_MAXFILESIZE: String(3 * MiB) };
const modules = [RemoteClusterModule, SharedChannelSyncModule, FileTransferModule];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-ft-int-'));

function startCluster(name: string, env: Record<string, string>, reuse?: ClusterPlace): Promise<TestCluster> {
  return startTestCluster(name, { ...env, DATA_DIR: path.join(root, name) }, modules, reuse);
}

function until(what: string, cond: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  return waitFor(what, async () => ((await cond()) ? true : undefined), timeoutMs);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const db = (c: TestCluster) => c.h.app.get(DataSource);
const binary = (res: Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

let a: TestCluster;
let b: TestCluster;
let proxy: UploadProxy;
let remoteId: string;
let bobOnB: TestUser;

async function upload(c: TestCluster, user: TestUser, files: { name: string; data: Buffer }[]): Promise<string[]> {
  let req = c.h.as(user).post('/api/v4/files').field('channel_id', a.channelId);
  for (const f of files) req = req.attach('files', f.data, f.name);
  const res = await req.expect(201);
  return (res.body.file_infos as { id: string }[]).map((f) => f.id);
}

async function postWithFiles(c: TestCluster, user: TestUser, message: string, files: { name: string; data: Buffer }[]) {
  const fileIds = await upload(c, user, files);
  const res = await c.h.as(user).post('/api/v4/posts').send({ channel_id: a.channelId, message, file_ids: fileIds }).expect(201);
  return { postId: res.body.id as string, fileIds };
}

/** The file as the other cluster serves it, once it has it (undefined until then). */
async function download(c: TestCluster, user: TestUser, fileId: string): Promise<Buffer | undefined> {
  const res = await c.h.as(user).get(`/api/v4/files/${fileId}`).buffer(true).parse(binary);
  return res.status === 200 ? (res.body as Buffer) : undefined;
}

async function postOn(c: TestCluster, postId: string): Promise<{ file_ids: string[]; delete_at: string } | undefined> {
  const [row] = await db(c).query('SELECT file_ids, delete_at FROM posts WHERE id = $1', [postId]);
  return row;
}

async function transfer(fileId: string): Promise<{ status: string; bytes_sent: string; failures: number; last_error: string }> {
  const [row] = await db(a).query(
    'SELECT status, bytes_sent, failures, last_error FROM shared_channel_attachments WHERE file_id = $1 AND remote_id = $2',
    [fileId, remoteId],
  );
  return row;
}

beforeAll(async () => {
  a = await startCluster('a', ENV);
  b = await startCluster('b', B_ENV);
  remoteId = await connectClusters(a, b);
  // A reaches B through the proxy from now on (uploads and messages alike).
  proxy = await UploadProxy.start(b.url);
  await db(a).query('UPDATE remote_clusters SET site_url = $2 WHERE remote_id = $1', [remoteId, proxy.url]);
  // A change behind the suite's back: tell the processes, as the suite's own changes do, so no cached row is used.
  a.h.app.get(Bus).emit(ConnectionChangedEvent, { remote_id: remoteId });
  bobOnB = await b.h.signUp('bob', b.admin);
  await b.h.as(b.admin).post(`/api/v4/teams/${b.teamId}/members`).send({ team_id: b.teamId, user_id: bobOnB.id }).expect(201);
  await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${a.channelId}/invite`).send({}).expect(200);
  await until('channel on B', async () => (await db(b).query('SELECT 1 FROM channels WHERE id = $1', [a.channelId])).length === 1);
  await b.h.as(b.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: bobOnB.id }).expect(201);
});

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
  await proxy?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('attachments between two clusters', () => {
  it('sends a post with three files from A to B: the post arrives with every file, byte-identical', async () => {
    const files = [
      { name: 'picture.png', data: encodeRgbPng(40, 30, randomBytes(40 * 30 * 3)) },
      { name: 'big.bin', data: randomBytes(2 * MiB + 12_345) },
      { name: 'note.txt', data: Buffer.from('a small note') },
    ];
    const { postId, fileIds } = await postWithFiles(a, a.admin, 'three files', files);
    await until('post on B', async () => (await postOn(b, postId)) !== undefined);
    // The post never arrives before its files: when it is there, they all are.
    expect((await postOn(b, postId))!.file_ids).toEqual(fileIds);
    for (const [i, id] of fileIds.entries()) {
      const got = await download(b, b.admin, id);
      expect(got && sha256(got)).toBe(sha256(files[i].data));
      expect((await transfer(id)).status).toBe('done');
    }
    const info = await b.h.as(b.admin).get(`/api/v4/files/${fileIds[0]}/info`).expect(200);
    expect([info.body.name, info.body.mime_type, info.body.width, info.body.height]).toEqual(['picture.png', 'image/png', 40, 30]);
  });

  it("sends the first post of a user B does not know yet, with its file: the user goes before the file's upload session", async () => {
    // B refuses an upload session whose file's creator it does not know; the users riding in the posts message
    // (after the files) left such a file, and its post, waiting for ever.
    const carol = await a.h.signUp('carol', a.admin);
    await a.h.as(a.admin).post(`/api/v4/teams/${a.teamId}/members`).send({ team_id: a.teamId, user_id: carol.id }).expect(201);
    await a.h.as(a.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: carol.id }).expect(201);
    const data = randomBytes(100 * KiB);
    const { postId, fileIds } = await postWithFiles(a, carol, 'my first post, with a file', [{ name: 'first.bin', data }]);
    await until('post on B', async () => (await postOn(b, postId)) !== undefined);
    expect((await postOn(b, postId))!.file_ids).toEqual(fileIds);
    const got = await download(b, b.admin, fileIds[0]);
    expect(got && sha256(got)).toBe(sha256(data));
  });

  it('sends files of B users back to A (and never back to B)', async () => {
    const data = randomBytes(300 * KiB);
    const { postId, fileIds } = await postWithFiles(b, bobOnB, 'from bob', [{ name: 'bob.bin', data }]);
    await until('post on A', async () => (await postOn(a, postId)) !== undefined);
    expect((await postOn(a, postId))!.file_ids).toEqual(fileIds);
    const got = await download(a, a.admin, fileIds[0]);
    expect(got && sha256(got)).toBe(sha256(data));
    // A holds the file as B's: it has no transfer of it to B.
    expect(await transfer(fileIds[0])).toBeUndefined();
  });

  it('sends an empty file: B finishes it although there are no bytes to send', async () => {
    const { postId, fileIds } = await postWithFiles(a, a.admin, 'empty file', [{ name: 'empty.txt', data: Buffer.alloc(0) }]);
    await until('post on B', async () => (await postOn(b, postId)) !== undefined);
    expect((await postOn(b, postId))!.file_ids).toEqual(fileIds);
    expect(await download(b, b.admin, fileIds[0])).toEqual(Buffer.alloc(0));
    expect((await transfer(fileIds[0])).status).toBe('done');
  });

  it('resumes an interrupted transfer from the offset B reached instead of starting over', async () => {
    const data = randomBytes(2.5 * MiB);
    proxy.uploadStarts.length = 0;
    proxy.mode = { kind: 'cut', afterBytes: MiB + 5000 };
    const { postId, fileIds } = await postWithFiles(a, a.admin, 'interrupted', [{ name: 'resume.bin', data }]);
    await until('post on B', async () => (await postOn(b, postId)) !== undefined, 30_000);
    const got = await download(b, b.admin, fileIds[0]);
    expect(got && sha256(got)).toBe(sha256(data));
    // First attempt from 0, cut after ~1 MiB; the next one started at the segment B had stored.
    expect(proxy.uploadStarts[0]).toBe(0);
    const resumedAt = proxy.uploadStarts[proxy.uploadStarts.length - 1];
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt % SEGMENT).toBe(0);
    const row = await transfer(fileIds[0]);
    expect(row.status).toBe('done');
    expect(Number(row.bytes_sent)).toBeLessThan(data.length + MiB + 5000 + 1);
    expect(Number(row.bytes_sent)).toBeLessThanOrEqual(data.length + 2 * SEGMENT + MiB);
  });

  it('abandons a file B refuses for good (too large): the post goes without it', async () => {
    const small = Buffer.from('fits');
    const { postId, fileIds } = await postWithFiles(a, a.admin, 'one too large', [
      { name: 'huge.bin', data: randomBytes(3 * MiB + 1) },
      { name: 'small.txt', data: small },
    ]);
    await until('post on B', async () => (await postOn(b, postId)) !== undefined, 30_000);
    expect((await postOn(b, postId))!.file_ids).toEqual([fileIds[1]]);
    const refused = await transfer(fileIds[0]);
    expect(refused.status).toBe('abandoned');
    expect(refused.last_error).toMatch(/too_large|413/);
    expect(await download(b, b.admin, fileIds[0])).toBeUndefined();
  });

  it('retries a failing transfer until its post is deleted, then gives it up', async () => {
    proxy.mode = { kind: 'fail' };
    const { postId, fileIds } = await postWithFiles(a, a.admin, 'doomed', [{ name: 'doomed.bin', data: randomBytes(10 * KiB) }]);
    await until('failed attempts', async () => ((await transfer(fileIds[0]))?.failures ?? 0) >= 2);
    expect((await transfer(fileIds[0])).status).toBe('pending');
    await a.h.as(a.admin).delete(`/api/v4/posts/${postId}`).expect(200);
    await until('abandoned', async () => (await transfer(fileIds[0])).status === 'abandoned');
    expect((await transfer(fileIds[0])).last_error).toMatch(/deleted/);
    proxy.mode = { kind: 'pass' };
    // The delete still reaches B (the post never existed there, so nothing shows).
    const later = await a.h.as(a.admin).post('/api/v4/posts').send({ channel_id: a.channelId, message: 'after' }).expect(201);
    await until('later post on B', async () => (await postOn(b, later.body.id)) !== undefined);
    expect(await postOn(b, postId)).toBeUndefined();
  });
});

describe('relay through the home', () => {
  it('sends files of B users on to C (a third cluster), and never back to B', async () => {
    const c = await startCluster('c', ENV);
    try {
      const cRemote = await connectClusters(a, c);
      await a.h.as(a.admin).post(`/api/v4/remotecluster/${cRemote}/channels/${a.channelId}/invite`).send({}).expect(200);
      await until('channel on C', async () => (await db(c).query('SELECT 1 FROM channels WHERE id = $1', [a.channelId])).length === 1);
      const data = randomBytes(700 * KiB);
      const { postId, fileIds } = await postWithFiles(b, bobOnB, 'relayed', [{ name: 'relay.bin', data }]);
      await until('post on C', async () => (await postOn(c, postId)) !== undefined, 30_000);
      expect((await postOn(c, postId))!.file_ids).toEqual(fileIds);
      const got = await download(c, c.admin, fileIds[0]);
      expect(got && sha256(got)).toBe(sha256(data));
      const rows: { remote_id: string; status: string }[] = await db(a).query(
        'SELECT remote_id, status FROM shared_channel_attachments WHERE file_id = $1',
        [fileIds[0]],
      );
      expect(rows).toEqual([{ remote_id: cRemote, status: 'done' }]);
    } finally {
      await c.h.close();
    }
  });
});

describe('profile pictures', () => {
  it('pushes a local user’s new picture to the remote that knows the user', async () => {
    const picture = encodeRgbPng(16, 16, randomBytes(16 * 16 * 3));
    const before = await b.h.as(b.admin).get(`/api/v4/users/${a.admin.id}/image`).buffer(true).parse(binary).expect(200);
    await a.h.as(a.admin).post(`/api/v4/users/${a.admin.id}/image`).attach('image', picture, 'me.png').expect(200);
    // What A stored (the upload re-encoded) is what B gets: B's own re-encoding of it gives the same bytes.
    const onA = await a.h.as(a.admin).get(`/api/v4/users/${a.admin.id}/image`).buffer(true).parse(binary).expect(200);
    expect(sha256(onA.body as Buffer)).not.toBe(sha256(picture));
    await until('picture on B', async () => {
      const res = await b.h.as(b.admin).get(`/api/v4/users/${a.admin.id}/image`).buffer(true).parse(binary);
      return res.status === 200 && sha256(res.body as Buffer) === sha256(onA.body as Buffer);
    });
    expect(sha256(before.body as Buffer)).not.toBe(sha256(onA.body as Buffer));
    const [scu] = await db(a).query(
      `SELECT max(last_picture_sync_at) AS at FROM shared_channel_users WHERE user_id = $1 AND remote_id = $2`,
      [a.admin.id, remoteId],
    );
    const [user] = await db(a).query('SELECT last_picture_update FROM users WHERE id = $1', [a.admin.id]);
    expect(scu.at).toBe(user.last_picture_update);
  });
});
