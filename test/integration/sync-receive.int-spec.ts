import { Bus } from '@fedchat/common';
import { peerTopicContract, PeerResponse } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { newRemote, newShare } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/*
 * The receiving side of `sharedchannel_sync` on one real cluster: frames are handed to the receiver exactly as the
 * gateway's /api/v4/remotecluster/msg does (over the bus), from two fake peers R and S whose connection rows are
 * written directly. Every rule of authority is checked by what the database holds afterwards.
 */

const SYNC = peerTopicContract('sharedchannel_sync');

let h: GatewayHarness;
let db: DataSource;
let bus: Bus;
let admin: TestUser;
let channelId: string;
let otherChannelId: string;
const R = newId();
const S = newId();

beforeAll(async () => {
  h = await GatewayHarness.start({}, [RemoteClusterModule, SharedChannelSyncModule]);
  db = h.app.get(DataSource);
  bus = h.app.get(Bus);
  admin = await h.signUp('receiveradmin');
  ({ channelId } = await h.channelWith([admin]));
  ({ channelId: otherChannelId } = await h.channelWith([admin]));
  await newRemote(db, { remote_id: R, name: 'peer-r', creator_id: admin.id });
  await newRemote(db, { remote_id: S, name: 'peer-s', creator_id: admin.id });
  // Both share the channel; S shares the other channel too, R does not. Nothing of the past is left to send them.
  const nothingToSend = { last_post_update_at: Date.now() + 3_600_000 };
  await newShare(db, { channel_id: channelId, creator_id: admin.id }, [R, S], nothingToSend);
  await newShare(db, { channel_id: otherChannelId, creator_id: admin.id }, [S], nothingToSend);
});

afterAll(async () => {
  await h?.close();
});

function send(remoteId: string, payload: Record<string, unknown>): Promise<PeerResponse> {
  return bus.request(SYNC, { remote_id: remoteId, msg: { id: newId(), topic: 'sharedchannel_sync', create_at: Date.now(), payload } });
}

function user(id: string, username: string, extra: Record<string, unknown> = {}) {
  return { id, username, email: `${username}@origin.example`, first_name: 'F', update_at: Date.now(), ...extra };
}

function post(id: string, userId: string, message: string, extra: Record<string, unknown> = {}) {
  return { id, user_id: userId, channel_id: channelId, create_at: 1_700_000_000_000, update_at: Date.now(), message, ...extra };
}

async function postRow(id: string): Promise<{ message: string; update_at: string; remote_id: string; delete_at: string } | undefined> {
  const rows = await db.query('SELECT message, update_at, remote_id, delete_at, create_at FROM posts WHERE id = $1', [id]);
  return rows[0];
}

