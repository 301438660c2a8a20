import { Client4 } from '@mattermost/client';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { DataSource } from 'typeorm';
import { WebSocketEventMessage, WebSocketEventPublished } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { Channel, ChannelMember, FileInfo, Team, TeamMember } from '@fedchat/models';
import { tapEvents, waitFor } from '@fedchat/testing';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

let h: GatewayHarness;
let ds: DataSource;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let teamId: string;
let town: string;
let priv: string;
const events: WebSocketEventMessage[] = [];

async function makeTeam(name: string, members: TestUser[]): Promise<string> {
  const id = newId();
  const now = Date.now();
  await ds.getRepository(Team).insert({ id, name, display_name: name, type: 'O', create_at: now, update_at: now });
  for (const m of members) await ds.getRepository(TeamMember).insert({ team_id: id, user_id: m.id, roles: 'team_user', create_at: now });
  return id;
}

async function makeChannel(team: string, name: string, type: 'O' | 'P' | 'D', members: TestUser[]): Promise<string> {
  const id = newId();
  const now = Date.now();
  await ds
    .getRepository(Channel)
    .insert({ id, team_id: team, name, display_name: name.toUpperCase(), type, create_at: now, update_at: now });
  for (const m of members) await ds.getRepository(ChannelMember).insert({ channel_id: id, user_id: m.id, notify_props: {} });
  return id;
}

async function makeFile(owner: TestUser, channelId: string): Promise<string> {
  const id = newId();
  await ds.getRepository(FileInfo).insert({
    id,
    creator_id: owner.id,
    channel_id: channelId,
    post_id: '',
    name: 'notes.txt',
    extension: 'txt',
    path: `data/${id}/notes.txt`,
    mime_type: 'text/plain',
    size: 5,
    create_at: Date.now(),
  });
  return id;
}

async function post(user: TestUser, channelId: string, message: string, extra: Record<string, unknown> = {}) {
  const res = await h
    .as(user)
    .post('/api/v4/posts')
    .send({ channel_id: channelId, message, ...extra })
    .expect(201);
  return res.body;
}

function nextEvent(match: (e: WebSocketEventMessage) => boolean, what: string): Promise<WebSocketEventMessage> {
  return waitFor(what, async () => events.find(match), 5_000, 10);
}

beforeAll(async () => {
  h = await GatewayHarness.start();
  ds = h.app.get(DataSource);
  tapEvents(h.app, WebSocketEventPublished, (e) => {
    events.push(e);
  });
  admin = await h.signUp('padmin');
  alice = await h.signUp('alice', admin);
  bob = await h.signUp('bob', admin);
  carol = await h.signUp('carol', admin);
  teamId = await makeTeam('team-one', [alice, bob, carol]);
  town = await makeChannel(teamId, 'town-square', 'O', [alice, bob]);
  priv = await makeChannel(teamId, 'secret', 'P', [alice]);
});
afterAll(async () => {
  await h?.close();
});

