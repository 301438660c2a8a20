import { waitFor } from '@fedchat/testing';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { FileTransferModule } from '../../apps/file-transfer/src/file-transfer.module';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { ClusterPlace, connectClusters, QUICK_FEDERATION_ENV, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * A remote that stops answering while the channel's new posts carry files: the pair waits for the files, so no
 * delivery of posts fails, yet nothing gets through. The channel must still be told "interrupted" once the threshold
 * passes, and "resumed" when the posts arrive (the CI chaos smoke found the notice missing).
 */

const ENV = { ...QUICK_FEDERATION_ENV, SHARED_CHANNELS_INTERRUPTED_AFTER_MS: '1500' };
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-fpi-'));
const modules = [RemoteClusterModule, SharedChannelSyncModule, FileTransferModule];

function startCluster(name: string, reuse?: ClusterPlace): Promise<TestCluster> {
  return startTestCluster(name, { ...ENV, DATA_DIR: path.join(root, name) }, modules, reuse);
}

function until(what: string, cond: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  return waitFor(what, async () => ((await cond()) ? true : undefined), timeoutMs);
}

const db = (c: TestCluster) => c.h.app.get(DataSource);
const notices = async (c: TestCluster, channelId: string, state: string) =>
  (
    await db(c).query(`SELECT 1 FROM posts WHERE channel_id = $1 AND type = 'shared_channel_state' AND props->>'sync_state' = $2`, [
      channelId,
      state,
    ])
  ).length;

let a: TestCluster;
let b: TestCluster;

beforeAll(async () => {
  a = await startCluster('a');
  b = await startCluster('b');
  const remoteId = await connectClusters(a, b);
  await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${a.channelId}/invite`).send({}).expect(200);
  await until('channel on B', async () => (await db(b).query('SELECT 1 FROM channels WHERE id = $1', [a.channelId])).length === 1);
  // A first post while B is up, so that the author is known there and nothing but the file waits later.
  const first = await a.h.as(a.admin).post('/api/v4/posts').send({ channel_id: a.channelId, message: 'before' }).expect(201);
  await until('first post on B', async () => (await db(b).query('SELECT 1 FROM posts WHERE id = $1', [first.body.id])).length === 1);
});

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
  fs.rmSync(root, { recursive: true, force: true });
});

it('tells the channel "interrupted" while a post waits for a file the remote cannot take, and "resumed" after', async () => {
  const keep = { port: b.port, databaseUrl: b.h.databaseUrl, teamId: b.teamId };
  await b.h.close();
  const uploaded = await a.h
    .as(a.admin)
    .post('/api/v4/files')
    .field('channel_id', a.channelId)
    .attach('files', randomBytes(10_000), 'while-down.bin')
    .expect(201);
  const fileIds = (uploaded.body.file_infos as { id: string }[]).map((f) => f.id);
  const post = await a.h
    .as(a.admin)
    .post('/api/v4/posts')
    .send({ channel_id: a.channelId, message: 'with a file, while B is down', file_ids: fileIds })
    .expect(201);
  await until('"interrupted" on A', async () => (await notices(a, a.channelId, 'interrupted')) === 1, 15_000);

  b = await startCluster('b', keep);
  await until('the post on B', async () => (await db(b).query('SELECT 1 FROM posts WHERE id = $1', [post.body.id])).length === 1, 30_000);
  await until('"resumed" on A', async () => (await notices(a, a.channelId, 'resumed')) === 1, 15_000);
  expect(await notices(a, a.channelId, 'interrupted')).toBe(1);
});
