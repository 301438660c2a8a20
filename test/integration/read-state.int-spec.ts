import WebSocket from 'ws';
import { Bus } from '@fedchat/common';
import { peerTopicContract, PeerResponse } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/*
 * Channel read state and collapsed threads on the real gateway and database: counters after local posts and after
 * posts received from a peer (handed to the real receiver over the bus, as /api/v4/remotecluster/msg does), the
 * endpoints that read and reset them, their websocket events, membership notices, and bad input and permissions.
 */

type Frame = { event?: string; data?: any; broadcast?: any };

/** A websocket client of one user that records the events it receives. */
class Events {
  readonly frames: Frame[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(d.toString())));
  }

  static async open(url: string, token: string): Promise<Events> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const c = new Events(ws);
    ws.send(JSON.stringify({ action: 'authentication_challenge', seq: 1, data: { token } }));
    await c.next('hello', () => true);
    return c;
  }

  async next(event: string, match: (f: Frame) => boolean): Promise<Frame> {
    return waitFor(event, async () => this.frames.find((f) => f.event === event && match(f)), 5000, 20);
  }
}

const SYNC = peerTopicContract('sharedchannel_sync');

let h: GatewayHarness;
let db: DataSource;
let wsUrl: string;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let teamId: string;
let channelId: string;
const sockets: Events[] = [];

async function events(user: TestUser): Promise<Events> {
  const e = await Events.open(wsUrl, user.token);
  sockets.push(e);
  return e;
}

async function post(user: TestUser, channel: string, message: string, extra: Record<string, unknown> = {}): Promise<any> {
  return (
    await h
      .as(user)
      .post('/api/v4/posts')
      .send({ channel_id: channel, message, ...extra })
      .expect(201)
  ).body;
}

async function member(user: TestUser, channel = channelId): Promise<any> {
  return (await h.as(user).get(`/api/v4/channels/${channel}/members/${user.id}`).expect(200)).body;
}

async function channel(user: TestUser, id = channelId): Promise<any> {
  return (await h.as(user).get(`/api/v4/channels/${id}`).expect(200)).body;
}

async function threads(user: TestUser, query = ''): Promise<any> {
  return (await h.as(user).get(`/api/v4/users/me/teams/${teamId}/threads${query}`).expect(200)).body;
}

async function teamOf(channelId: string): Promise<string> {
  return (await db.query('SELECT team_id FROM channels WHERE id = $1', [channelId]))[0].team_id;
}

/** A fresh public channel of the team with the given members (through the API, so that notices are written too). */
async function newChannel(members: TestUser[]): Promise<string> {
  const created = await h
    .as(members[0])
    .post('/api/v4/channels')
    .send({ team_id: teamId, name: `c-${newId().slice(0, 10)}`, display_name: 'C', type: 'O' })
    .expect(201);
  for (const m of members.slice(1))
    await h.as(members[0]).post(`/api/v4/channels/${created.body.id}/members`).send({ user_id: m.id }).expect(201);
  return created.body.id;
}

beforeAll(async () => {
  h = await GatewayHarness.start({}, [RemoteClusterModule, SharedChannelSyncModule]);
  db = h.app.get(DataSource);
  wsUrl = (await h.listen()).replace('http', 'ws') + '/api/v4/websocket';
  admin = await h.signUp('rsadmin');
  alice = await h.signUp('rsalice', admin);
  bob = await h.signUp('rsbob', admin);
  carol = await h.signUp('rscarol', admin);
  ({ teamId, channelId } = await h.channelWith([alice, bob, carol]));
});

afterAll(async () => {
  for (const s of sockets) s.ws.terminate();
  await h?.close();
});