describe('creating and reading posts', () => {
  it('creates a post, returns it in Mattermost shape, updates the channel and announces it', async () => {
    const before = await ds.getRepository(Channel).findOneByOrFail({ id: town });
    const created = await post(alice, town, 'hello @bob and #welcome', { pending_post_id: `${alice.id}:123` });
    expect(created).toMatchObject({
      channel_id: town,
      user_id: alice.id,
      message: 'hello @bob and #welcome',
      root_id: '',
      original_id: '',
      type: '',
      props: {},
      hashtags: '#welcome',
      file_ids: [],
      pending_post_id: `${alice.id}:123`,
      is_pinned: false,
      edit_at: 0,
      delete_at: 0,
      reply_count: 0,
      participants: null,
      metadata: { embeds: [] },
    });
    expect(created.id).toMatch(/^[a-z0-9]{26}$/);
    expect(created.create_at).toBe(created.update_at);

    const after = await ds.getRepository(Channel).findOneByOrFail({ id: town });
    expect(after.total_msg_count).toBe(before.total_msg_count + 1);
    expect(after.last_post_at).toBe(created.create_at);
    expect(after.last_root_post_at).toBe(created.create_at);

    const ev = await nextEvent((e) => e.event === 'posted' && JSON.parse(e.data.post as string).id === created.id, 'posted');
    expect(typeof ev.data.post).toBe('string');
    expect(ev.data).toMatchObject({
      channel_type: 'O',
      channel_name: 'town-square',
      channel_display_name: 'TOWN-SQUARE',
      sender_name: '@alice',
      team_id: teamId,
      set_online: true,
    });
    expect(JSON.parse(ev.data.mentions as string)).toEqual([bob.id]);
    expect(ev.broadcast.channel_id).toBe(town);
    expect(ev.broadcast.user_ids?.sort()).toEqual([alice.id, bob.id].sort());

    const got = await h.as(bob).get(`/api/v4/posts/${created.id}`).expect(200);
    expect(got.body.message).toBe('hello @bob and #welcome');
    expect(got.body.pending_post_id).toBe('');
  });

  it('rejects bad input with 400', async () => {
    const cases: Record<string, unknown>[] = [
      { channel_id: 'nope', message: 'x' },
      { channel_id: town, message: '' },
      { channel_id: town, message: '   ' },
      { channel_id: town, message: 'x'.repeat(16384) },
      { channel_id: town, message: 42 },
      { channel_id: town, message: 'x', root_id: 'bad' },
      { channel_id: town, message: 'x', root_id: newId() },
      { channel_id: town, message: 'x', type: 'system_join_channel' },
      { channel_id: town, message: 'x', file_ids: ['bad'] },
      { channel_id: town, message: 'x', file_ids: Array.from({ length: 11 }, () => newId()) },
      { channel_id: town, message: 'x', props: 'nope' },
      { channel_id: town, message: 'x', metadata: { priority: { priority: 'whenever' } } },
      { message: 'no channel' },
      { channel_id: town, message: 'nul \u0000 byte' },
      { channel_id: town, message: 'x', props: { k: 'nul \u0000' } },
    ];
    for (const body of cases) {
      const res = await h.as(alice).post('/api/v4/posts').send(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.status_code).toBe(400);
      expect(typeof res.body.id).toBe('string');
    }
    await h.as(alice).get('/api/v4/posts/not-an-id').expect(400);
    await h.as(alice).get(`/api/v4/posts/${newId()}`).expect(404);
    // Paging is read as on every list (and as Mattermost does): a bad page or per_page means the default, not a 400.
    await h.as(alice).get(`/api/v4/channels/${town}/posts?page=-1`).expect(200);
    await h.as(alice).get(`/api/v4/channels/${town}/posts?per_page=abc`).expect(200);
    await h.as(alice).get(`/api/v4/channels/${town}/posts?before=xyz`).expect(400);
  });

  it('accepts a message of exactly 16383 characters (counted as code points)', async () => {
    await post(alice, town, 'y'.repeat(16383));
    await post(alice, town, '😀'.repeat(16383));
    await h
      .as(alice)
      .post('/api/v4/posts')
      .send({ channel_id: town, message: '😀'.repeat(16384) })
      .expect(400);
  });

  it('enforces channel access: non-members cannot post, private channels are invisible, admins read anything', async () => {
    const res = await h.as(carol).post('/api/v4/posts').send({ channel_id: town, message: 'let me in' }).expect(403);
    expect(res.body.id).toBe('api.context.permissions.app_error');
    // Carol is in the team, so she may read the open channel without joining (Mattermost), but not the private one.
    await h.as(carol).get(`/api/v4/channels/${town}/posts`).expect(200);
    const secret = await post(alice, priv, 'classified');
    await h.as(carol).post('/api/v4/posts').send({ channel_id: priv, message: 'x' }).expect(404);
    await h.as(carol).get(`/api/v4/posts/${secret.id}`).expect(404);
    await h.as(carol).get(`/api/v4/channels/${priv}/posts`).expect(404);
    await h.as(carol).get(`/api/v4/channels/${priv}/pinned`).expect(404);
    await h.as(admin).get(`/api/v4/posts/${secret.id}`).expect(200);
    // Unauthenticated callers get 401.
    await h.http.get(`/api/v4/posts/${secret.id}`).expect(401);
  });

  it('attaches the caller’s own unattached uploads in the channel, once', async () => {
    const f1 = await makeFile(alice, town);
    const f2 = await makeFile(alice, town);
    const created = await post(alice, town, '', { file_ids: [f1, f2] });
    expect(created.file_ids).toEqual([f1, f2]);
    expect(created.metadata.files.map((f: { id: string }) => f.id).sort()).toEqual([f1, f2].sort());
    expect(created.metadata.files[0]).toMatchObject({ name: 'notes.txt', post_id: created.id, user_id: alice.id });
    const rows = await ds.getRepository(FileInfo).findBy({ post_id: created.id });
    expect(rows).toHaveLength(2);

    const reuse = await h
      .as(alice)
      .post('/api/v4/posts')
      .send({ channel_id: town, message: 'again', file_ids: [f1] })
      .expect(400);
    expect(reuse.body.id).toBe('api.post.create_post.file_ids.app_error');
    const bobsFile = await makeFile(bob, town);
    await h
      .as(alice)
      .post('/api/v4/posts')
      .send({ channel_id: town, message: 'not mine', file_ids: [bobsFile] })
      .expect(400);
    const elsewhere = await makeFile(alice, priv);
    await h
      .as(alice)
      .post('/api/v4/posts')
      .send({ channel_id: town, message: 'wrong channel', file_ids: [elsewhere] })
      .expect(400);
    // A failed post leaves no trace: the file stays unattached and usable.
    expect((await ds.getRepository(FileInfo).findOneByOrFail({ id: elsewhere })).post_id).toBe('');
  });

  it('round-trips priority metadata and refuses it on replies', async () => {
    const created = await post(alice, town, 'urgent thing', {
      metadata: { priority: { priority: 'urgent', requested_ack: true, persistent_notifications: true }, embeds: [] },
    });
    expect(created.metadata.priority).toEqual({ priority: 'urgent', requested_ack: true, persistent_notifications: true });
    const got = await h.as(bob).get(`/api/v4/posts/${created.id}`).expect(200);
    expect(got.body.metadata.priority).toEqual({ priority: 'urgent', requested_ack: true, persistent_notifications: true });

    const important = await post(alice, town, 'fyi', { metadata: { priority: { priority: 'important' } } });
    expect(important.metadata.priority).toEqual({ priority: 'important', requested_ack: false, persistent_notifications: false });
    const none = await post(alice, town, 'plain', { metadata: { priority: { priority: '' } } });
    expect(none.metadata.priority).toBeUndefined();

    await h
      .as(alice)
      .post('/api/v4/posts')
      .send({ channel_id: town, message: 're', root_id: created.id, metadata: { priority: { priority: 'important' } } })
      .expect(400);
    await h
      .as(alice)
      .post('/api/v4/posts')
      .send({ channel_id: town, message: 'loud', metadata: { priority: { priority: 'important', persistent_notifications: true } } })
      .expect(400);
  });
});

