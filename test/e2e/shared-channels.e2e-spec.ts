import { Client4, WebSocketClient } from '@mattermost/client';
import WebSocket from 'ws';
import {
  channelPosts,
  FederatedCluster,
  Federation,
  FEDERATION_PASSWORD,
  PostJson,
  startFederation,
  TestUser,
  userPosts,
  waitFor,
} from '@fedchat/testing';
import { clusterEnv, SYNC_MS } from './support/cluster-env';

/*
 * Shared channels across three embedded clusters: A (home) shares a channel with B (read-write) and C (read-only).
 * Everything is asserted on what each cluster's own API (or websocket) shows. B and C also have a direct connection,
 * so that B has somewhere to try re-sharing A's channel to.
 */

// WebSocketClient reads `WebSocket.OPEN` from the global scope, which Node 20 does not have.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const ENV = clusterEnv();
const NOT_SHARED = /This channel is no longer shared/;

let fed: Federation;
let a: FederatedCluster;
let b: FederatedCluster;
let c: FederatedCluster;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let channelId: string;
/** The shared channel's posts as their origins answered them (deleted ones removed). */
let timeline: PostJson[] = [];

beforeAll(async () => {
  fed = await startFederation({ clusters: ['a', 'b', 'c'], env: ENV, links: [['b', 'c']] });
  ({ a, b, c } = fed.clusters);
  [alice, bob, carol] = await Promise.all([a.createUser('alice'), b.createUser('bob'), c.createUser('carol')]);
});
afterAll(async () => {
  await fed?.stop();
});

async function post(cluster: FederatedCluster, user: TestUser, message: string, extra: Record<string, unknown> = {}): Promise<PostJson> {
  const created = await cluster.api(user.token).post<PostJson>('/posts', { channel_id: channelId, message, ...extra });
  timeline.push(created);
  return created;
}

/** `count` posts one after another, as one person types them. */
async function burst(cluster: FederatedCluster, user: TestUser, count: number, label: string): Promise<PostJson[]> {
  const posts: PostJson[] = [];
  for (let i = 0; i < count; i++) posts.push(await post(cluster, user, `${label} ${i}`));
  return posts;
}