describe('channel counters after local posts', () => {
  it('counts posts and root posts on the channel; the author has read them, the others have not', async () => {
    const ch = await newChannel([alice, bob]);
    const root = await post(alice, ch, 'hello');
    await post(alice, ch, 'a reply', { root_id: root.id });
    const c = await channel(alice, ch);
    expect(c.total_msg_count).toBe(2);
    expect(c.total_msg_count_root).toBe(1);
    expect(c.last_root_post_at).toBe(root.create_at);
    const a = await member(alice, ch);
    expect(a).toMatchObject({ msg_count: 2, msg_count_root: 1, mention_count: 0 });
    expect(a.last_viewed_at).toBeGreaterThanOrEqual(root.create_at);
    const b = await member(bob, ch);
    expect(b).toMatchObject({ msg_count: 0, msg_count_root: 0, mention_count: 0 });
    const unread = (await h.as(bob).get(`/api/v4/users/me/channels/${ch}/unread`).expect(200)).body;
    expect(unread).toEqual({
      team_id: teamId,
      channel_id: ch,
      msg_count: 2,
      mention_count: 0,
      mention_count_root: 0,
      urgent_mention_count: 0,
      msg_count_root: 1,
      notify_props: expect.objectContaining({ mark_unread: 'all' }),
    });
  });

  it('counts mentions per member: root-only and urgent apart, never the author, @channel for everyone', async () => {
    const ch = await newChannel([alice, bob, carol]);
    const root = await post(alice, ch, 'hi @rsbob');
    await post(alice, ch, '@rsbob in a thread', { root_id: root.id });
    await post(alice, ch, 'urgent @rsbob', { metadata: { priority: { priority: 'urgent' } } });
    await post(alice, ch, '@channel and @rsalice');
    expect(await member(bob, ch)).toMatchObject({ mention_count: 4, mention_count_root: 3, urgent_mention_count: 1 });
    expect(await member(carol, ch)).toMatchObject({ mention_count: 1, mention_count_root: 1, urgent_mention_count: 0 });
    expect(await member(alice, ch)).toMatchObject({ mention_count: 0 });
  });

  it('counts every post of a direct channel as a mention of the other member', async () => {
    const dm = (await h.as(alice).post('/api/v4/channels/direct').send([alice.id, bob.id]).expect(201)).body.id;
    await post(alice, dm, 'one');
    await post(alice, dm, 'two');
    expect(await member(bob, dm)).toMatchObject({ mention_count: 2, msg_count: 0 });
  });
});

describe('POST /channels/members/{user_id}/view', () => {
  it("resets the member's counters to the channel's, answers the new times and says so on the websocket", async () => {
    const ch = await newChannel([alice, bob]);
    const other = await newChannel([alice, bob]);
    await post(alice, ch, 'hey @rsbob');
    const last = await post(alice, other, 'elsewhere');
    const ws = await events(bob);
    const res = await h.as(bob).post('/api/v4/channels/members/me/view').send({ channel_id: ch, prev_channel_id: other }).expect(200);
    const c = await channel(bob, ch);
    expect(res.body).toEqual({ status: 'OK', last_viewed_at_times: { [ch]: c.last_post_at, [other]: last.create_at } });
    expect(await member(bob, ch)).toMatchObject({ msg_count: 1, msg_count_root: 1, mention_count: 0, last_viewed_at: c.last_post_at });
    expect(await member(bob, other)).toMatchObject({ msg_count: 1, last_viewed_at: last.create_at });
    const multi = await ws.next('multiple_channels_viewed', () => true);
    expect(multi.data.channel_times).toEqual(res.body.last_viewed_at_times);
    await ws.next('channel_viewed', (f) => f.data.channel_id === ch);
    expect((await h.as(bob).get(`/api/v4/users/me/channels/${ch}/unread`).expect(200)).body).toMatchObject({
      msg_count: 0,
      mention_count: 0,
    });
  });

  it('refuses malformed ids, channels the user is not in, and other users', async () => {
    const ch = await newChannel([alice]);
    const bad = await h.as(bob).post('/api/v4/channels/members/me/view').send({ channel_id: 'nope' }).expect(400);
    expect(bad.body).toMatchObject({ id: expect.any(String), status_code: 400 });
    await h.as(bob).post('/api/v4/channels/members/me/view').send({ channel_id: 42 }).expect(400);
    await h.as(bob).post('/api/v4/channels/members/me/view').send({ channel_id: ch }).expect(403);
    await h.as(bob).post(`/api/v4/channels/members/${alice.id}/view`).send({ channel_id: ch }).expect(403);
    expect((await member(alice, ch)).last_viewed_at).toBe(0);
    // Nothing to view: OK with no times (Mattermost's answer when the client switches away from all channels).
    const none = await h.as(bob).post('/api/v4/channels/members/me/view').send({ channel_id: '' }).expect(200);
    expect(none.body).toEqual({ status: 'OK', last_viewed_at_times: {} });
  });
});