describe('editing and deleting', () => {
  it('lets the author edit (PUT and patch), sets edit_at only when the message changes, and announces edits', async () => {
    const p = await post(alice, town, 'first draft');
    await new Promise((r) => setTimeout(r, 5));
    const put = await h
      .as(alice)
      .put(`/api/v4/posts/${p.id}`)
      .send({ ...p, message: 'second draft' })
      .expect(200);
    expect(put.body.message).toBe('second draft');
    expect(put.body.edit_at).toBeGreaterThan(p.create_at);
    expect(put.body.update_at).toBe(put.body.edit_at);
    const ev = await nextEvent((e) => e.event === 'post_edited' && JSON.parse(e.data.post as string).message === 'second draft', 'edited');
    expect(typeof ev.data.post).toBe('string');

    await h
      .as(alice)
      .put(`/api/v4/posts/${p.id}`)
      .send({ ...p, id: newId() })
      .expect(400);

    await new Promise((r) => setTimeout(r, 5));
    const patched = await h
      .as(alice)
      .put(`/api/v4/posts/${p.id}/patch`)
      .send({ props: { custom: 'x' } })
      .expect(200);
    expect(patched.body.props).toEqual({ custom: 'x' });
    expect(patched.body.message).toBe('second draft');
    expect(patched.body.edit_at).toBe(put.body.edit_at);
    expect(patched.body.update_at).toBeGreaterThan(put.body.update_at);

    await h.as(alice).put(`/api/v4/posts/${p.id}/patch`).send({ message: '' }).expect(400);
    await h.as(alice).put(`/api/v4/posts/${p.id}/patch`).send({ message: 7 }).expect(400);
    await h.as(alice).put(`/api/v4/posts/not-an-id/patch`).send({ message: 'x' }).expect(400);
  });

  it('forbids editing or deleting others’ posts, except for admins', async () => {
    const p = await post(alice, town, 'mine');
    const res = await h.as(bob).put(`/api/v4/posts/${p.id}/patch`).send({ message: 'yours now' }).expect(403);
    expect(res.body.id).toBe('api.context.permissions.app_error');
    await h.as(bob).delete(`/api/v4/posts/${p.id}`).expect(403);
    const byAdmin = await h.as(admin).put(`/api/v4/posts/${p.id}/patch`).send({ message: 'moderated' }).expect(200);
    expect(byAdmin.body.message).toBe('moderated');
    expect(byAdmin.body.user_id).toBe(alice.id);
    await h.as(admin).delete(`/api/v4/posts/${p.id}`).expect(200);
  });

  it('soft-deletes a root with its replies; deleted posts are 404 but appear (emptied) in since queries', async () => {
    const root = await post(alice, town, 'root to delete');
    const reply = await post(bob, town, 'reply to go', { root_id: root.id });
    const f = await makeFile(alice, town);
    await post(alice, town, 'with file', { root_id: root.id, file_ids: [f] });
    const since = Date.now();
    await new Promise((r) => setTimeout(r, 2));

    const res = await h.as(alice).delete(`/api/v4/posts/${root.id}`).expect(200);
    expect(res.body).toEqual({ status: 'OK' });
    const ev = await nextEvent((e) => e.event === 'post_deleted' && JSON.parse(e.data.post as string).id === root.id, 'deleted');
    expect(ev.data.delete_by).toBe(alice.id);

    await h.as(alice).get(`/api/v4/posts/${root.id}`).expect(404);
    await h.as(alice).get(`/api/v4/posts/${reply.id}`).expect(404);
    await h.as(alice).get(`/api/v4/posts/${root.id}/thread`).expect(404);
    await h.as(alice).delete(`/api/v4/posts/${root.id}`).expect(404);
    await h.as(alice).post('/api/v4/posts').send({ channel_id: town, message: 'late', root_id: root.id }).expect(400);
    expect((await ds.getRepository(FileInfo).findOneByOrFail({ id: f })).delete_at).toBeGreaterThan(0);
    const admin404 = await h.as(admin).get(`/api/v4/posts/${root.id}?include_deleted=true`).expect(200);
    expect(admin404.body.delete_at).toBeGreaterThan(0);

    const changed = await h.as(alice).get(`/api/v4/channels/${town}/posts?since=${since}`).expect(200);
    expect(changed.body.order).toEqual(expect.arrayContaining([root.id, reply.id]));
    expect(changed.body.posts[root.id]).toMatchObject({ delete_at: expect.any(Number), message: '', metadata: { embeds: [] } });
    expect(changed.body.posts[root.id].delete_at).toBeGreaterThan(0);
    const page = await h.as(alice).get(`/api/v4/channels/${town}/posts`).expect(200);
    expect(page.body.order).not.toContain(root.id);
  });
});

