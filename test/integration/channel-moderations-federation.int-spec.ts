import { waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { TestUser } from '../support/gateway-harness';
import { connectClusters, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * Channel moderations on a shared channel between two real clusters: each side's moderations bind its own users
 * only; posts and reactions from the other side arrive whatever they say.
 */

const ENV = {
  REMOTE_CLUSTER_PING_INTERVAL_MS: '300',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  SHARED_CHANNELS_POLL_INTERVAL_MS: '200',
  SHARED_CHANNELS_RETRY_MAX_MS: '500',
};

let a: TestCluster;
let b: TestCluster;
let remoteId: string;
let aliceOnA: TestUser;
let bobOnB: TestUser;

const db = (c: TestCluster) => c.h.app.get(DataSource);

function until(what: string, cond: () => Promise<boolean>): Promise<boolean> {
  return waitFor(what, async () => ((await cond()) ? true : undefined), 15_000, 100);
}

function moderate(c: TestCluster, members: boolean) {
  return c.h
    .as(c.admin)
    .put(`/api/v4/channels/${a.channelId}/moderations/patch`)
    .send([
      { name: 'create_post', roles: { members } },
      { name: 'create_reactions', roles: { members } },
    ])
    .expect(200);
}

function post(c: TestCluster, user: TestUser, message: string) {
  return c.h.as(user).post('/api/v4/posts').send({ channel_id: a.channelId, message });
}

async function arrived(c: TestCluster, postId: string): Promise<boolean> {
  return (await db(c).query('SELECT 1 FROM posts WHERE id = $1', [postId])).length === 1;
}

beforeAll(async () => {
  a = await startTestCluster('a', ENV, [RemoteClusterModule, SharedChannelSyncModule]);
  b = await startTestCluster('b', ENV, [RemoteClusterModule, SharedChannelSyncModule]);
  remoteId = await connectClusters(a, b);
  aliceOnA = await a.h.signUp('alice', a.admin);
  await a.h.as(a.admin).post(`/api/v4/teams/${a.teamId}/members`).send({ team_id: a.teamId, user_id: aliceOnA.id }).expect(201);
  await a.h.as(a.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: aliceOnA.id }).expect(201);
  bobOnB = await b.h.signUp('bob', b.admin);
  await b.h.as(b.admin).post(`/api/v4/teams/${b.teamId}/members`).send({ team_id: b.teamId, user_id: bobOnB.id }).expect(201);
  await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${a.channelId}/invite`).send({}).expect(200);
  await until('the channel on B', async () => (await db(b).query('SELECT 1 FROM channels WHERE id = $1', [a.channelId])).length === 1);
  await b.h.as(b.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: bobOnB.id }).expect(201);
});

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('channel moderations on a shared channel', () => {
  it("the home's moderations refuse its own members, not the posts and reactions of the remote's users", async () => {
    await moderate(a, false);
    expect((await post(a, aliceOnA, 'alice on A').expect(403)).body.message).toContain('create_post');

    const fromB = (await post(b, bobOnB, 'bob on B').expect(201)).body.id;
    await until('bob’s post on A', () => arrived(a, fromB));
    await b.h.as(bobOnB).post('/api/v4/reactions').send({ user_id: bobOnB.id, post_id: fromB, emoji_name: 'wave' }).expect(201);
    await until(
      'bob’s reaction on A',
      async () =>
        (await db(a).query(`SELECT 1 FROM reactions WHERE post_id = $1 AND user_id = $2 AND delete_at = 0`, [fromB, bobOnB.id])).length ===
        1,
    );
    // The moderation is A's alone: B's copy shows none.
    const onB = (await b.h.as(b.admin).get(`/api/v4/channels/${a.channelId}/moderations`).expect(200)).body;
    expect(onB[0]).toMatchObject({ name: 'create_post', roles: { members: { value: true } } });
    await moderate(a, true);
  });

  it("a remote's moderations of its copy refuse its members, not what arrives from the home", async () => {
    await moderate(b, false);
    expect((await post(b, bobOnB, 'bob again').expect(403)).body.message).toContain('create_post');
    const fromA = (await post(a, aliceOnA, 'alice on A').expect(201)).body.id;
    await until('alice’s post on B', () => arrived(b, fromA));
    await moderate(b, true);
    await post(b, bobOnB, 'bob once more').expect(201);
  });
});