describe('membership lists, unread and stats', () => {
  it('lists the memberships of a team (with direct channels) and of a user, paged with team data', async () => {
    const list = (await h.as(carol).get(`/api/v4/users/me/teams/${teamId}/channels/members`).expect(200)).body;
    const ids = list.map((m: { channel_id: string }) => m.channel_id);
    expect(ids).toContain(channelId);
    expect(list[0]).toMatchObject({ user_id: carol.id, msg_count: expect.any(Number), urgent_mention_count: expect.any(Number) });
    const all = (await h.as(carol).get('/api/v4/users/me/channel_members?per_page=200').expect(200)).body;
    expect(all.find((m: { channel_id: string }) => m.channel_id === channelId)).toMatchObject({
      user_id: carol.id,
      team_name: `team-${teamId}`,
      team_display_name: 'Team',
      team_update_at: expect.any(Number),
    });
    const page = (await h.as(carol).get('/api/v4/users/me/channel_members?page=0&per_page=1').expect(200)).body;
    expect(page).toHaveLength(1);
    expect((await h.as(carol).get('/api/v4/users/me/channel_members?page=500&per_page=200').expect(200)).body).toEqual([]);
  });

  it('keeps other users, other teams and malformed ids out', async () => {
    await h.as(bob).get(`/api/v4/users/${carol.id}/teams/${teamId}/channels/members`).expect(403);
    await h.as(bob).get(`/api/v4/users/${carol.id}/channel_members`).expect(403);
    await h.as(bob).get(`/api/v4/users/me/teams/not-an-id/channels/members`).expect(400);
    const stranger = await h.signUp('rsstranger', admin);
    await h.as(stranger).get(`/api/v4/users/me/teams/${teamId}/channels/members`).expect(403);
    await h.as(stranger).get(`/api/v4/users/me/channels/${channelId}/unread`).expect(403);
    await h.as(bob).get(`/api/v4/users/${carol.id}/channels/${channelId}/unread`).expect(403);
    await h.as(bob).get(`/api/v4/users/me/channels/bad/unread`).expect(400);
    // The admin may look at anyone's.
    await h.as(admin).get(`/api/v4/users/${carol.id}/channel_members`).expect(200);
  });

  it('answers channel stats to those who may read the channel', async () => {
    const ch = await newChannel([alice, bob]);
    const p = await post(alice, ch, 'pin me');
    await h.as(alice).post(`/api/v4/posts/${p.id}/pin`).expect(200);
    const stats = (await h.as(bob).get(`/api/v4/channels/${ch}/stats`).expect(200)).body;
    expect(stats).toEqual({ channel_id: ch, member_count: 2, guest_count: 0, pinnedpost_count: 1, files_count: 0 });
    const { channelId: priv } = await h.channelWith([alice], 'P');
    await h.as(bob).get(`/api/v4/channels/${priv}/stats`).expect(404);
    await h.as(bob).get(`/api/v4/channels/nope/stats`).expect(400);
  });
});

describe('membership notices', () => {
  it('writes join, add, leave and remove notices with their props; they do not make the channel unread', async () => {
    const ch = await newChannel([alice]);
    await h.as(bob).post(`/api/v4/channels/${ch}/members`).send({ user_id: bob.id }).expect(201);
    await h.as(alice).post(`/api/v4/channels/${ch}/members`).send({ user_id: carol.id }).expect(201);
    await h.as(bob).delete(`/api/v4/channels/${ch}/members/${bob.id}`).expect(200);
    await h.as(alice).delete(`/api/v4/channels/${ch}/members/${carol.id}`).expect(200);
    const list = (await h.as(alice).get(`/api/v4/channels/${ch}/posts`).expect(200)).body;
    const posts = [...list.order].reverse().map((id: string) => list.posts[id]);
    expect(
      posts.map((p: { type: string; message: string; user_id: string; props: unknown }) => [p.type, p.message, p.user_id, p.props]),
    ).toEqual([
      ['system_join_channel', '@rsbob joined the channel.', bob.id, { username: 'rsbob' }],
      [
        'system_add_to_channel',
        '@rscarol added to the channel by @rsalice.',
        alice.id,
        { userId: alice.id, username: 'rsalice', addedUserId: carol.id, addedUsername: 'rscarol' },
      ],
      ['system_leave_channel', '@rsbob left the channel.', bob.id, { username: 'rsbob' }],
      [
        'system_remove_from_channel',
        '@rscarol removed from the channel.',
        alice.id,
        { removedUserId: carol.id, removedUsername: 'rscarol' },
      ],
    ]);
    const c = await channel(alice, ch);
    expect(c.total_msg_count).toBe(0);
    expect(c.last_post_at).toBe(posts[3].create_at);
  });
});