describe('threads', () => {
  it('returns the root and all replies newest first, counts replies, and rejects replies to replies', async () => {
    const root = await post(alice, town, 'thread root');
    const r1 = await post(bob, town, 'reply one', { root_id: root.id });
    const r2 = await post(alice, town, 'reply two', { root_id: root.id });
    expect(r1.reply_count).toBe(1);
    expect(r2.reply_count).toBe(2);

    const nested = await h.as(bob).post('/api/v4/posts').send({ channel_id: town, message: 'deeper', root_id: r1.id }).expect(400);
    expect(nested.body.id).toBe('api.post.create_post.root_id.app_error');
    const other = await makeChannel(teamId, 'elsewhere', 'O', [alice, bob]);
    await h.as(bob).post('/api/v4/posts').send({ channel_id: other, message: 'cross', root_id: root.id }).expect(400);

    const thread = await h.as(bob).get(`/api/v4/posts/${root.id}/thread`).expect(200);
    expect(thread.body.order).toEqual([r2.id, r1.id, root.id]);
    expect(thread.body.posts[root.id].reply_count).toBe(2);
    expect(thread.body.posts[root.id].last_reply_at).toBe(r2.create_at);
    expect(thread.body.has_next).toBe(false);
    const viaReply = await h.as(bob).get(`/api/v4/posts/${r1.id}/thread`).expect(200);
    expect(viaReply.body.order).toEqual(thread.body.order);

    // The root's update_at moves with its replies (clients syncing with `since` see the thread change).
    const rootNow = await h.as(bob).get(`/api/v4/posts/${root.id}`).expect(200);
    expect(rootNow.body.update_at).toBeGreaterThanOrEqual(r2.create_at);

    // Paginated as Client4's getPostThread asks for it.
    const first = await h.as(bob).get(`/api/v4/posts/${root.id}/thread?perPage=1&direction=down`).expect(200);
    expect(first.body.order).toEqual([r1.id, root.id]);
    expect(first.body.has_next).toBe(true);
    const second = await h.as(bob).get(`/api/v4/posts/${root.id}/thread?perPage=1&direction=down&fromPost=${r1.id}`).expect(200);
    expect(second.body.order).toEqual([r2.id, root.id]);
    expect(second.body.has_next).toBe(false);
  });

  it('adds the roots of listed replies to the post list (not to the order)', async () => {
    const ch = await makeChannel(teamId, 'threads-list', 'O', [alice, bob]);
    const root = await post(alice, ch, 'old root');
    for (let i = 0; i < 3; i++) await post(alice, ch, `filler ${i}`);
    const reply = await post(bob, ch, 'late reply', { root_id: root.id });
    const res = await h.as(alice).get(`/api/v4/channels/${ch}/posts?per_page=1`).expect(200);
    expect(res.body.order).toEqual([reply.id]);
    expect(Object.keys(res.body.posts).sort()).toEqual([reply.id, root.id].sort());
    const skip = await h.as(alice).get(`/api/v4/channels/${ch}/posts?per_page=1&skipFetchThreads=true`).expect(200);
    expect(Object.keys(skip.body.posts)).toEqual([reply.id]);
    // Collapsed reply threads: root posts only, cursors included.
    const crt = await h.as(alice).get(`/api/v4/channels/${ch}/posts?per_page=2&collapsedThreads=true`).expect(200);
    expect(crt.body.order.map((id: string) => crt.body.posts[id].message)).toEqual(['filler 2', 'filler 1']);
    expect(crt.body.posts[crt.body.order[0]].reply_count).toBe(0);
    const rootJson = (await h.as(alice).get(`/api/v4/channels/${ch}/posts?collapsedThreads=true`).expect(200)).body.posts[root.id];
    expect(rootJson).toMatchObject({ reply_count: 1, last_reply_at: reply.create_at });
  });
});

