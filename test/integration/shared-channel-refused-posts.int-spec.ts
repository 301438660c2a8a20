import { waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { TestUser } from '../support/gateway-harness';
import { connectClusters, QUICK_FEDERATION_ENV, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * Posts a remote refuses, between two real clusters: B is made to refuse an edit from A (B holds that post id in
 * another channel, which its receiver refuses), and A keeps the refusal in its dead-letter table, re-sends it with
 * backoff until the attempts are used up, shows it to admins, and sends it again or forgets it on an admin's word.
 */

const ENV = {
  ...QUICK_FEDERATION_ENV,
  SHARED_CHANNELS_REFUSED_RETRY_BASE_MS: '200',
  SHARED_CHANNELS_REFUSED_MAX_ATTEMPTS: '2',
};

let a: TestCluster;
let b: TestCluster;
let remoteId: string;
let carolOnA: TestUser;

interface SyncError {
  id: string;
  post_id: string;
  remote_id: string;
  attempts: number;
  state: string;
  reason: string;
}

const db = (c: TestCluster) => c.h.app.get(DataSource);
const messageOn = async (c: TestCluster, postId: string) =>
  ((await db(c).query('SELECT message FROM posts WHERE id = $1', [postId]))[0]?.message as string | undefined) ?? undefined;
const errorsOnA = async (): Promise<SyncError[]> =>
  (await a.h.as(a.admin).get(`/api/v4/sharedchannels/${a.channelId}/errors`).expect(200)).body;

function until<T>(what: string, get: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  return waitFor(what, async () => (await get()) || undefined, timeoutMs) as Promise<T>;
}

/** A post from A that B then refuses: B moves its copy to another channel, and A edits it. */
async function refusedEdit(text: string): Promise<string> {
  const res = await a.h.as(a.admin).post('/api/v4/posts').send({ channel_id: a.channelId, message: text }).expect(201);
  const postId: string = res.body.id;
  await until('post on B', async () => (await messageOn(b, postId)) === text);
  await db(b).query('UPDATE posts SET channel_id = $2 WHERE id = $1', [postId, b.channelId]);
  await a.h
    .as(a.admin)
    .put(`/api/v4/posts/${postId}/patch`)
    .send({ message: `${text} edited` })
    .expect(200);
  return postId;
}

beforeAll(async () => {
  a = await startTestCluster('a', ENV, [RemoteClusterModule, SharedChannelSyncModule]);
  b = await startTestCluster('b', ENV, [RemoteClusterModule, SharedChannelSyncModule]);
  remoteId = await connectClusters(a, b);
  carolOnA = await a.h.signUp('carol', a.admin);
  await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${a.channelId}/invite`).send({}).expect(200);
  await until('channel on B', async () => (await db(b).query('SELECT 1 FROM channels WHERE id = $1', [a.channelId])).length === 1);
});

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('posts a remote refuses', () => {
  let postId: string;

  it('are kept, re-sent with backoff, and wait for an admin once the attempts are used up', async () => {
    postId = await refusedEdit('first');
    // 1 refused delivery + 2 refused re-sends = 3 attempts, then `failed`.
    const [failed] = await until('failed dead letter', async () => {
      const errors = await errorsOnA();
      return errors.length === 1 && errors[0].state === 'failed' ? errors : undefined;
    });
    expect(failed).toMatchObject({ post_id: postId, remote_id: remoteId, attempts: 3, state: 'failed' });
    expect(failed.reason).toContain('refused by the remote');
    // Posts after the refused one still flow: the cursor moved on.
    const later = await a.h.as(a.admin).post('/api/v4/posts').send({ channel_id: a.channelId, message: 'later' }).expect(201);
    await until('later post on B', async () => (await messageOn(b, later.body.id)) === 'later');
  });

  it('are listed for admins only, with clear errors for bad ids', async () => {
    await a.h.as(carolOnA).get(`/api/v4/sharedchannels/${a.channelId}/errors`).expect(403);
    await a.h
      .as(carolOnA)
      .delete(`/api/v4/sharedchannels/${a.channelId}/errors/${(await errorsOnA())[0].id}`)
      .expect(403);
    const bad = await a.h.as(a.admin).get('/api/v4/sharedchannels/not-an-id/errors').expect(400);
    expect(bad.body).toMatchObject({ id: 'api.context.invalid_param.app_error', status_code: 400 });
    await a.h.as(a.admin).post(`/api/v4/sharedchannels/${a.channelId}/errors/${a.channelId}/retry`).expect(404);
  });

  it('are sent again on an admin retry, and leave the table once the remote takes them', async () => {
    await db(b).query('UPDATE posts SET channel_id = $2 WHERE id = $1', [postId, a.channelId]);
    const [item] = await errorsOnA();
    const res = await a.h.as(a.admin).post(`/api/v4/sharedchannels/${a.channelId}/errors/${item.id}/retry`).expect(200);
    expect(res.body).toMatchObject({ id: item.id, state: 'retrying' });
    await until('edit on B', async () => (await messageOn(b, postId)) === 'first edited');
    await until('table empty', async () => (await errorsOnA()).length === 0);
  });

  it('are forgotten on an admin discard and not sent again', async () => {
    const second = await refusedEdit('second');
    const [item] = await until('dead letter', async () => {
      const errors = await errorsOnA();
      return errors.length === 1 ? errors : undefined;
    });
    expect(item.post_id).toBe(second);
    const res = await a.h.as(a.admin).delete(`/api/v4/sharedchannels/${a.channelId}/errors/${item.id}`).expect(200);
    expect(res.body.id).toBe(item.id);
    expect(await errorsOnA()).toEqual([]);
    await a.h.as(a.admin).delete(`/api/v4/sharedchannels/${a.channelId}/errors/${item.id}`).expect(404);
    // Even once B could take it, nothing is re-sent: the post stays as B last had it.
    await db(b).query('UPDATE posts SET channel_id = $2 WHERE id = $1', [second, a.channelId]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await messageOn(b, second)).toBe('second');
    expect(await errorsOnA()).toEqual([]);
  });
});