describe('collapsed threads', () => {
  it('follows the root author, the repliers and the mentioned; counts unread replies and mentions per follower', async () => {
    // Users of their own, so that the totals are this test's.
    const [alice, bob, carol] = [await h.signUp('thra', admin), await h.signUp('thrb', admin), await h.signUp('thrc', admin)];
    const { channelId: ch } = await h.channelWith([alice, bob, carol]);
    const threads = async (user: TestUser, query = '') =>
      (
        await h
          .as(user)
          .get(`/api/v4/users/me/teams/${await teamOf(ch)}/threads${query}`)
          .expect(200)
      ).body;
    const wsAlice = await events(alice);
    const root = await post(alice, ch, 'a thread');
    const reply = await post(bob, ch, 'reply, cc @thrc', { root_id: root.id });

    const forAlice = await threads(alice);
    const t = forAlice.threads.find((x: { id: string }) => x.id === root.id);
    expect(t).toMatchObject({
      id: root.id,
      reply_count: 1,
      last_reply_at: reply.create_at,
      last_viewed_at: 0,
      participants: [{ id: bob.id }],
      unread_replies: 1,
      unread_mentions: 0,
      is_urgent: false,
      delete_at: 0,
      post: expect.objectContaining({ id: root.id, message: 'a thread' }),
    });
    expect(forAlice).toMatchObject({ total: 1, total_unread_threads: 1, total_unread_mentions: 0, total_unread_urgent_mentions: 0 });
    expect((await threads(bob)).threads[0]).toMatchObject({ id: root.id, unread_replies: 0, last_viewed_at: reply.create_at });
    expect(await threads(carol)).toMatchObject({ total: 1, total_unread_mentions: 1, threads: [{ id: root.id, unread_mentions: 1 }] });

    const updated = await wsAlice.next('thread_updated', (f) => JSON.parse(f.data.thread).id === root.id);
    expect(JSON.parse(updated.data.thread)).toMatchObject({ reply_count: 1, unread_replies: 1 });

    const extended = await threads(alice, '?extended=true');
    expect(extended.threads[0].participants[0]).toMatchObject({ id: bob.id, username: 'thrb' });
    expect((await threads(alice, '?unread=true')).threads).toHaveLength(1);
    expect(await threads(alice, '?totalsOnly=true')).toMatchObject({ total: 1, threads: [] });
  });

  it('reads a thread up to a time (backwards too), recounting its mentions; announces thread_read_changed', async () => {
    const ch = await newChannel([alice, bob]);
    const root = await post(alice, ch, 'root');
    const first = await post(bob, ch, '@rsalice one', { root_id: root.id });
    await post(bob, ch, '@rsalice two', { root_id: root.id });
    expect((await h.as(alice).get(`/api/v4/users/me/teams/${teamId}/threads/${root.id}`).expect(200)).body).toMatchObject({
      unread_replies: 2,
      unread_mentions: 2,
    });
    const ws = await events(alice);
    const now = Date.now();
    const read = await h.as(alice).put(`/api/v4/users/me/teams/${teamId}/threads/${root.id}/read/${now}`).expect(200);
    expect(read.body).toMatchObject({ id: root.id, unread_replies: 0, unread_mentions: 0, last_viewed_at: now });
    const ev = await ws.next('thread_read_changed', (f) => f.data.thread_id === root.id);
    expect(ev.data).toMatchObject({
      timestamp: now,
      unread_mentions: 0,
      unread_replies: 0,
      previous_unread_mentions: 2,
      previous_unread_replies: 2,
    });
    const back = await h.as(alice).put(`/api/v4/users/me/teams/${teamId}/threads/${root.id}/read/${first.create_at}`).expect(200);
    expect(back.body).toMatchObject({ unread_replies: 1, unread_mentions: 1 });
  });

  it('unfollows and follows again (thread_follow_changed), and marks every thread read', async () => {
    const ch = await newChannel([alice, bob]);
    const root = await post(alice, ch, 'root');
    await post(bob, ch, 'reply', { root_id: root.id });
    const ws = await events(alice);
    await h.as(alice).delete(`/api/v4/users/me/teams/${teamId}/threads/${root.id}/following`).expect(200);
    expect((await ws.next('thread_follow_changed', (f) => f.data.thread_id === root.id)).data).toEqual({
      thread_id: root.id,
      state: false,
      reply_count: 1,
    });
    expect((await threads(alice)).threads.map((t: { id: string }) => t.id)).not.toContain(root.id);
    await h.as(alice).get(`/api/v4/users/me/teams/${teamId}/threads/${root.id}`).expect(404);
    await h.as(alice).put(`/api/v4/users/me/teams/${teamId}/threads/${root.id}/following`).expect(200);
    expect((await threads(alice)).threads.map((t: { id: string }) => t.id)).toContain(root.id);

    await h.as(alice).put(`/api/v4/users/me/teams/${teamId}/threads/read`).expect(200);
    const after = await threads(alice);
    expect(after).toMatchObject({ total_unread_threads: 0, total_unread_mentions: 0 });
    await ws.next('thread_read_changed', (f) => f.data.thread_id === undefined && f.broadcast.team_id === teamId);
  });

  it('lists threads changed since a time, and reads the threads of a channel viewed by a client without collapsed threads', async () => {
    const ch = await newChannel([alice, bob]);
    const root = await post(alice, ch, 'root');
    const since = Date.now();
    await post(bob, ch, '@rsalice look', { root_id: root.id });
    expect((await threads(alice, `?since=${since}`)).threads.map((t: { id: string }) => t.id)).toContain(root.id);
    expect((await threads(alice, `?since=${Date.now() + 60_000}`)).threads).toEqual([]);

    const ws = await events(alice);
    await h.as(alice).post('/api/v4/channels/members/me/view').send({ channel_id: ch, collapsed_threads_supported: false }).expect(200);
    expect((await h.as(alice).get(`/api/v4/users/me/teams/${teamId}/threads/${root.id}`).expect(200)).body).toMatchObject({
      unread_replies: 0,
      unread_mentions: 0,
    });
    const ev = await ws.next('thread_read_changed', (f) => f.broadcast.channel_id === ch);
    expect(ev.data.timestamp).toEqual(expect.any(Number));
  });

  it('pages with before/after cursors, newest reply first', async () => {
    const ch = await newChannel([alice, bob]);
    const roots = [];
    for (const m of ['p1', 'p2', 'p3']) {
      const r = await post(bob, ch, m);
      await post(alice, ch, `re ${m}`, { root_id: r.id });
      roots.push(r.id);
    }
    const mine = (await threads(alice, '?per_page=2')).threads.map((t: { id: string }) => t.id);
    expect(mine.slice(0, 2)).toEqual([roots[2], roots[1]]);
    const older = (await threads(alice, `?per_page=2&before=${roots[1]}`)).threads.map((t: { id: string }) => t.id);
    expect(older[0]).toBe(roots[0]);
    const newer = (await threads(alice, `?per_page=1&after=${roots[0]}`)).threads.map((t: { id: string }) => t.id);
    expect(newer).toEqual([roots[1]]);
  });

  it('refuses malformed input, other users and threads one cannot read', async () => {
    const { channelId: priv } = await h.channelWith([alice], 'P');
    const secret = await post(alice, priv, 'secret');
    await h.as(bob).get(`/api/v4/users/me/teams/${teamId}/threads/${secret.id}`).expect(404);
    await h.as(bob).put(`/api/v4/users/me/teams/${teamId}/threads/${secret.id}/following`).expect(404);
    await h.as(bob).put(`/api/v4/users/me/teams/${teamId}/threads/${secret.id}/read/1`).expect(404);
    await h.as(bob).get(`/api/v4/users/me/teams/${teamId}/threads/bad-id`).expect(400);
    await h.as(bob).put(`/api/v4/users/me/teams/${teamId}/threads/${secret.id}/read/abc`).expect(400);
    await h.as(bob).get(`/api/v4/users/me/teams/${teamId}/threads?before=bad`).expect(400);
    await h.as(bob).get(`/api/v4/users/me/teams/${teamId}/threads?since=yesterday`).expect(400);
    await h.as(bob).get(`/api/v4/users/${alice.id}/teams/${teamId}/threads`).expect(403);
    await h.as(bob).get(`/api/v4/users/me/teams/nope/threads`).expect(400);
    const stranger = await h.signUp('rsstranger2', admin);
    await h.as(stranger).get(`/api/v4/users/me/teams/${teamId}/threads`).expect(403);
  });
});