describe('channel post lists', () => {
  let ch: string;
  let ids: string[];
  beforeAll(async () => {
    ch = await makeChannel(teamId, 'paging', 'O', [alice, bob]);
    ids = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await post(alice, ch, `message ${i}`)).id);
      await new Promise((r) => setTimeout(r, 2));
    }
  });

  it('pages newest first with cursors', async () => {
    const p0 = await h.as(bob).get(`/api/v4/channels/${ch}/posts?page=0&per_page=3`).expect(200);
    expect(p0.body.order).toEqual([ids[6], ids[5], ids[4]]);
    expect(p0.body.next_post_id).toBe('');
    expect(p0.body.prev_post_id).toBe(ids[3]);
    expect(p0.body.first_inaccessible_post_time).toBe(0);
    const p1 = await h.as(bob).get(`/api/v4/channels/${ch}/posts?page=1&per_page=3`).expect(200);
    expect(p1.body.order).toEqual([ids[3], ids[2], ids[1]]);
    expect(p1.body.next_post_id).toBe(ids[4]);
    expect(p1.body.prev_post_id).toBe(ids[0]);
    const p2 = await h.as(bob).get(`/api/v4/channels/${ch}/posts?page=2&per_page=3`).expect(200);
    expect(p2.body.order).toEqual([ids[0]]);
    expect(p2.body.prev_post_id).toBe('');
    const all = await h.as(bob).get(`/api/v4/channels/${ch}/posts`).expect(200);
    expect(all.body.order).toEqual([...ids].reverse());
    const big = await h.as(bob).get(`/api/v4/channels/${ch}/posts?per_page=100000`).expect(200);
    expect(big.body.order).toHaveLength(7);
  });

  it('lists before and after a post', async () => {
    const before = await h.as(bob).get(`/api/v4/channels/${ch}/posts?before=${ids[4]}&per_page=2`).expect(200);
    expect(before.body.order).toEqual([ids[3], ids[2]]);
    expect(before.body.next_post_id).toBe(ids[4]);
    expect(before.body.prev_post_id).toBe(ids[1]);
    const before2 = await h.as(bob).get(`/api/v4/channels/${ch}/posts?before=${ids[4]}&per_page=2&page=1`).expect(200);
    expect(before2.body.order).toEqual([ids[1], ids[0]]);
    const oldest = await h.as(bob).get(`/api/v4/channels/${ch}/posts?before=${ids[1]}&per_page=5`).expect(200);
    expect(oldest.body.order).toEqual([ids[0]]);
    expect(oldest.body.prev_post_id).toBe('');

    const after = await h.as(bob).get(`/api/v4/channels/${ch}/posts?after=${ids[2]}&per_page=2`).expect(200);
    expect(after.body.order).toEqual([ids[4], ids[3]]);
    expect(after.body.prev_post_id).toBe(ids[2]);
    expect(after.body.next_post_id).toBe(ids[5]);
    const newest = await h.as(bob).get(`/api/v4/channels/${ch}/posts?after=${ids[5]}&per_page=5`).expect(200);
    expect(newest.body.order).toEqual([ids[6]]);
    expect(newest.body.next_post_id).toBe('');

    const unknown = await h.as(bob).get(`/api/v4/channels/${ch}/posts?after=${newId()}`).expect(200);
    expect(unknown.body.order).toEqual([]);
  });

  it('returns everything changed since a time, edits included', async () => {
    const sinceAll = await h.as(bob).get(`/api/v4/channels/${ch}/posts?since=1`).expect(200);
    expect(sinceAll.body.order).toEqual([...ids].reverse());
    const mark = Date.now();
    await new Promise((r) => setTimeout(r, 2));
    await h.as(alice).put(`/api/v4/posts/${ids[1]}/patch`).send({ message: 'message 1 (edited)' }).expect(200);
    const changed = await h.as(bob).get(`/api/v4/channels/${ch}/posts?since=${mark}`).expect(200);
    expect(changed.body.order).toEqual([ids[1]]);
    expect(changed.body.posts[ids[1]].message).toBe('message 1 (edited)');
    expect(changed.body.next_post_id).toBe('');
    expect(changed.body.prev_post_id).toBe('');
  });

  it('lists posts around the last viewed one (getPostsUnread)', async () => {
    const viewedAt = (await h.as(bob).get(`/api/v4/posts/${ids[4]}`).expect(200)).body.create_at;
    await ds.getRepository(ChannelMember).update({ channel_id: ch, user_id: bob.id }, { last_viewed_at: viewedAt });
    const res = await h.as(bob).get(`/api/v4/users/${bob.id}/channels/${ch}/posts/unread?limit_before=2&limit_after=1`).expect(200);
    expect(res.body.order).toEqual([ids[5], ids[4], ids[3]]);
    expect(res.body.next_post_id).toBe(ids[6]);
    expect(res.body.prev_post_id).toBe(ids[2]);
    await h.as(alice).get(`/api/v4/users/${bob.id}/channels/${ch}/posts/unread`).expect(403);
  });

  it('pins and unpins', async () => {
    const before = (await h.as(bob).get(`/api/v4/posts/${ids[2]}`).expect(200)).body;
    await new Promise((r) => setTimeout(r, 2));
    expect((await h.as(bob).post(`/api/v4/posts/${ids[2]}/pin`).expect(200)).body).toEqual({ status: 'OK' });
    const pinned = (await h.as(bob).get(`/api/v4/posts/${ids[2]}`).expect(200)).body;
    expect(pinned.is_pinned).toBe(true);
    expect(pinned.update_at).toBeGreaterThan(before.update_at);
    expect(pinned.edit_at).toBe(before.edit_at);
    await nextEvent((e) => e.event === 'post_edited' && JSON.parse(e.data.post as string).id === ids[2], 'pin edit');
    await h.as(alice).post(`/api/v4/posts/${ids[5]}/pin`).expect(200);
    const list = await h.as(bob).get(`/api/v4/channels/${ch}/pinned`).expect(200);
    expect(list.body.order).toEqual([ids[5], ids[2]]);
    await h.as(carol).post(`/api/v4/posts/${ids[5]}/unpin`).expect(403);
    await h.as(alice).post(`/api/v4/posts/${ids[5]}/unpin`).expect(200);
    const after = await h.as(bob).get(`/api/v4/channels/${ch}/pinned`).expect(200);
    expect(after.body.order).toEqual([ids[2]]);
  });
});

