import { Bus } from '@fedchat/common';
import { peerTopicContract, PeerResponse, WebSocketEventBatch, WebSocketEventsPublished } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { newRemote, newShare, tapEvents, waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { GatewayHarness, TestUser } from '../support/gateway-harness';
import { StatementCounter } from '../support/statement-counter';

/**
 * The receiver's cost per `sharedchannel_sync` message, counted rather than timed: every statement is a round trip,
 * paid once per message during a catch-up and once per post at a low rate (propagation latency). The `posted` events
 * built from what was written must still be what reading the posts back gives.
 */
const SYNC = peerTopicContract('sharedchannel_sync');
const POSTS = 50;

let h: GatewayHarness;
let db: DataSource;
let bus: Bus;
let admin: TestUser;
let channelId: string;
const R = newId();
const alice = newId();
const batches: WebSocketEventBatch[] = [];
const counter = new StatementCounter();

beforeAll(async () => {
  counter.install();
  const quiet = {
    SHARED_CHANNELS_POLL_INTERVAL_MS: '60000',
    USER_SYNC_POLL_INTERVAL_MS: '600000',
    FILE_TRANSFER_POLL_INTERVAL_MS: '600000',
  };
  h = await GatewayHarness.start(quiet, [RemoteClusterModule, SharedChannelSyncModule]);
  db = h.app.get(DataSource);
  bus = h.app.get(Bus);
  tapEvents(h.app, WebSocketEventsPublished, (e) => {
    batches.push(e);
  });
  admin = await h.signUp('countadmin');
  ({ channelId } = await h.channelWith([admin]));
  await newRemote(db, { remote_id: R, name: 'peer-r', creator_id: admin.id });
  await newShare(db, { channel_id: channelId, creator_id: admin.id }, [R], { last_post_update_at: Date.now() + 3_600_000 });
});

afterAll(async () => {
  counter.restore();
  await h?.close();
});

function send(payload: Record<string, unknown>): Promise<PeerResponse> {
  return bus.request(SYNC, { remote_id: R, msg: { id: newId(), topic: 'sharedchannel_sync', create_at: Date.now(), payload } });
}

function post(id: string, message: string, extra: Record<string, unknown> = {}) {
  return { id, user_id: alice, channel_id: channelId, create_at: 1_700_000_000_000, update_at: Date.now(), message, ...extra };
}

async function countStatements(work: () => Promise<void>): Promise<string[]> {
  return (await counter.count(work)).statements.map((s) => s.text);
}

it(`applies a message of ${POSTS} new posts in at most 8 statements, its posted events as a re-read gives`, async () => {
  const user = { id: alice, username: 'alice', email: 'alice@origin.example', update_at: Date.now() };
  // Warm: the user arrives, and the first message of a process may prepare what later ones reuse.
  expect((await send({ channel_id: channelId, users: { [alice]: user }, posts: [post(newId(), 'warm-up')] })).status).toBe('OK');

  const ids = Array.from({ length: POSTS }, () => newId());
  batches.length = 0;
  const seen = await countStatements(async () => {
    const res = await send({ channel_id: channelId, posts: ids.map((id, i) => post(id, `counted ${i}`, { props: { b: 1, a: 'x' } })) });
    expect(res.status).toBe('OK');
    expect(res.payload).toMatchObject({ post_errors: [] });
  });
  // Before: 20 (the share read as four rows, the authors read again for the events, four metadata reads for posts
  // that cannot have any yet), then 12 (the share read before the transaction, the posts and the authors read apart,
  // a savepoint around the insert); now the transaction (begin, share and stamp, prefetch, one insert, two counter
  // updates, commit) and the members for the events.
  if (seen.length > 8) throw new Error(`${seen.length} statements for one message, expected at most 8:\n${seen.join('\n')}`);
  expect(seen.filter((s) => /SAVEPOINT/.test(s))).toEqual([]);

  const batch = await waitFor('the posted events', async () => batches.find((b) => b.broadcast.channel_id === channelId), 5_000, 20);
  const posted = batch.events.filter((e) => e.event === 'posted').map((e) => JSON.parse(String(e.data.post)) as { id: string });
  expect(posted.map((p) => p.id)).toEqual(ids);
  for (const json of posted.slice(0, 5)) {
    const reread = await h.as(admin).get(`/api/v4/posts/${json.id}`).expect(200);
    expect(json).toEqual(reread.body);
  }
  expect(batch.events[0].data.sender_name).toBe('@alice:peer-r');
});

it('still reads the metadata of new replies for their posted events', async () => {
  const root = newId();
  const reply = newId();
  batches.length = 0;
  await send({
    channel_id: channelId,
    posts: [post(root, 'a root'), post(reply, 'a reply', { root_id: root, create_at: 1_700_000_000_001 })],
  });
  const ofRoot = (b: WebSocketEventBatch) => b.events.some((e) => String(e.data.post).includes(root));
  const batch = await waitFor('the posted events', async () => batches.find(ofRoot), 5_000, 20);
  const [rootJson, replyJson] = batch.events.map((e) => JSON.parse(String(e.data.post)) as Record<string, unknown>);
  expect(rootJson).toMatchObject({ id: root, reply_count: 1 });
  expect(replyJson).toMatchObject({ id: reply, root_id: root, reply_count: 1 });
});

it('stores a lone surrogate in a received message as U+FFFD, as a single post always was', async () => {
  const id = newId();
  const res = await send({ channel_id: channelId, posts: [post(id, 'broken \ud800 text')] });
  expect(res.payload).toMatchObject({ post_errors: [] });
  const [row] = await db.query('SELECT message FROM posts WHERE id = $1', [id]);
  expect(row?.message).toBe('broken \ufffd text');
});

it('refuses alone a new post the database will not store, and stores the others of its message with their events', async () => {
  // The one-statement insert fails for the whole message; the receiver applies it again post by post.
  await db.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.message = 'poison' THEN RAISE EXCEPTION 'poisoned post'; END IF; RETURN NEW; END $$`);
  await db.query(`CREATE TRIGGER refuse_poison BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
  try {
    const [good1, bad, good2] = [newId(), newId(), newId()];
    batches.length = 0;
    const res = await send({ channel_id: channelId, posts: [post(good1, 'fine 1'), post(bad, 'poison'), post(good2, 'fine 2')] });
    expect(res.status).toBe('OK');
    expect(res.payload).toMatchObject({ post_errors: [bad] });
    const stored: { id: string }[] = await db.query('SELECT id FROM posts WHERE id = ANY($1) ORDER BY message', [[good1, bad, good2]]);
    expect(stored.map((r) => r.id)).toEqual([good1, good2]);
    const [{ total }] = await db.query('SELECT total_msg_count AS total FROM channels WHERE id = $1', [channelId]);
    const [{ count }] = await db.query(`SELECT count(*) AS count FROM posts WHERE channel_id = $1 AND type NOT LIKE 'system_%'`, [
      channelId,
    ]);
    expect(Number(total)).toBe(Number(count));
    const batch = await waitFor('the posted events', async () => batches.find((b) => b.broadcast.channel_id === channelId), 5_000, 20);
    expect(batch.events.map((e) => (JSON.parse(String(e.data.post)) as { id: string }).id)).toEqual([good1, good2]);
  } finally {
    await db.query('DROP TRIGGER refuse_poison ON posts');
    await db.query('DROP FUNCTION refuse_poison()');
  }
});

it('does not write a user sent again unchanged: the message does not wait for a lock on the user or their team membership', async () => {
  // After an outage the first message of every channel lists the same authors; an update of an unchanged user locked
  // its row (and an upsert its team membership) until the message committed, and the channels' messages queued on it.
  const user = { id: alice, username: 'alice', email: 'alice@origin.example', update_at: Date.now() };
  expect((await send({ channel_id: channelId, users: { [alice]: user }, posts: [post(newId(), 'before the lock')] })).status).toBe('OK');
  const holder = db.createQueryRunner();
  await holder.connect();
  await holder.startTransaction();
  try {
    await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [alice]);
    await holder.query('SELECT 1 FROM team_members WHERE user_id = $1 FOR UPDATE', [alice]);
    const id = newId();
    const outcome = await Promise.race([
      send({ channel_id: channelId, users: { [alice]: user }, posts: [post(id, 'while locked')] }).then((res) => res.status),
      new Promise<string>((resolve) => setTimeout(() => resolve('waited for the lock'), 3_000)),
    ]);
    expect(outcome).toBe('OK');
    expect(await db.query('SELECT id FROM posts WHERE id = $1', [id])).toHaveLength(1);
  } finally {
    await holder.rollbackTransaction();
    await holder.release();
  }
});
