import { FederatedCluster, Federation, PostJson, startFederation, TestUser, userPosts, waitFor } from '@fedchat/testing';
import { clusterEnv, SYNC_MS } from './support/cluster-env';

/*
 * Direct and group messages with remote users (flag EnableSharedChannelsDMs) across three embedded clusters in a
 * star around A: a DM between A's and B's users works both ways whichever side opens it, and a GM of users of A, B
 * and C, opened on A, works for all three through A. Everything is asserted on what each cluster's API shows.
 *
 * Global user sync is on: B's and C's users are known on A (and A's on B and C) before they ever post, which is
 * how a DM with someone who never shared a channel with you starts. Users of C reach B only through a channel A
 * shares with both (the lobby below): global sync never relays another cluster's users.
 */

const ENV = clusterEnv(['directMessages', 'syncAllUsers']);

interface ChannelJson {
  id: string;
  type: string;
  name: string;
  shared: boolean;
}
interface UserJson {
  id: string;
  username: string;
  remote_id?: string;
}

let fed: Federation;
let a: FederatedCluster;
let b: FederatedCluster;
let c: FederatedCluster;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let dmId: string;

/** The user with this id as `cluster` shows it, once it exists there. */
function userOn(cluster: FederatedCluster, id: string): Promise<UserJson> {
  return waitFor(
    `user ${id} on ${cluster.name}`,
    async () => {
      const res = await cluster.api().request<UserJson>('GET', `/users/${id}`);
      return res.status === 200 ? res.body : undefined;
    },
    SYNC_MS,
  );
}

/** The channel as `user` sees it on `cluster`, once it is there. */
function channelOn(cluster: FederatedCluster, user: TestUser, id: string): Promise<ChannelJson> {
  return waitFor(
    `channel ${id} on ${cluster.name}`,
    async () => {
      const res = await cluster.api(user.token).request<ChannelJson>('GET', `/channels/${id}`);
      return res.status === 200 ? res.body : undefined;
    },
    SYNC_MS,
  );
}

/** Waits until the cluster shows the post in the channel; returns it as the cluster shows it. */
function postOn(cluster: FederatedCluster, channelId: string, postId: string): Promise<PostJson> {
  return waitFor(
    `post ${postId} on ${cluster.name}`,
    async () => (await userPosts(cluster.api(), channelId)).find((p) => p.id === postId),
    SYNC_MS,
  );
}

function say(cluster: FederatedCluster, user: TestUser, channelId: string, message: string): Promise<PostJson> {
  return cluster.api(user.token).post<PostJson>('/posts', { channel_id: channelId, message });
}

async function reactionsOn(cluster: FederatedCluster, postId: string): Promise<{ user_id: string; emoji_name: string }[]> {
  return (await cluster.api().get<{ user_id: string; emoji_name: string }[] | null>(`/posts/${postId}/reactions`)) ?? [];
}

beforeAll(async () => {
  fed = await startFederation({ clusters: ['a', 'b', 'c'], env: ENV });
  ({ a, b, c } = fed.clusters);
  [alice, bob, carol] = await Promise.all([a.createUser('alice'), b.createUser('bob'), c.createUser('carol')]);
  // Global user sync: found on the other side before anyone posted anywhere.
  await Promise.all([userOn(a, bob.id), userOn(a, carol.id), userOn(b, alice.id), userOn(c, alice.id)]);

  // A team channel shared with B and C where everyone says hello: B learns carol and C learns bob through A.
  const lobby = await a.api().post<ChannelJson>('/channels', { team_id: a.teamId, name: 'lobby', display_name: 'Lobby', type: 'O' });
  for (const peer of [b, c]) await a.api().post(`/remotecluster/${a.remoteIds[peer.name]}/channels/${lobby.id}/invite`, {});
  await say(a, { id: a.adminId, username: 'admin', token: a.adminToken }, lobby.id, 'hello from admin');
  for (const [cluster, user] of [
    [b, bob],
    [c, carol],
  ] as const) {
    await channelOn(cluster, { id: cluster.adminId, username: 'admin', token: cluster.adminToken }, lobby.id);
    await cluster.api().post(`/channels/${lobby.id}/members`, { user_id: user.id });
    await say(cluster, user, lobby.id, `hello from ${user.username}`);
  }
  await Promise.all([userOn(b, carol.id), userOn(c, bob.id)]);
}, 180_000);

afterAll(async () => {
  await fed?.stop();
});

describe('finding remote users and can_dm', () => {
  it('shows B users on A under their munged names', async () => {
    const found = await a.api(alice.token).get<UserJson>('/users/username/bob:peer-b');
    expect(found).toMatchObject({ id: bob.id, remote_id: a.remoteIds.b });
  });

  it('answers can_dm for local, directly connected and relayed users', async () => {
    const canDm = (cluster: FederatedCluster, user: TestUser, other: string) =>
      cluster.api(user.token).get<{ can_dm: boolean }>(`/sharedchannels/users/${user.id}/can_dm/${other}`);
    expect(await canDm(a, alice, a.adminId)).toEqual({ can_dm: true });
    expect(await canDm(a, alice, bob.id)).toEqual({ can_dm: true });
    expect(await canDm(b, bob, a.adminId)).toEqual({ can_dm: true });
    // carol reaches B only through A: B has no connection to C, so no DM (Mattermost's rule).
    await userOn(b, carol.id);
    expect(await canDm(b, bob, carol.id)).toEqual({ can_dm: false });
  });
});