describe('reactions', () => {
  it('adds idempotently, lists, shows in metadata, removes, and bumps the post', async () => {
    const p = await post(alice, town, 'react to me');
    await new Promise((r) => setTimeout(r, 2));
    const add = await h.as(bob).post('/api/v4/reactions').send({ user_id: bob.id, post_id: p.id, emoji_name: 'thumbsup' }).expect(201);
    expect(add.body).toEqual({
      user_id: bob.id,
      post_id: p.id,
      emoji_name: 'thumbsup',
      create_at: expect.any(Number),
      update_at: add.body.create_at,
      delete_at: 0,
      remote_id: '',
      channel_id: town,
    });
    const ev = await nextEvent((e) => e.event === 'reaction_added' && JSON.parse(e.data.reaction as string).post_id === p.id, 'reaction');
    expect(JSON.parse(ev.data.reaction as string).emoji_name).toBe('thumbsup');

    const again = await h.as(bob).post('/api/v4/reactions').send({ user_id: bob.id, post_id: p.id, emoji_name: 'thumbsup' }).expect(201);
    expect(again.body.create_at).toBe(add.body.create_at);
    expect(events.filter((e) => e.event === 'reaction_added' && JSON.parse(e.data.reaction as string).post_id === p.id)).toHaveLength(1);
    await h.as(alice).post('/api/v4/reactions').send({ user_id: alice.id, post_id: p.id, emoji_name: '+1' }).expect(201);

    const list = await h.as(alice).get(`/api/v4/posts/${p.id}/reactions`).expect(200);
    expect(list.body.map((r: { emoji_name: string }) => r.emoji_name)).toEqual(['thumbsup', '+1']);
    const withMeta = (await h.as(alice).get(`/api/v4/posts/${p.id}`).expect(200)).body;
    expect(withMeta.has_reactions).toBe(true);
    expect(withMeta.metadata.reactions).toHaveLength(2);
    expect(withMeta.update_at).toBeGreaterThan(p.update_at);

    expect((await h.as(bob).delete(`/api/v4/users/${bob.id}/posts/${p.id}/reactions/thumbsup`).expect(200)).body).toEqual({ status: 'OK' });
    await nextEvent((e) => e.event === 'reaction_removed' && JSON.parse(e.data.reaction as string).post_id === p.id, 'removed');
    await h.as(bob).delete(`/api/v4/users/${bob.id}/posts/${p.id}/reactions/thumbsup`).expect(200);
    await h.as(alice).delete(`/api/v4/users/${alice.id}/posts/${p.id}/reactions/+1`).expect(200);
    const bare = (await h.as(alice).get(`/api/v4/posts/${p.id}`).expect(200)).body;
    expect(bare.has_reactions).toBeUndefined();
    expect(bare.metadata.reactions).toBeUndefined();
    expect((await h.as(alice).get(`/api/v4/posts/${p.id}/reactions`).expect(200)).body).toEqual([]);

    // A removed reaction can come back.
    const back = await h.as(bob).post('/api/v4/reactions').send({ user_id: bob.id, post_id: p.id, emoji_name: 'thumbsup' }).expect(201);
    expect(back.body.delete_at).toBe(0);
  });

  it('validates reactions and who may react', async () => {
    const p = await post(alice, town, 'strict');
    const bad = [
      { user_id: alice.id, post_id: p.id, emoji_name: 'Thumbs Up' },
      { user_id: alice.id, post_id: p.id, emoji_name: '' },
      { user_id: alice.id, post_id: p.id, emoji_name: 'x'.repeat(65) },
      { user_id: alice.id, post_id: 'nope', emoji_name: 'smile' },
      { user_id: alice.id, post_id: p.id },
    ];
    for (const body of bad) await h.as(alice).post('/api/v4/reactions').send(body).expect(400);
    await h.as(alice).post('/api/v4/reactions').send({ user_id: bob.id, post_id: p.id, emoji_name: 'smile' }).expect(403);
    await h.as(carol).post('/api/v4/reactions').send({ user_id: carol.id, post_id: p.id, emoji_name: 'smile' }).expect(403);
    await h.as(alice).post('/api/v4/reactions').send({ user_id: alice.id, post_id: newId(), emoji_name: 'smile' }).expect(404);
    await h.as(alice).post('/api/v4/reactions').send({ user_id: alice.id, post_id: p.id, emoji_name: 'smile' }).expect(201);
    await h.as(bob).delete(`/api/v4/users/${alice.id}/posts/${p.id}/reactions/smile`).expect(403);
    await h.as(admin).delete(`/api/v4/users/${alice.id}/posts/${p.id}/reactions/smile`).expect(200);
  });
});