function byCreateAt(posts: PostJson[]): PostJson[] {
  return [...posts].sort((x, y) => x.create_at - y.create_at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** Waits until the cluster shows every one of `ids` in the channel; returns its user posts, oldest first. */
function waitForPosts(cluster: FederatedCluster, ids: string[], channel = channelId): Promise<PostJson[]> {
  return waitFor(
    `${ids.length} posts on ${cluster.name}`,
    async () => {
      const posts = await userPosts(cluster.api(), channel);
      const have = new Set(posts.map((p) => p.id));
      return ids.every((id) => have.has(id)) ? posts : undefined;
    },
    SYNC_MS,
    200,
  );
}

/** The cluster shows exactly `expected`: each post once, nothing else, same authors, threads and create_at order. */
async function expectTimeline(cluster: FederatedCluster, expected: PostJson[]): Promise<void> {
  const shown = await waitForPosts(
    cluster,
    expected.map((p) => p.id),
  );
  const key = (p: PostJson) => ({ id: p.id, create_at: p.create_at, user_id: p.user_id, root_id: p.root_id });
  expect(shown.map(key)).toEqual(byCreateAt(expected).map(key));
}

/** Waits until the channel on `cluster` shows a notice matching `text` (more than `already` of them). */
function waitForNotice(cluster: FederatedCluster, text: RegExp, already = 0): Promise<PostJson[]> {
  return waitFor(
    `notice ${text} on ${cluster.name}`,
    async () => {
      const notices = (await channelPosts(cluster.api(), channelId)).filter((p) => p.type !== '' && text.test(p.message));
      return notices.length > already ? notices : undefined;
    },
    SYNC_MS,
    200,
  );
}

async function command(cluster: FederatedCluster, command: string, channel = channelId): Promise<string> {
  const res = await cluster.api().post<{ text: string }>('/commands/execute', { channel_id: channel, command });
  return res.text;
}

async function reactions(cluster: FederatedCluster, postId: string): Promise<{ user_id: string; emoji_name: string }[]> {
  const list = await cluster.api().get<{ user_id: string; emoji_name: string }[] | null>(`/posts/${postId}/reactions`);
  return (list ?? []).map((r) => ({ user_id: r.user_id, emoji_name: r.emoji_name }));
}

async function acks(cluster: FederatedCluster, postId: string): Promise<string[]> {
  const p = await cluster.api().get<PostJson>(`/posts/${postId}`);
  return (p.metadata?.acknowledgements ?? []).map((x) => x.user_id);
}

/** Polls until `probe` returns the expected value on every given cluster (compared with toEqual). */
async function waitEverywhere<T>(clusters: FederatedCluster[], what: string, probe: (x: FederatedCluster) => Promise<T>, expected: T) {
  for (const cluster of clusters) {
    await waitFor(
      `${what} on ${cluster.name}`,
      async () => {
        const value = await probe(cluster);
        return JSON.stringify(value) === JSON.stringify(expected) ? true : undefined;
      },
      SYNC_MS,
      200,
    );
    expect(await probe(cluster)).toEqual(expected);
  }
}

describe('shared channels across three clusters (A home, B read-write, C read-only)', () => {
  let rootA: PostJson;
  let rootB: PostJson;
  let fromA: PostJson[];
  let fromB: PostJson[];
  let beforeUninvite: PostJson[];
  /** Posted on B after the uninvite: B's own from then on. */
  const onlyOnB: PostJson[] = [];
  /** A second channel of A, shared with C after review. */
  let reviewedId: string;

  it('shares a channel from A with B over REST and with C read-only by slash command', async () => {
    channelId = (
      await a.api().post<{ id: string }>('/channels', { team_id: a.teamId, name: 'federation', display_name: 'Federation', type: 'O' })
    ).id;
    await a.api().post(`/channels/${channelId}/members`, { user_id: alice.id });

    expect(await a.api().post(`/remotecluster/${a.remoteIds.b}/channels/${channelId}/invite`)).toEqual({ status: 'OK' });
    expect(await command(a, `/share-channel invite --connectionID ${a.remoteIds.c} --readonly Y`)).toContain(
      'Shared channel invitation has been sent to',
    );

    // The same channel id, in each remote's connection default team.
    for (const remote of [b, c]) {
      const channel = await waitFor(
        `the channel on ${remote.name}`,
        async () => {
          const res = await remote.api().request<{ id: string; team_id: string; name: string }>('GET', `/channels/${channelId}`);
          return res.status === 200 ? res.body : undefined;
        },
        SYNC_MS,
        200,
      );
      expect(channel).toMatchObject({ id: channelId, team_id: remote.teamId, name: 'federation' });
    }

    expect(await a.api().get(`/sharedchannels/${a.teamId}`)).toEqual([expect.objectContaining({ id: channelId, home: true })]);
    expect(await b.api().get(`/sharedchannels/${b.teamId}`)).toEqual([
      expect.objectContaining({ id: channelId, home: false, readonly: false, remote_id: b.remoteIds.a }),
    ]);
    expect(await c.api().get(`/sharedchannels/${c.teamId}`)).toEqual([
      expect.objectContaining({ id: channelId, home: false, readonly: true, remote_id: c.remoteIds.a }),
    ]);
    const remotes = await a.api().get<{ remote_id: string }[]>(`/sharedchannels/${channelId}/remotes`);
    expect(remotes.map((r) => r.remote_id).sort()).toEqual([a.remoteIds.b, a.remoteIds.c].sort());

    await b.api().post(`/channels/${channelId}/members`, { user_id: bob.id });
    await c.api().post(`/channels/${channelId}/members`, { user_id: carol.id });
  });

  it('syncs posts and replies made on A and on B to every cluster, each exactly once and in create_at order', async () => {
    rootA = await post(a, alice, 'thread root from A');
    await waitForPosts(b, [rootA.id]);
    await post(b, bob, 'reply from B to A', { root_id: rootA.id });
    rootB = await post(b, bob, 'thread root from B');
    await waitForPosts(a, [rootB.id]);
    await post(a, alice, 'reply from A to B', { root_id: rootB.id });

    // Both sides type at the same time.
    [fromA, fromB] = await Promise.all([burst(a, alice, 10, 'from A'), burst(b, bob, 10, 'from B')]);

    for (const cluster of [a, b, c]) await expectTimeline(cluster, timeline);

    // B's thread reached C through A, root and reply together.
    const thread = await c.api().get<{ order: string[] }>(`/posts/${rootA.id}/thread`);
    expect(thread.order.sort()).toEqual(
      timeline
        .filter((p) => p.id === rootA.id || p.root_id === rootA.id)
        .map((p) => p.id)
        .sort(),
    );

    // Remote authors are synthetic users with the origin's user id and a munged name.
    expect(await b.api().get(`/users/${alice.id}`)).toMatchObject({ id: alice.id, username: 'alice:peer-a' });
    expect(await a.api().get(`/users/${bob.id}`)).toMatchObject({ id: bob.id, username: 'bob:peer-b' });
    expect((await c.api().get<{ username: string }>(`/users/${bob.id}`)).username).toMatch(/^bob:/);
  });

  it("moves A's unread and mention counts and A's thread state when a reply arrives from B", async () => {
    const asAlice = a.api(alice.token);
    await asAlice.post('/channels/members/me/view', { channel_id: channelId, collapsed_threads_supported: true });
    expect(await asAlice.get(`/users/me/channels/${channelId}/unread`)).toMatchObject({ msg_count: 0, mention_count: 0 });
    await asAlice.put(`/users/me/teams/${a.teamId}/threads/${rootA.id}/read/${Date.now()}`);

    const reply = await post(b, bob, 'a question for @alice:peer-a', { root_id: rootA.id });
    await waitForPosts(a, [reply.id]);
    expect(await asAlice.get(`/users/me/channels/${channelId}/unread`)).toMatchObject({
      msg_count: 1,
      msg_count_root: 0,
      mention_count: 1,
      mention_count_root: 0,
    });
    const list = await asAlice.get<{
      threads: { id: string; unread_replies: number; unread_mentions: number; participants: { id: string }[] }[];
    }>(`/users/me/teams/${a.teamId}/threads`);
    const thread = list.threads.find((t) => t.id === rootA.id);
    expect(thread).toMatchObject({ unread_replies: 1, unread_mentions: 1 });
    expect(thread?.participants.map((p) => p.id)).toContain(bob.id);

    // Membership notices stay where they were written: B's notice of bob joining is not on A.
    const noticesOnB = (await channelPosts(b.api(), channelId)).filter((p) => p.type === 'system_add_to_channel');
    expect(noticesOnB.length).toBeGreaterThan(0);
    const onA = new Set((await channelPosts(a.api(), channelId)).map((p) => p.id));
    expect(noticesOnB.filter((p) => onA.has(p.id))).toEqual([]);
  });

  it('delivers a post made with Client4 on A to B as a `posted` websocket event', async () => {
    const client = new Client4();
    client.setUrl(a.url);
    client.setIncludeCookies(false);
    await client.login('alice', FEDERATION_PASSWORD);

    const events: { event: string; data: Record<string, any>; broadcast: Record<string, any> }[] = [];
    const ws = new WebSocketClient({
      newWebSocketFn: (u: string) => new WebSocket(u) as unknown as globalThis.WebSocket,
      clientPingInterval: 600_000,
      maxWebSocketFails: 0,
    });
    ws.addMessageListener((msg) => events.push(msg as never));
    ws.initialize(`${b.url.replace(/^http/, 'ws')}/api/v4/websocket`, bob.token);
    try {
      await waitFor('hello on B', async () => (events.some((e) => e.event === 'hello') ? true : undefined), 10_000, 20);
      const created = await client.createPost({ channel_id: channelId, message: 'hello B, from Client4 on A' } as never);
      timeline.push(created as unknown as PostJson);
      const posted = await waitFor(
        'posted on B',
        async () => events.find((e) => e.event === 'posted' && JSON.parse(e.data.post).id === created.id),
        SYNC_MS,
        20,
      );
      expect(posted.broadcast.channel_id).toBe(channelId);
      expect(JSON.parse(posted.data.post)).toMatchObject({
        id: created.id,
        create_at: created.create_at,
        user_id: alice.id,
        channel_id: channelId,
        message: 'hello B, from Client4 on A',
      });
    } finally {
      ws.close();
    }
  });

  it('syncs edits made on A and on B', async () => {
    await a.api(alice.token).put(`/posts/${fromA[0].id}/patch`, { message: 'from A 0, edited on A' });
    await b.api(bob.token).put(`/posts/${fromB[0].id}/patch`, { message: 'from B 0, edited on B' });
    for (const [id, message] of [
      [fromA[0].id, 'from A 0, edited on A'],
      [fromB[0].id, 'from B 0, edited on B'],
    ]) {
      await waitEverywhere(
        [a, b, c],
        `edit of ${id}`,
        async (x) => {
          const p = await x.api().get<PostJson>(`/posts/${id}`);
          return { message: p.message, edited: p.edit_at > 0 };
        },
        { message, edited: true },
      );
    }
    for (const cluster of [a, b, c]) await expectTimeline(cluster, timeline);
  });

  it('syncs deletes made on A and on B', async () => {
    const gone = [fromA[1], fromB[1]];
    await a.api(alice.token).delete(`/posts/${fromA[1].id}`);
    await b.api(bob.token).delete(`/posts/${fromB[1].id}`);
    timeline = timeline.filter((p) => !gone.includes(p));
    for (const p of gone) {
      await waitEverywhere([a, b, c], `delete of ${p.id}`, async (x) => (await x.api().request('GET', `/posts/${p.id}`)).status, 404);
    }
    for (const cluster of [a, b, c]) await expectTimeline(cluster, timeline);
  });

  it('syncs reactions added and removed on A and on B, each once', async () => {
    await b.api(bob.token).post('/reactions', { user_id: bob.id, post_id: rootA.id, emoji_name: 'tada' });
    await a.api(alice.token).post('/reactions', { user_id: alice.id, post_id: rootB.id, emoji_name: 'rocket' });
    await waitEverywhere([a, b, c], 'bob tada on rootA', (x) => reactions(x, rootA.id), [{ user_id: bob.id, emoji_name: 'tada' }]);
    await waitEverywhere([a, b, c], 'alice rocket on rootB', (x) => reactions(x, rootB.id), [{ user_id: alice.id, emoji_name: 'rocket' }]);

    await b.api(bob.token).delete(`/users/${bob.id}/posts/${rootA.id}/reactions/tada`);
    await a.api(alice.token).delete(`/users/${alice.id}/posts/${rootB.id}/reactions/rocket`);
    await waitEverywhere([a, b, c], 'no reaction on rootA', (x) => reactions(x, rootA.id), []);
    await waitEverywhere([a, b, c], 'no reaction on rootB', (x) => reactions(x, rootB.id), []);
  });

  it('syncs acknowledgements of priority posts made on A and on B, each once', async () => {
    const priority = { metadata: { priority: { priority: 'urgent', requested_ack: true } } };
    const urgentA = await post(a, alice, 'please ack, from A', priority);
    const urgentB = await post(b, bob, 'please ack, from B', priority);
    await waitForPosts(b, [urgentA.id]);
    await waitForPosts(a, [urgentB.id]);
    expect((await b.api().get<PostJson>(`/posts/${urgentA.id}`)).metadata?.priority).toMatchObject({
      priority: 'urgent',
      requested_ack: true,
    });

    await b.api(bob.token).post(`/users/${bob.id}/posts/${urgentA.id}/ack`);
    await a.api(alice.token).post(`/users/${alice.id}/posts/${urgentB.id}/ack`);
    await waitEverywhere([a, b, c], 'bob acked urgentA', (x) => acks(x, urgentA.id), [bob.id]);
    await waitEverywhere([a, b, c], 'alice acked urgentB', (x) => acks(x, urgentB.id), [alice.id]);
  });

  it('refuses posts and reactions from C, the read-only remote (403), while C users can post elsewhere', async () => {
    const asCarol = c.api(carol.token);
    expect((await asCarol.request('GET', `/channels/${channelId}/members/${carol.id}`)).status).toBe(200);
    expect((await asCarol.request('POST', '/posts', { channel_id: channelId, message: 'from read-only C' })).status).toBe(403);
    expect((await asCarol.request('POST', '/reactions', { user_id: carol.id, post_id: rootA.id, emoji_name: 'eyes' })).status).toBe(403);

    // The 403 is the share's, not carol's: she can post in a channel of her own.
    const local = await asCarol.post<{ id: string }>('/channels', {
      team_id: c.teamId,
      name: 'c-local',
      display_name: 'C local',
      type: 'O',
    });
    expect((await asCarol.request('POST', '/posts', { channel_id: local.id, message: 'local to C' })).status).toBe(201);
    expect(await reactions(a, rootA.id)).toEqual([]);
  });

  it('does not let B share the channel onward: it originates on A', async () => {
    expect(await command(b, `/share-channel invite --connectionID ${b.remoteIds.c}`)).toMatch(
      /Cannot invite secure connection to a shared channel originating somewhere else/,
    );
    expect((await b.api().request('POST', `/remotecluster/${b.remoteIds.c}/channels/${channelId}/invite`)).status).toBe(400);
    expect(await b.api().get(`/sharedchannels/${b.teamId}`)).toEqual([
      expect.objectContaining({ id: channelId, home: false, remote_id: b.remoteIds.a }),
    ]);
    expect((await b.api().get<{ remote_id: string }[]>(`/sharedchannels/${channelId}/remotes`)).map((r) => r.remote_id)).toEqual([
      b.remoteIds.a,
    ]);
  });

  it('holds an invitation for review on C, accepts it into a chosen team, then syncs that channel', async () => {
    const patched = await c.api().patch<{ auto_accept_channel_invites: boolean }>(`/remotecluster/${c.remoteIds.a}`, {
      auto_accept_channel_invites: false,
    });
    expect(patched.auto_accept_channel_invites).toBe(false);
    const second = await c.api().post<{ id: string }>('/teams', { name: 'c-second', display_name: 'C second', type: 'O' });
    const reviewed = await a
      .api()
      .post<{ id: string }>('/channels', { team_id: a.teamId, name: 'reviewed', display_name: 'Reviewed', type: 'O' });
    reviewedId = reviewed.id;
    await a.api().post(`/channels/${reviewed.id}/members`, { user_id: alice.id });
    expect(await a.api().post(`/remotecluster/${a.remoteIds.c}/channels/${reviewed.id}/invite`)).toEqual({ status: 'OK' });

    type Invitation = { id: string; channel_id: string; remote_id: string; status: string; direction: string };
    const invitation = await waitFor(
      'a pending invitation on C',
      async () => (await c.api().get<Invitation[]>('/sharedchannels/invitations?status=pending')).find((i) => i.channel_id === reviewed.id),
      SYNC_MS,
      200,
    );
    expect(invitation).toMatchObject({ remote_id: c.remoteIds.a, status: 'pending', direction: 'received' });
    expect((await c.api().request('GET', `/channels/${reviewed.id}`)).status).toBe(404);

    const accepted = await c.api().post<Invitation>(`/sharedchannels/invitations/${invitation.id}/accept`, { team_id: second.id });
    expect(accepted).toMatchObject({ id: invitation.id, status: 'accepted' });
    expect((await c.api().get<Invitation[]>('/sharedchannels/invitations?status=pending')).map((i) => i.id)).not.toContain(invitation.id);
    expect(await c.api().get(`/channels/${reviewed.id}`)).toMatchObject({ id: reviewed.id, team_id: second.id });

    // Content flows both ways (this share is read-write).
    const fromHome = await a.api(alice.token).post<PostJson>('/posts', { channel_id: reviewed.id, message: 'reviewed: from A' });
    await waitForPosts(c, [fromHome.id], reviewed.id);
    await c.api().post(`/channels/${reviewed.id}/members`, { user_id: c.adminId });
    const fromC = await c.api().post<PostJson>('/posts', { channel_id: reviewed.id, message: 'reviewed: from C' });
    const onA = await waitForPosts(a, [fromHome.id, fromC.id], reviewed.id);
    expect(onA.map((p) => p.id)).toEqual([fromHome.id, fromC.id]);
    expect(onA[1]).toMatchObject({ create_at: fromC.create_at, user_id: c.adminId });
  });

  it('uninvites B: notices on both sides, and nothing syncs with B afterwards', async () => {
    beforeUninvite = [...timeline];
    const res = await a.api().request('POST', `/remotecluster/${a.remoteIds.b}/channels/${channelId}/uninvite`);
    expect(res.status).toBe(200);
    await waitForNotice(a, NOT_SHARED);
    await waitForNotice(b, NOT_SHARED);
    expect((await a.api().get<{ remote_id: string }[]>(`/sharedchannels/${channelId}/remotes`)).map((r) => r.remote_id)).toEqual([
      a.remoteIds.c,
    ]);
    await waitFor(
      'B no longer lists the channel as shared',
      async () => ((await b.api().get<{ id: string }[]>(`/sharedchannels/${b.teamId}`)).some((s) => s.id === channelId) ? undefined : true),
      SYNC_MS,
      200,
    );

    const afterOnA = await post(a, alice, 'after uninvite, from A');
    const afterOnB = await b
      .api(bob.token)
      .request<PostJson>('POST', '/posts', { channel_id: channelId, message: 'after uninvite, from B' });
    // C still gets A's posts: once this one arrived, A has sent everything it was going to send.
    await waitForPosts(c, [afterOnA.id]);
    expect((await userPosts(b.api(), channelId)).map((p) => p.id)).not.toContain(afterOnA.id);
    if (afterOnB.status === 201) {
      onlyOnB.push(afterOnB.body);
      expect((await userPosts(a.api(), channelId)).map((p) => p.id)).not.toContain(afterOnB.body.id);
      expect((await userPosts(c.api(), channelId)).map((p) => p.id)).not.toContain(afterOnB.body.id);
    }
  });

  it('unshares: notices on A and C, and nothing syncs afterwards', async () => {
    const noticesOnA = (await channelPosts(a.api(), channelId)).filter((p) => p.type !== '' && NOT_SHARED.test(p.message)).length;
    expect(await command(a, '/share-channel unshare')).toContain('This channel is no longer shared.');
    await waitForNotice(a, NOT_SHARED, noticesOnA);
    await waitForNotice(c, NOT_SHARED);
    await waitFor(
      'A no longer lists the channel as shared',
      async () => ((await a.api().get<{ id: string }[]>(`/sharedchannels/${a.teamId}`)).some((s) => s.id === channelId) ? undefined : true),
      SYNC_MS,
      200,
    );
    expect(await command(a, '/share-channel status')).toContain('No secure connections have been invited to this channel.');

    const afterUnshare = await a.api(alice.token).post<PostJson>('/posts', { channel_id: channelId, message: 'after unshare' });
    // The reviewed channel is still shared with C: once a later post there arrived, A's sender has moved on.
    const barrier = await a.api(alice.token).post<PostJson>('/posts', { channel_id: reviewedId, message: 'barrier' });
    await waitForPosts(c, [barrier.id], reviewedId);
    expect((await userPosts(c.api(), channelId)).map((p) => p.id)).not.toContain(afterUnshare.id);
    timeline.push(afterUnshare);
  });

  it('left every cluster with each post exactly once, in order', async () => {
    const afterUninvite = timeline.filter((p) => !beforeUninvite.includes(p));
    await expectTimeline(a, timeline);
    await expectTimeline(b, [...beforeUninvite, ...onlyOnB]);
    await expectTimeline(
      c,
      timeline.filter((p) => p.message !== 'after unshare'),
    );
    expect(afterUninvite.map((p) => p.message)).toEqual(['after uninvite, from A', 'after unshare']);
  });
});