describe('a DM between A and B', () => {
  it('opened on A appears on B with the same id; messages and reactions go both ways', async () => {
    const dm = await a.api(alice.token).post<ChannelJson>('/channels/direct', [alice.id, bob.id]);
    dmId = dm.id;
    expect(dm).toMatchObject({ type: 'D', shared: true });
    const onB = await channelOn(b, bob, dmId);
    expect(onB).toMatchObject({ type: 'D', name: dm.name });
    // Opening it again from B returns the same channel.
    expect((await b.api(bob.token).post<ChannelJson>('/channels/direct', [bob.id, alice.id])).id).toBe(dmId);

    const hello = await say(a, alice, dmId, 'hi bob, alice here');
    expect((await postOn(b, dmId, hello.id)).user_id).toBe(alice.id);
    const reply = await say(b, bob, dmId, 'hi alice!');
    expect((await postOn(a, dmId, reply.id)).message).toBe('hi alice!');

    await b.api(bob.token).post('/reactions', { user_id: bob.id, post_id: hello.id, emoji_name: 'wave' });
    await a.api(alice.token).post('/reactions', { user_id: alice.id, post_id: reply.id, emoji_name: 'heart' });
    await waitFor(
      'wave on A',
      async () => ((await reactionsOn(a, hello.id)).some((r) => r.user_id === bob.id) ? true : undefined),
      SYNC_MS,
    );
    await waitFor(
      'heart on B',
      async () => ((await reactionsOn(b, reply.id)).some((r) => r.user_id === alice.id) ? true : undefined),
      SYNC_MS,
    );

    const ids = (posts: PostJson[]) => posts.map((p) => p.id);
    expect(ids(await userPosts(a.api(), dmId))).toEqual([hello.id, reply.id]);
    expect(ids(await userPosts(b.api(), dmId))).toEqual([hello.id, reply.id]);
  });

  it('opened on B (B is its home) appears on A and works both ways', async () => {
    const dm = await b.api(bob.token).post<ChannelJson>('/channels/direct', [bob.id, a.adminId]);
    const admin = { id: a.adminId, username: 'admin', token: a.adminToken };
    await channelOn(a, admin, dm.id);
    const fromBob = await say(b, bob, dm.id, 'question for the admin of A');
    await postOn(a, dm.id, fromBob.id);
    const answer = await say(a, admin, dm.id, 'answer from A');
    await postOn(b, dm.id, answer.id);
  });

  it('carries a file attached on B to A', async () => {
    const bytes = Buffer.from(`file for alice ${Date.now()}`);
    const form = new FormData();
    form.append('channel_id', dmId);
    form.append('files', new Blob([bytes], { type: 'text/plain' }), 'note.txt');
    const res = await fetch(`${b.url}/api/v4/files`, { method: 'POST', headers: { Authorization: `Bearer ${bob.token}` }, body: form });
    expect(res.status).toBe(201);
    const uploaded = (await res.json()) as { file_infos: { id: string }[] };
    const fileId = uploaded.file_infos[0].id;
    const post = await b.api(bob.token).post<PostJson & { file_ids?: string[] }>('/posts', {
      channel_id: dmId,
      message: 'see attached',
      file_ids: [fileId],
    });
    // The file travels before its post; wait for the post as A shows it with the attachment.
    await waitFor(
      'post with its file on A',
      async () => {
        const onA = (await postOn(a, dmId, post.id)) as PostJson & { file_ids?: string[] };
        return onA.file_ids?.includes(fileId) ? true : undefined;
      },
      SYNC_MS,
    );
    const body = await waitFor(
      'file content on A',
      async () => {
        const got = await fetch(`${a.url}/api/v4/files/${fileId}`, { headers: { Authorization: `Bearer ${alice.token}` } });
        return got.status === 200 ? Buffer.from(await got.arrayBuffer()) : undefined;
      },
      SYNC_MS,
    );
    expect(body.equals(bytes)).toBe(true);
  });
});

describe('a GM of users of A, B and C', () => {
  it('opened on A appears on B and C; every member reads every message through A', async () => {
    const gm = await a.api(alice.token).post<ChannelJson>('/channels/group', [bob.id, carol.id]);
    expect(gm).toMatchObject({ type: 'G', shared: true });
    for (const [cluster, user] of [
      [b, bob],
      [c, carol],
    ] as const) {
      expect(await channelOn(cluster, user, gm.id)).toMatchObject({ type: 'G', name: gm.name });
    }
    const fromBob = await say(b, bob, gm.id, 'bob to the group');
    const fromCarol = await say(c, carol, gm.id, 'carol to the group');
    const fromAlice = await say(a, alice, gm.id, 'alice to the group');
    for (const cluster of [a, b, c]) {
      for (const p of [fromBob, fromCarol, fromAlice]) await postOn(cluster, gm.id, p.id);
    }
    // carol's user reached B through A (owned by A's connection there).
    expect((await userOn(b, carol.id)).remote_id).toBe(b.remoteIds.a);
  });
});