describe('acknowledgements', () => {
  it('acknowledges, shows acknowledgements in metadata, and allows taking back only within five minutes', async () => {
    const p = await post(alice, town, 'please ack', { metadata: { priority: { priority: '', requested_ack: true } } });
    expect(p.metadata.priority).toEqual({ priority: '', requested_ack: true, persistent_notifications: false });
    const ack = await h.as(bob).post(`/api/v4/users/${bob.id}/posts/${p.id}/ack`).expect(200);
    expect(ack.body).toEqual({ user_id: bob.id, post_id: p.id, acknowledged_at: expect.any(Number), channel_id: town });
    const ev = await nextEvent(
      (e) => e.event === 'post_acknowledgement_added' && JSON.parse(e.data.acknowledgement as string).post_id === p.id,
      'ack',
    );
    expect(JSON.parse(ev.data.acknowledgement as string).user_id).toBe(bob.id);
    const again = await h.as(bob).post(`/api/v4/users/${bob.id}/posts/${p.id}/ack`).expect(200);
    expect(again.body.acknowledged_at).toBe(ack.body.acknowledged_at);

    const got = (await h.as(alice).get(`/api/v4/posts/${p.id}`).expect(200)).body;
    expect(got.metadata.acknowledgements).toEqual([ack.body]);
    expect(got.update_at).toBeGreaterThanOrEqual(ack.body.acknowledged_at);

    await h.as(alice).post(`/api/v4/users/${bob.id}/posts/${p.id}/ack`).expect(403);
    await h.as(alice).delete(`/api/v4/users/${bob.id}/posts/${p.id}/ack`).expect(403);
    await h.as(bob).post(`/api/v4/users/${bob.id}/posts/nope/ack`).expect(400);
    await h.as(bob).post(`/api/v4/users/${bob.id}/posts/${newId()}/ack`).expect(404);

    expect((await h.as(bob).delete(`/api/v4/users/${bob.id}/posts/${p.id}/ack`).expect(200)).body).toEqual({ status: 'OK' });
    await nextEvent(
      (e) => e.event === 'post_acknowledgement_removed' && JSON.parse(e.data.acknowledgement as string).post_id === p.id,
      'unack',
    );
    expect((await h.as(alice).get(`/api/v4/posts/${p.id}`).expect(200)).body.metadata.acknowledgements).toBeUndefined();
    await h.as(bob).delete(`/api/v4/users/${bob.id}/posts/${p.id}/ack`).expect(404);

    // Older than five minutes: may no longer be taken back.
    await h.as(bob).post(`/api/v4/users/${bob.id}/posts/${p.id}/ack`).expect(200);
    await ds.query('UPDATE post_acknowledgements SET acknowledged_at = $1 WHERE post_id = $2 AND user_id = $3', [
      Date.now() - 5 * 60 * 1000 - 1000,
      p.id,
      bob.id,
    ]);
    const late = await h.as(bob).delete(`/api/v4/users/${bob.id}/posts/${p.id}/ack`).expect(403);
    expect(late.body.id).toBe('api.acknowledgement.delete.deadline.app_error');
  });
});