describe('posts received from a peer', () => {
  const R = newId();
  const remoteAuthor = newId();
  let shared: string;

  function send(payload: Record<string, unknown>): Promise<PeerResponse> {
    return h.app
      .get(Bus)
      .request(SYNC, { remote_id: R, msg: { id: newId(), topic: 'sharedchannel_sync', create_at: Date.now(), payload } });
  }

  beforeAll(async () => {
    shared = await newChannel([alice, bob]);
    await db.query(
      `INSERT INTO remote_clusters (remote_id, name, display_name, site_url, create_at, creator_id) VALUES ($1, 'peer-rs', 'peer-rs', 'http://peer-rs.invalid', 1, $2)`,
      [R, admin.id],
    );
    await db.query(`INSERT INTO shared_channels (channel_id, team_id, home, share_name, creator_id) VALUES ($1, $2, true, 'x', $3)`, [
      shared,
      teamId,
      alice.id,
    ]);
    await db.query(`UPDATE channels SET shared = true WHERE id = $1`, [shared]);
    await db.query(
      `INSERT INTO shared_channel_remotes (id, channel_id, creator_id, remote_id, is_invite_accepted, is_invite_confirmed, last_post_update_at)
       VALUES ($1, $2, $3, $4, true, true, $5)`,
      [newId(), shared, alice.id, R, Date.now() + 3_600_000],
    );
  });

  it('moves the same counters as a local post: totals, mentions, and the threads of local followers', async () => {
    const root = await post(alice, shared, 'local root');
    const wsAlice = await events(alice);
    const at = Date.now();
    const user = { id: remoteAuthor, username: 'dora', email: 'dora@peer.example', update_at: at };
    const reply = {
      id: newId(),
      user_id: remoteAuthor,
      channel_id: shared,
      root_id: root.id,
      create_at: at,
      update_at: at,
      message: 'hi @rsbob',
    };
    const top = { id: newId(), user_id: remoteAuthor, channel_id: shared, create_at: at + 1, update_at: at + 1, message: 'a new topic' };
    const res = await send({ id: newId(), channel_id: shared, users: { [remoteAuthor]: user }, posts: [reply, top] });
    expect(res.status).toBe('OK');
    expect(res.payload).toMatchObject({ post_errors: [] });

    const c = await channel(alice, shared);
    expect(c).toMatchObject({ total_msg_count: 3, total_msg_count_root: 2, last_post_at: at + 1, last_root_post_at: at + 1 });
    expect(await member(bob, shared)).toMatchObject({ msg_count: 0, mention_count: 1, mention_count_root: 0 });
    expect((await h.as(alice).get(`/api/v4/users/me/channels/${shared}/unread`).expect(200)).body).toMatchObject({
      msg_count: 2,
      msg_count_root: 1,
    });
    expect((await threads(alice)).threads.find((t: { id: string }) => t.id === root.id)).toMatchObject({
      reply_count: 1,
      unread_replies: 1,
      participants: [{ id: remoteAuthor }],
    });
    expect((await threads(bob)).threads.find((t: { id: string }) => t.id === root.id)).toMatchObject({ unread_mentions: 1 });
    await wsAlice.next('thread_updated', (f) => JSON.parse(f.data.thread).id === root.id);

    // The same message again (a retry) counts nothing twice.
    await send({ id: newId(), channel_id: shared, users: { [remoteAuthor]: user }, posts: [reply, top] });
    expect((await channel(alice, shared)).total_msg_count).toBe(3);
  });
});