describe('sharedchannel_sync receiver', () => {
  const alice = newId();

  it('refuses a channel that is not shared with the sender, with the text senders react to', async () => {
    const res = await send(R, { id: newId(), channel_id: otherChannelId, posts: [] });
    expect(res).toMatchObject({ status: 'FAIL', err: 'channel is no longer shared' });
    const unknown = await send(R, { id: newId(), channel_id: newId() });
    expect(unknown).toMatchObject({ status: 'FAIL', err: 'channel is no longer shared' });
  });

  it('refuses malformed and oversized messages as a whole', async () => {
    expect((await send(R, { channel_id: 'not-an-id' })).status).toBe('FAIL');
    expect((await send(R, { channel_id: channelId, posts: 'nope' })).status).toBe('FAIL');
    const many = Array.from({ length: 1001 }, () => post(newId(), alice, 'x'));
    const res = await send(R, { channel_id: channelId, posts: many });
    expect(res.status).toBe('FAIL');
    expect(res.err).toContain('posts');
  });

  it('creates synthetic users and their posts with the same ids and create_at, idempotently', async () => {
    const id = newId();
    const msg = { id: newId(), channel_id: channelId, users: { [alice]: user(alice, 'alice') }, posts: [post(id, alice, 'hello from R')] };
    const first = await send(R, msg);
    expect(first.status).toBe('OK');
    expect(first.payload).toMatchObject({ users_syncd: [alice], post_errors: [] });
    const [u] = await db.query('SELECT username, email, remote_id, props FROM users WHERE id = $1', [alice]);
    expect(u.username).toBe('alice:peer-r');
    expect(u.remote_id).toBe(R);
    expect(u.email).not.toContain('origin.example');
    const row = await postRow(id);
    expect(row).toMatchObject({ message: 'hello from R', remote_id: R });
    expect(Number((row as unknown as { create_at: string }).create_at)).toBe(1_700_000_000_000);
    const member = await db.query('SELECT 1 FROM channel_members WHERE channel_id = $1 AND user_id = $2', [channelId, alice]);
    expect(member).toHaveLength(1);

    const again = await send(R, msg);
    expect(again.status).toBe('OK');
    expect(await db.query('SELECT id FROM posts WHERE id = $1', [id])).toHaveLength(1);
    expect((await postRow(id))!.update_at).toBe(row!.update_at);
  });

  it('keeps two remote users with the same name apart, and refuses to overwrite a local user', async () => {
    const otherAlice = newId();
    const thirdAlice = newId();
    await send(S, { channel_id: channelId, users: { [otherAlice]: user(otherAlice, 'alice') } });
    await send(R, { channel_id: channelId, users: { [thirdAlice]: user(thirdAlice, 'alice') } });
    const names = await db.query('SELECT id, username FROM users WHERE id = ANY($1)', [[otherAlice, thirdAlice]]);
    const byId = Object.fromEntries(names.map((n: { id: string; username: string }) => [n.id, n.username]));
    expect(byId[otherAlice]).toBe('alice:peer-s');
    expect(byId[thirdAlice]).toBe('alice-2:peer-r');

    const res = await send(R, { channel_id: channelId, users: { [admin.id]: user(admin.id, 'hijack') } });
    expect(res.payload).toMatchObject({ user_errors: [admin.id] });
    const [local] = await db.query('SELECT username, remote_id FROM users WHERE id = $1', [admin.id]);
    expect(local).toEqual({ username: 'receiveradmin', remote_id: '' });
    // S cannot rewrite R's user either.
    const stolen = await send(S, { channel_id: channelId, users: { [alice]: user(alice, 'mallory') } });
    expect(stolen.payload).toMatchObject({ user_errors: [alice] });
  });

  it('refuses posts authored by local users, by other remotes, or by unknown users', async () => {
    const sUser = newId();
    await send(S, { channel_id: channelId, users: { [sUser]: user(sUser, 'sam') } });
    const [p1, p2, p3] = [newId(), newId(), newId()];
    const res = await send(R, {
      channel_id: channelId,
      posts: [post(p1, admin.id, 'forged local'), post(p2, sUser, 'forged other remote'), post(p3, newId(), 'nobody')],
    });
    expect(res.status).toBe('OK');
    expect(res.payload).toMatchObject({ post_errors: [p1, p2, p3] });
    expect(await db.query('SELECT id FROM posts WHERE id = ANY($1)', [[p1, p2, p3]])).toHaveLength(0);
  });

  it("applies edits and deletes only to the sender's own posts", async () => {
    const res = await h.as(admin).post('/api/v4/posts').send({ channel_id: channelId, message: 'local words' }).expect(201);
    const localId = res.body.id;
    const edit = await send(R, { channel_id: channelId, posts: [post(localId, admin.id, 'rewritten by R', { edit_at: Date.now() })] });
    expect(edit.payload).toMatchObject({ post_errors: [localId] });
    const del = await send(R, { channel_id: channelId, posts: [post(localId, admin.id, 'local words', { delete_at: Date.now() })] });
    expect(del.payload).toMatchObject({ post_errors: [localId] });
    expect(await postRow(localId)).toMatchObject({ message: 'local words', delete_at: 0 });

    const own = newId();
    await send(R, { channel_id: channelId, posts: [post(own, alice, 'v1')] });
    await send(R, { channel_id: channelId, posts: [post(own, alice, 'v2', { edit_at: Date.now() })] });
    expect((await postRow(own))!.message).toBe('v2');
    await send(R, { channel_id: channelId, posts: [post(own, alice, 'v2', { delete_at: Date.now() })] });
    expect(Number((await postRow(own))!.delete_at)).toBeGreaterThan(0);
  });

  it('deletes the replies of a root deleted by its cluster, also a local reply that cluster never got', async () => {
    // Found by the chaos suite (seed 42): a reply written here while the root's deletion was on its way was refused
    // by the root's cluster and, without the cascade, stayed here only.
    const root = newId();
    const theirs = newId();
    await send(R, { channel_id: channelId, users: { [alice]: user(alice, 'alice') }, posts: [post(root, alice, 'root')] });
    await send(R, { channel_id: channelId, posts: [post(theirs, alice, 'their reply', { root_id: root, create_at: 1_700_000_000_001 })] });
    const local = await h.as(admin).post('/api/v4/posts').send({ channel_id: channelId, message: 'our reply', root_id: root }).expect(201);
    expect(Number((await postRow(local.body.id))!.delete_at)).toBe(0);

    const res = await send(R, { channel_id: channelId, posts: [post(root, alice, 'root', { delete_at: Date.now() })] });
    expect(res.status).toBe('OK');
    for (const id of [root, theirs, local.body.id]) expect(Number((await postRow(id))!.delete_at)).toBeGreaterThan(0);
  });

  it('refuses a post whose channel differs from the message, and replies to unknown roots', async () => {
    const [a, b] = [newId(), newId()];
    const res = await send(R, {
      channel_id: channelId,
      posts: [post(a, alice, 'elsewhere', { channel_id: otherChannelId }), post(b, alice, 'orphan', { root_id: newId() })],
    });
    expect(res.payload).toMatchObject({ post_errors: [a, b] });
  });

  it('treats reactions as state: re-sent adds change nothing, deletes remove, other channels are refused', async () => {
    const target = newId();
    await send(R, { channel_id: channelId, posts: [post(target, alice, 'react to me')] });
    const reaction = { user_id: alice, post_id: target, emoji_name: 'smile', create_at: Date.now(), update_at: Date.now(), delete_at: 0 };
    await send(R, { channel_id: channelId, reactions: [reaction] });
    await send(R, { channel_id: channelId, reactions: [reaction] });
    const live = () => db.query('SELECT 1 FROM reactions WHERE post_id = $1 AND delete_at = 0', [target]);
    expect(await live()).toHaveLength(1);
    await send(R, { channel_id: channelId, reactions: [{ ...reaction, delete_at: Date.now() }] });
    expect(await live()).toHaveLength(0);

    const res = await h.as(admin).post('/api/v4/posts').send({ channel_id: otherChannelId, message: 'not for R' }).expect(201);
    const refused = await send(R, { channel_id: channelId, reactions: [{ ...reaction, post_id: res.body.id }] });
    expect(refused.payload).toMatchObject({ reaction_errors: [res.body.id] });
    // A reaction in the sender's name for a local user is refused too.
    const forged = await send(R, { channel_id: channelId, reactions: [{ ...reaction, user_id: admin.id }] });
    expect(forged.payload).toMatchObject({ reaction_errors: [target] });
  });

  it('applies acknowledgements as state and only for the sender users', async () => {
    const target = newId();
    await send(R, { channel_id: channelId, posts: [post(target, alice, 'ack me')] });
    await send(R, { channel_id: channelId, acknowledgements: [{ user_id: alice, post_id: target, acknowledged_at: Date.now() }] });
    const acks = () => db.query('SELECT acknowledged_at FROM post_acknowledgements WHERE post_id = $1 AND acknowledged_at > 0', [target]);
    expect(await acks()).toHaveLength(1);
    await send(R, { channel_id: channelId, acknowledgements: [{ user_id: alice, post_id: target, acknowledged_at: 0 }] });
    expect(await acks()).toHaveLength(0);
    const forged = await send(R, { channel_id: channelId, acknowledgements: [{ user_id: admin.id, post_id: target, acknowledged_at: 1 }] });
    expect(forged.payload).toMatchObject({ acknowledgement_errors: [target] });
  });

  it('refuses new posts and reactions from a read-only remote', async () => {
    await db.query('UPDATE shared_channel_remotes SET readonly = true WHERE channel_id = $1 AND remote_id = $2', [channelId, R]);
    try {
      const id = newId();
      const res = await send(R, { channel_id: channelId, posts: [post(id, alice, 'should not land')] });
      expect(res.payload).toMatchObject({ post_errors: [id] });
      expect(await postRow(id)).toBeUndefined();
    } finally {
      await db.query('UPDATE shared_channel_remotes SET readonly = false WHERE channel_id = $1 AND remote_id = $2', [channelId, R]);
    }
  });
});