describe('search', () => {
  let searchTeam: string;
  let general: string;
  let hidden: string;
  let dm: string;
  beforeAll(async () => {
    searchTeam = await makeTeam('searchers', [alice, bob, carol]);
    general = await makeChannel(searchTeam, 'general', 'O', [alice, bob, carol]);
    const random = await makeChannel(searchTeam, 'random', 'O', [alice, bob]);
    hidden = await makeChannel(searchTeam, 'hidden', 'P', [alice]);
    dm = await makeChannel('', [alice.id, bob.id].sort().join('__'), 'D', [alice, bob]);
    await post(alice, general, 'The quick brown fox jumps over the lazy dog');
    await post(bob, general, 'Foxes are running in the forest #wildlife');
    await post(bob, random, 'A brown bear was seen near the river');
    await post(alice, hidden, 'secret fox meeting at noon');
    await post(bob, dm, 'private fox joke');
    const gone = await post(alice, general, 'deleted fox sighting');
    await h.as(alice).delete(`/api/v4/posts/${gone.id}`).expect(200);
    await h.as(alice).post('/api/v4/posts').send({ channel_id: priv, message: 'fox in another team' }).expect(201);
  });

  async function search(user: TestUser, terms: string, extra: Record<string, unknown> = {}): Promise<string[]> {
    const res = await h
      .as(user)
      .post(`/api/v4/teams/${searchTeam}/posts/search`)
      .send({ terms, is_or_search: false, ...extra })
      .expect(200);
    return res.body.order.map((id: string) => res.body.posts[id].message);
  }

  it('finds words (stemmed, AND by default, OR on request) only where the searcher is a member', async () => {
    expect(await search(alice, 'fox')).toEqual([
      'private fox joke',
      'secret fox meeting at noon',
      'Foxes are running in the forest #wildlife',
      'The quick brown fox jumps over the lazy dog',
    ]);
    expect(await search(carol, 'fox')).toEqual([
      'Foxes are running in the forest #wildlife',
      'The quick brown fox jumps over the lazy dog',
    ]);
    expect(await search(alice, 'brown fox')).toEqual(['The quick brown fox jumps over the lazy dog']);
    expect(await search(bob, 'bear lazy', { is_or_search: true })).toEqual([
      'A brown bear was seen near the river',
      'The quick brown fox jumps over the lazy dog',
    ]);
    expect(await search(bob, 'run')).toEqual(['Foxes are running in the forest #wildlife']);
    expect(await search(bob, 'fore*')).toEqual(['Foxes are running in the forest #wildlife']);
    expect(await search(bob, 'nothingmatches')).toEqual([]);
  });

  it('supports phrases, exclusions, hashtags, from: and in:', async () => {
    expect(await search(alice, '"brown fox"')).toEqual(['The quick brown fox jumps over the lazy dog']);
    expect(await search(alice, '"fox brown"')).toEqual([]);
    expect(await search(bob, 'brown -bear')).toEqual(['The quick brown fox jumps over the lazy dog']);
    expect(await search(bob, '#wildlife')).toEqual(['Foxes are running in the forest #wildlife']);
    expect(await search(alice, 'fox from:bob')).toEqual(['private fox joke', 'Foxes are running in the forest #wildlife']);
    expect(await search(alice, 'from:@bob in:random')).toEqual(['A brown bear was seen near the river']);
    expect(await search(alice, 'fox in:general')).toEqual([
      'Foxes are running in the forest #wildlife',
      'The quick brown fox jumps over the lazy dog',
    ]);
    expect(await search(alice, 'fox -in:general -from:bob')).toEqual(['secret fox meeting at noon']);
    expect(await search(alice, 'fox in:@bob')).toEqual(['private fox joke']);
    expect(await search(carol, 'in:hidden')).toEqual([]);
    expect(await search(alice, 'from:nobody')).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect(await search(alice, `bear on:${today}`)).toEqual(['A brown bear was seen near the river']);
    expect(await search(alice, `bear before:${today}`)).toEqual([]);
  });

  it('pages results, checks the team, and validates the body', async () => {
    expect(await search(alice, 'fox', { per_page: 2, page: 1 })).toEqual([
      'Foxes are running in the forest #wildlife',
      'The quick brown fox jumps over the lazy dog',
    ]);
    const res = await h.as(alice).post(`/api/v4/teams/${searchTeam}/posts/search`).send({ terms: 'fox' }).expect(200);
    expect(res.body).toMatchObject({ next_post_id: '', prev_post_id: '', matches: null });
    const outsider = await h.signUp('outsider', admin);
    await h.as(outsider).post(`/api/v4/teams/${searchTeam}/posts/search`).send({ terms: 'fox' }).expect(403);
    await h.as(alice).post(`/api/v4/teams/bad/posts/search`).send({ terms: 'fox' }).expect(400);
    await h.as(alice).post(`/api/v4/teams/${searchTeam}/posts/search`).send({ terms: 5 }).expect(400);
    await h.as(alice).post(`/api/v4/teams/${searchTeam}/posts/search`).send({ terms: 'fox', page: -1 }).expect(400);
    await h
      .as(alice)
      .post(`/api/v4/teams/${searchTeam}/posts/search`)
      .send({ terms: 'on:2024-01-01', time_zone_offset: 1e300 })
      .expect(400);
    expect(await search(alice, 'the')).toEqual([]);
    // A NUL is refused before any handler, as in every other string of the API (PostgreSQL cannot store it).
    await h.as(alice).post(`/api/v4/teams/${searchTeam}/posts/search`).send({ terms: 'fox\u0000', per_page: 1 }).expect(400);
    // Across teams.
    const all = await h.as(alice).post('/api/v4/posts/search').send({ terms: 'fox' }).expect(200);
    expect(Object.values(all.body.posts).map((p: any) => p.message)).toContain('fox in another team');
  });
});

describe("Mattermost's Client4", () => {
  it('drives the post endpoints unchanged', async () => {
    const server: Server = h.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new Client4();
      client.setUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      client.setIncludeCookies(false);
      client.setToken(alice.token);
      const ch = await makeChannel(teamId, 'client4', 'O', [alice, bob]);
      const created = await client.createPost({ channel_id: ch, message: 'from client4', pending_post_id: 'pending-1' } as never);
      expect(created.pending_post_id).toBe('pending-1');
      const reply = await client.createPost({ channel_id: ch, message: 'reply', root_id: created.id } as never);
      const list = await client.getPosts(ch);
      expect(list.order).toEqual([reply.id, created.id]);
      const thread = await client.getPostThread(created.id);
      expect(thread.order).toEqual([reply.id, created.id]);
      const patched = await client.patchPost({ id: created.id, message: 'edited by client4' } as never);
      expect(patched.message).toBe('edited by client4');
      await client.addReaction(alice.id, created.id, 'tada');
      expect((await client.getReactionsForPost(created.id)).map((r) => r.emoji_name)).toEqual(['tada']);
      await client.removeReaction(alice.id, created.id, 'tada');
      await client.pinPost(created.id);
      expect((await client.getPinnedPosts(ch)).order).toEqual([created.id]);
      await client.acknowledgePost(created.id, alice.id);
      await client.unacknowledgePost(created.id, alice.id);
      const since = await client.getPostsSince(ch, created.create_at);
      expect(since.order).toContain(created.id);
      const before = await client.getPostsBefore(ch, reply.id, 0, 10);
      expect(before.order).toEqual([created.id]);
      const found = await client.searchPosts(teamId, 'client4', false);
      expect(found.order).toEqual([created.id]);
      await client.deletePost(reply.id);
      await expect(client.getPost(reply.id)).rejects.toMatchObject({ status_code: 404 });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
