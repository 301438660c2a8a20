import { APP_CONFIG, AppConfig, Bus } from '@fedchat/common';
import { peerTopicContract, PeerResponse, WebSocketEventMessage, WebSocketEventPublished } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { newRemote, tapEvents, waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { TestUser } from '../support/gateway-harness';
import { connectClusters, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * Removing a shared channel from a connection, as Mattermost 10.10 does it: the channel is removed from the remote
 * (its copy there is archived, readable, no longer synced) while the home keeps its channel and everything in it.
 * Two real clusters on loopback, driven through REST and slash commands; assertions on what each side shows
 * (database rows, REST reads, websocket events published on the bus).
 */

const ENV = {
  REMOTE_CLUSTER_PING_INTERVAL_MS: '300',
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '2000',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  SHARED_CHANNELS_POLL_INTERVAL_MS: '100',
  SHARED_CHANNELS_RETRY_MAX_MS: '800',
};

const UNSHARE = peerTopicContract('sharedchannel_unshare');
const NO_LONGER_SHARED = 'This channel is no longer shared.';

let a: TestCluster;
let b: TestCluster;
let remoteId: string;
let bobOnB: TestUser;
let counter = 0;
const eventsOnB: WebSocketEventMessage[] = [];

const db = (c: TestCluster) => c.h.app.get(DataSource);
const config = (c: TestCluster) => c.h.app.get<AppConfig>(APP_CONFIG);

function until(what: string, cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  return waitFor(what, async () => ((await cond()) ? true : undefined), timeoutMs);
}

async function channel(c: TestCluster, id: string): Promise<{ delete_at: number; shared: boolean } | undefined> {
  const rows: { delete_at: string; shared: boolean }[] = await db(c).query('SELECT delete_at, shared FROM channels WHERE id = $1', [id]);
  return rows[0] && { delete_at: Number(rows[0].delete_at), shared: rows[0].shared };
}

async function shareRecord(c: TestCluster, id: string): Promise<{ home: boolean } | undefined> {
  return (await db(c).query('SELECT home FROM shared_channels WHERE channel_id = $1', [id]))[0];
}

async function liveShares(c: TestCluster, id: string): Promise<number> {
  return (await db(c).query('SELECT count(*)::int AS n FROM shared_channel_remotes WHERE channel_id = $1 AND delete_at = 0', [id]))[0].n;
}

async function messages(c: TestCluster, id: string): Promise<{ message: string; type: string; user_id: string }[]> {
  return db(c).query('SELECT message, type, user_id FROM posts WHERE channel_id = $1 AND delete_at = 0 ORDER BY create_at, id', [id]);
}

async function hasMessage(c: TestCluster, id: string, message: string, type = ''): Promise<boolean> {
  return (await messages(c, id)).some((m) => m.message === message && m.type === type);
}

const archivedOn = async (c: TestCluster, id: string) => ((await channel(c, id))?.delete_at ?? 0) > 0;

function command(c: TestCluster, channelId: string, text: string): Promise<string> {
  return c.h
    .as(c.admin)
    .post('/api/v4/commands/execute')
    .send({ channel_id: channelId, command: text })
    .expect(200)
    .then((res) => res.body.text as string);
}

function invite(channelId: string): Promise<unknown> {
  return a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${channelId}/invite`).send({}).expect(200);
}

/** A channel of A shared with B, with one post from each side delivered to the other. */
async function sharedFromA(): Promise<string> {
  const name = `removal-${++counter}-${Date.now() % 100000}`;
  const created = await a.h
    .as(a.admin)
    .post('/api/v4/channels')
    .send({ team_id: a.teamId, name, display_name: `Removal ${counter}`, type: 'O' })
    .expect(201);
  const id: string = created.body.id;
  await invite(id);
  await until('the copy on B', async () => (await channel(b, id))?.shared === true);
  await b.h.as(b.admin).post(`/api/v4/channels/${id}/members`).send({ user_id: bobOnB.id }).expect(201);
  await a.h
    .as(a.admin)
    .post('/api/v4/posts')
    .send({ channel_id: id, message: `from A ${counter}` })
    .expect(201);
  await b.h
    .as(bobOnB)
    .post('/api/v4/posts')
    .send({ channel_id: id, message: `from bob ${counter}` })
    .expect(201);
  await until('A → B', () => hasMessage(b, id, `from A ${counter}`));
  await until('B → A', () => hasMessage(a, id, `from bob ${counter}`));
  return id;
}

/** A peer frame handed to B as B's gateway hands it over after authenticating the sender. */
function toB(sender: string, payload: Record<string, unknown>): Promise<PeerResponse> {
  const msg = { id: newId(), topic: 'sharedchannel_unshare', create_at: Date.now(), payload };
  return b.h.app.get(Bus).request(UNSHARE, { remote_id: sender, msg });
}

beforeAll(async () => {
  a = await startTestCluster('a', ENV, [RemoteClusterModule, SharedChannelSyncModule]);
  b = await startTestCluster('b', ENV, [RemoteClusterModule, SharedChannelSyncModule]);
  tapEvents(b.h.app, WebSocketEventPublished, (e) => {
    eventsOnB.push(e);
  });
  remoteId = await connectClusters(a, b, 'Removal-Passw0rd!');
  bobOnB = await b.h.signUp('bob', b.admin);
  await b.h.as(b.admin).post(`/api/v4/teams/${b.teamId}/members`).send({ team_id: b.teamId, user_id: bobOnB.id }).expect(201);
});

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('removing a shared channel from a connection', () => {
  let first: string;

  it('uninvite (REST) archives B’s copy, which its members can still read; A keeps its channel and B’s posts', async () => {
    first = await sharedFromA();
    await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${first}/uninvite`).expect(200, { status: 'OK' });

    await until('B archives its copy', () => archivedOn(b, first));
    expect(await channel(b, first)).toMatchObject({ shared: false });
    expect(await shareRecord(b, first)).toBeUndefined();
    await until('the notice on B', () => hasMessage(b, first, NO_LONGER_SHARED, 'system_generic'));
    await until('channel_deleted on B', async () =>
      eventsOnB.some((e) => e.event === 'channel_deleted' && e.data.channel_id === first && Number(e.data.delete_at) > 0),
    );
    expect(eventsOnB.some((e) => e.event === 'channel_updated' && e.broadcast.channel_id === first)).toBe(true);

    // B's members keep the history, read-only, as in any archived channel.
    const posts = await b.h.as(bobOnB).get(`/api/v4/channels/${first}/posts`).expect(200);
    const texts = Object.values(posts.body.posts as Record<string, { message: string }>).map((p) => p.message);
    expect(texts).toEqual(expect.arrayContaining(['from A 1', 'from bob 1']));
    expect((await b.h.as(bobOnB).get(`/api/v4/channels/${first}/members/${bobOnB.id}`).expect(200)).body.user_id).toBe(bobOnB.id);
    await b.h.as(bobOnB).post('/api/v4/posts').send({ channel_id: first, message: 'too late' }).expect(403);

    // The home keeps its channel, with the remote user's posts and the remote user.
    expect(await channel(a, first)).toEqual({ delete_at: 0, shared: false });
    expect(await hasMessage(a, first, 'from bob 1')).toBe(true);
    const [bob] = await db(a).query('SELECT remote_id, delete_at FROM users WHERE id = $1', [bobOnB.id]);
    expect([bob.remote_id, Number(bob.delete_at)]).toEqual([remoteId, 0]);

    // Nothing A posts now reaches B: A has no live share to sync, and B's copy stays as it was.
    await a.h.as(a.admin).post('/api/v4/posts').send({ channel_id: first, message: 'after the removal' }).expect(201);
    expect(await liveShares(a, first)).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await hasMessage(b, first, 'after the removal')).toBe(false);
  });

  it('a re-invite after the uninvite restores B’s copy, and sync resumes both ways', async () => {
    const restoredBefore = eventsOnB.filter((e) => e.event === 'channel_restored').length;
    await invite(first);
    await until('B restores its copy', async () => (await channel(b, first))?.delete_at === 0);
    expect(await channel(b, first)).toEqual({ delete_at: 0, shared: true });
    expect(await shareRecord(b, first)).toEqual({ home: false });
    await until('channel_restored on B', async () => eventsOnB.filter((e) => e.event === 'channel_restored').length > restoredBefore);
    await a.h.as(a.admin).post('/api/v4/posts').send({ channel_id: first, message: 'shared again' }).expect(201);
    await until('A → B again', () => hasMessage(b, first, 'shared again'));
    await b.h.as(bobOnB).post('/api/v4/posts').send({ channel_id: first, message: 'bob again' }).expect(201);
    await until('B → A again', () => hasMessage(a, first, 'bob again'));
  });

  it('the slash commands do the same: /share-channel uninvite --connectionID and /share-channel unshare', async () => {
    expect(await command(a, first, `/share-channel uninvite --connectionID ${remoteId}`)).toBe(
      `##### Secure connection \`${remoteId}\` uninvited.`,
    );
    await until('B archives its copy', () => archivedOn(b, first));
    expect(await command(a, first, `/share-channel invite --connectionID ${remoteId}`)).toContain(
      'Shared channel invitation has been sent',
    );
    await until('B restores its copy', async () => (await channel(b, first))?.delete_at === 0);
    expect(await command(a, first, '/share-channel unshare')).toBe('##### This channel is no longer shared.');
    await until('B archives its copy again', () => archivedOn(b, first));
    expect(await channel(a, first)).toEqual({ delete_at: 0, shared: false });
  });

  it('a home that only answers “channel is no longer shared” (Mattermost’s way) gets B’s copy archived at B’s next sync', async () => {
    const id = await sharedFromA();
    // The home ends the share and tells nobody, as a Mattermost 10.10 home does.
    await db(a).query('UPDATE shared_channel_remotes SET delete_at = $1 WHERE channel_id = $2 AND remote_id = $3', [
      Date.now(),
      id,
      remoteId,
    ]);
    expect(await archivedOn(b, id)).toBe(false);
    await b.h.as(bobOnB).post('/api/v4/posts').send({ channel_id: id, message: 'into the void' }).expect(201);
    await until('B archives its copy', () => archivedOn(b, id));
    await until('the notice on B', () => hasMessage(b, id, NO_LONGER_SHARED, 'system_generic'));
    expect(await shareRecord(b, id)).toBeUndefined();
  });

  it('a peer may only remove channels it is home to: other senders are refused and nothing changes', async () => {
    const id = await sharedFromA();
    const { remote_id: intruder } = await newRemote(db(b), { name: 'intruder', creator_id: b.admin.id });
    expect(await toB(intruder, { channel_id: id, remote_id: intruder })).toMatchObject({
      status: 'FAIL',
      err: 'channel is not owned by the sender',
    });
    expect(await toB(remoteId, { channel_id: id, remote_id: remoteId, archive_copy: 'no' })).toMatchObject({ status: 'FAIL' });
    // A channel B is home to: A (a guest there) may only leave it; B's channel is never archived by A.
    const own = await b.h.channelWith([b.admin]);
    await b.h.as(b.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${own.channelId}/invite`).send({}).expect(200);
    await until('the copy on A', async () => (await channel(a, own.channelId))?.shared === true);
    expect(await toB(remoteId, { channel_id: own.channelId, remote_id: remoteId, archived: true })).toEqual({ status: 'OK' });
    expect(await channel(b, own.channelId)).toMatchObject({ delete_at: 0 });
    expect(await liveShares(b, own.channelId)).toBe(0);
    // Not shared with that sender (any more): refused.
    expect(await toB(remoteId, { channel_id: own.channelId, remote_id: remoteId })).toMatchObject({ status: 'FAIL' });
    expect(await archivedOn(b, id)).toBe(false);
    expect(await shareRecord(b, id)).toEqual({ home: false });
  });

  it('a re-invite does not restore a copy that a local admin archived', async () => {
    const id = await sharedFromA();
    await b.h.as(b.admin).delete(`/api/v4/channels/${id}`).expect(200);
    await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${id}/uninvite`).expect(200);
    await until('B ends the share', async () => (await shareRecord(b, id)) === undefined);
    const archivedAt = (await channel(b, id))!.delete_at;
    await invite(id);
    await until(
      'A records the refusal',
      async () =>
        (await db(a).query('SELECT 1 FROM shared_channel_remotes WHERE channel_id = $1 AND last_error = $2', [id, 'channel is archived']))
          .length === 1,
    );
    expect((await channel(b, id))!.delete_at).toBe(archivedAt);
    expect(await shareRecord(b, id)).toBeUndefined();
  });

  describe('legacy mode (before Mattermost 10.10): the copy stays an ordinary local channel', () => {
    afterEach(() => {
      config(a).sharedChannels.removalMode = 'archive';
      config(b).sharedChannels.removalMode = 'archive';
    });

    it('on the receiving side: B keeps using its copy, unshared', async () => {
      const id = await sharedFromA();
      config(b).sharedChannels.removalMode = 'legacy';
      await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${id}/uninvite`).expect(200);
      await until('B unshares', async () => (await channel(b, id))?.shared === false);
      await until('the notice on B', () => hasMessage(b, id, NO_LONGER_SHARED, 'system_generic'));
      expect(await channel(b, id)).toEqual({ delete_at: 0, shared: false });
      await b.h.as(bobOnB).post('/api/v4/posts').send({ channel_id: id, message: 'still here' }).expect(201);
      // A re-invite shares the same channel again.
      await invite(id);
      await until('B shares again', async () => (await channel(b, id))?.shared === true);
    });

    it('on the home side: A asks B to keep its copy, and B (in archive mode) does', async () => {
      const id = await sharedFromA();
      config(a).sharedChannels.removalMode = 'legacy';
      await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${id}/uninvite`).expect(200);
      await until('B unshares', async () => (await channel(b, id))?.shared === false);
      expect(await channel(b, id)).toEqual({ delete_at: 0, shared: false });
    });
  });

  it('deleting the connection (/secure-connection remove) archives every copy on both sides; homes keep their channels', async () => {
    const homedOnA = await sharedFromA();
    const own = await b.h.channelWith([b.admin]);
    await b.h.as(b.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${own.channelId}/invite`).send({}).expect(200);
    await until('the copy on A', async () => (await channel(a, own.channelId))?.shared === true);

    expect(await command(a, a.channelId, `/secure-connection remove --connectionID ${remoteId}`)).toBe(
      `##### Secure connection ${remoteId} removed.`,
    );
    // B was told before A wiped the connection: its copy of A's channel is archived, its own channel stays.
    await until('B archives its copy', () => archivedOn(b, homedOnA));
    await until('the notice on B', () => hasMessage(b, homedOnA, NO_LONGER_SHARED, 'system_generic'));
    await until('B ends A’s share of its channel', async () => (await liveShares(b, own.channelId)) === 0);
    expect(await channel(b, own.channelId)).toMatchObject({ delete_at: 0 });
    await until('the notice on B’s channel', () =>
      hasMessage(b, own.channelId, 'This channel is no longer shared with Peer A.', 'shared_channel_state'),
    );
    // On A: its copy of B's channel is archived, its own channel stays (the shares end one by one, in no set order).
    await until('A archives its copy', () => archivedOn(a, own.channelId));
    await until('A ends its own share', async () => (await channel(a, homedOnA))?.shared === false);
    expect(await channel(a, homedOnA)).toEqual({ delete_at: 0, shared: false });
  });
});
