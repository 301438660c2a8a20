import {
  channelPosts,
  EventStream,
  FederatedCluster,
  Federation,
  openEvents,
  PostJson,
  startFederation,
  TestUser,
  userPosts,
  waitFor,
} from '@fedchat/testing';
import { clusterEnv, SYNC_MS } from './support/cluster-env';

/*
 * Removing a shared channel from a connection (Mattermost 10.10) between two real embedded clusters, each a process
 * of its own started from dist/: A shares channels with B; uninvite, re-invite and deleting the connection are
 * driven through A's REST API and slash commands, and asserted on what B's own API and websocket show.
 */

const NO_LONGER_SHARED = 'This channel is no longer shared.';

let fed: Federation;
let a: FederatedCluster;
let b: FederatedCluster;
let alice: TestUser;
let bob: TestUser;
let bobEvents: EventStream;

beforeAll(async () => {
  fed = await startFederation({ clusters: ['a', 'b'], env: clusterEnv() });
  ({ a, b } = fed.clusters);
  [alice, bob] = await Promise.all([a.createUser('alice'), b.createUser('bob')]);
  bobEvents = await openEvents(b.url, bob.token);
});
afterAll(async () => {
  bobEvents?.close();
  await fed?.stop();
});

type ChannelJson = { id: string; delete_at: number; shared?: boolean };

function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(what, probe, SYNC_MS, 200);
}

async function channelOn(cluster: FederatedCluster, id: string): Promise<ChannelJson | undefined> {
  const res = await cluster.api().request<ChannelJson>('GET', `/channels/${id}`);
  return res.status === 200 ? res.body : undefined;
}

async function command(cluster: FederatedCluster, channelId: string, text: string): Promise<string> {
  return (await cluster.api().post<{ text: string }>('/commands/execute', { channel_id: channelId, command: text })).text;
}

/** A channel of A shared with B (REST invite), with alice and bob in it. */
async function shareFromA(name: string): Promise<string> {
  const { id } = await a.api().post<{ id: string }>('/channels', { team_id: a.teamId, name, display_name: name, type: 'O' });
  await a.api().post(`/channels/${id}/members`, { user_id: alice.id });
  expect(await a.api().post(`/remotecluster/${a.remoteIds.b}/channels/${id}/invite`)).toEqual({ status: 'OK' });
  await until(`${name} on B`, () => channelOn(b, id));
  await b.api().post(`/channels/${id}/members`, { user_id: bob.id });
  return id;
}

async function postAndSee(from: FederatedCluster, user: TestUser, channelId: string, message: string, to: FederatedCluster) {
  const post = await from.api(user.token).post<PostJson>('/posts', { channel_id: channelId, message });
  await until(`"${message}" on ${to.name}`, async () =>
    (await userPosts(to.api(), channelId)).some((p) => p.id === post.id) ? true : undefined,
  );
  return post;
}

describe('removing a shared channel from a connection', () => {
  let channelId: string;

  it('uninvite on A archives B’s copy with the notice; B’s users keep reading it; A’s later posts do not reach B', async () => {
    channelId = await shareFromA('removal');
    const fromA = await postAndSee(a, alice, channelId, 'hello from A', b);
    const fromB = await postAndSee(b, bob, channelId, 'hello from B', a);

    const res = await a.api().request('POST', `/remotecluster/${a.remoteIds.b}/channels/${channelId}/uninvite`);
    expect(res.status).toBe(200);

    const archived = await until('B archives its copy', async () => {
      const ch = await channelOn(b, channelId);
      return ch && ch.delete_at > 0 ? ch : undefined;
    });
    expect(archived.shared).toBe(false);
    await bobEvents.next((e) => e.event === 'channel_deleted' && e.data.channel_id === channelId, 'channel_deleted for bob', SYNC_MS);
    await until('the notice on B', async () =>
      (await channelPosts(b.api(bob.token), channelId)).some((p) => p.message === NO_LONGER_SHARED) ? true : undefined,
    );
    // Bob still reads the whole history, but cannot write any more.
    expect((await userPosts(b.api(bob.token), channelId)).map((p) => p.id)).toEqual([fromA.id, fromB.id]);
    expect((await b.api(bob.token).request('POST', '/posts', { channel_id: channelId, message: 'too late' })).status).toBe(403);

    // A keeps its channel, open, with bob's post.
    expect(await channelOn(a, channelId)).toMatchObject({ delete_at: 0 });
    expect((await userPosts(a.api(), channelId)).map((p) => p.id)).toEqual([fromA.id, fromB.id]);

    // A's posts stay on A. Barrier: a second channel still shared with B shows that A's sender has moved on.
    const after = await a.api(alice.token).post<PostJson>('/posts', { channel_id: channelId, message: 'after the uninvite' });
    const barrierChannel = await shareFromA('removal-barrier');
    await postAndSee(a, alice, barrierChannel, 'barrier', b);
    expect((await userPosts(b.api(), channelId)).map((p) => p.id)).not.toContain(after.id);
  });

  it('re-inviting restores B’s copy and sync resumes', async () => {
    expect(await command(a, channelId, `/share-channel invite --connectionID ${a.remoteIds.b}`)).toContain(
      'Shared channel invitation has been sent to',
    );
    await until('B restores its copy', async () => ((await channelOn(b, channelId))?.delete_at === 0 ? true : undefined));
    await bobEvents.next((e) => e.event === 'channel_restored' && e.data.channel_id === channelId, 'channel_restored for bob', SYNC_MS);
    await postAndSee(a, alice, channelId, 'shared again', b);
    await postAndSee(b, bob, channelId, 'bob is back', a);
  });

  it('deleting the connection on A archives all of A’s channels on B, and A keeps them', async () => {
    const second = await shareFromA('removal-second');
    const removed = await command(a, channelId, `/secure-connection remove --connectionID ${a.remoteIds.b}`);
    expect(removed).toBe(`##### Secure connection ${a.remoteIds.b} removed.`);
    for (const id of [channelId, second]) {
      await until(`B archives ${id}`, async () => (((await channelOn(b, id))?.delete_at ?? 0) > 0 ? true : undefined));
      expect(await channelOn(a, id)).toMatchObject({ delete_at: 0 });
    }
    expect(await b.api().get<unknown[]>(`/sharedchannels/${b.teamId}`)).toEqual([]);
  });
});
