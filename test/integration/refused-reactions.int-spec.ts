import { addChannelMember, addTeamMember, newChannel, waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { TestUser } from '../support/gateway-harness';
import { connectClusters, QUICK_FEDERATION_ENV, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * Reactions and acknowledgements that a remote refuses for a passing reason. They travel only with a change of their
 * post, and the cursor moves past a refused item, so a refusal meant the reaction never arrived (chaos seed 7: a
 * remote refused a reactor's user for a moment, then every reaction of that user in that batch). B is made to refuse
 * by moving its copy of the post to another channel ("post not in this channel"), then moving it back.
 */

const ENV = {
  ...QUICK_FEDERATION_ENV,
  SHARED_CHANNELS_REFUSED_RETRY_BASE_MS: '300',
  SHARED_CHANNELS_REFUSED_MAX_ATTEMPTS: '10',
};

let a: TestCluster;
let b: TestCluster;
let remoteId: string;
let carolOnA: TestUser;
let daveOnB: TestUser;

const db = (c: TestCluster) => c.h.app.get(DataSource);
const reactionsOn = async (c: TestCluster, postId: string): Promise<string[]> =>
  (
    (await db(c).query('SELECT user_id, emoji_name FROM reactions WHERE post_id = $1 AND delete_at = 0 ORDER BY emoji_name', [postId])) as {
      user_id: string;
      emoji_name: string;
    }[]
  ).map((r) => `${r.user_id}:${r.emoji_name}`);
const ackedOn = async (c: TestCluster, postId: string): Promise<string[]> =>
  (
    (await db(c).query('SELECT user_id FROM post_acknowledgements WHERE post_id = $1 AND acknowledged_at > 0', [postId])) as {
      user_id: string;
    }[]
  ).map((r) => r.user_id);
const onB = async (postId: string) => (await db(b).query('SELECT 1 FROM posts WHERE id = $1', [postId])).length === 1;
const moveOnB = (postId: string, channelId: string) => db(b).query('UPDATE posts SET channel_id = $2 WHERE id = $1', [postId, channelId]);
const deadLettersOnA = async (postId: string) =>
  (await db(a).query('SELECT 1 FROM sync_dead_letters WHERE post_id = $1 AND remote_id = $2', [postId, remoteId])).length;
/** A's cursor for B in the channel is at or past the post's latest change (a reaction changes its post). */
const cursorPassed = async (postId: string): Promise<true | undefined> => {
  const rows: { passed: boolean }[] = await db(a).query(
    `SELECT (s.last_post_update_at, s.last_post_id) >= (p.update_at, p.id) AS passed
     FROM shared_channel_remotes s JOIN posts p ON p.id = $1 WHERE s.channel_id = p.channel_id AND s.remote_id = $2`,
    [postId, remoteId],
  );
  return rows[0]?.passed ? true : undefined;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A channel of B that is not shared, to park B's copy of a post in. */
let otherChannelOnB: string;

beforeAll(async () => {
  a = await startTestCluster('a', ENV, [RemoteClusterModule, SharedChannelSyncModule]);
  b = await startTestCluster('b', ENV, [RemoteClusterModule, SharedChannelSyncModule]);
  remoteId = await connectClusters(a, b);
  carolOnA = await a.h.signUp('carol', a.admin);
  daveOnB = await b.h.signUp('dave', b.admin);
  await addTeamMember(db(a), a.teamId, carolOnA.id);
  await addChannelMember(db(a), a.channelId, carolOnA.id);
  await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${a.channelId}/invite`).send({}).expect(200);
  await waitFor('channel on B', async () =>
    (await db(b).query('SELECT 1 FROM channels WHERE id = $1', [a.channelId])).length ? true : undefined,
  );
  await addTeamMember(db(b), b.teamId, daveOnB.id);
  await addChannelMember(db(b), a.channelId, daveOnB.id);
  otherChannelOnB = (await newChannel(db(b), { team_id: b.teamId, creator_id: b.admin.id })).id;
  // Carol reaches B as a user (with her first post), so that only the post, not her user, can be refused below.
  const hello = await a.h.as(carolOnA).post('/api/v4/posts').send({ channel_id: a.channelId, message: 'hello from carol' }).expect(201);
  await waitFor('carol on B', async () => ((await onB(hello.body.id)) ? true : undefined));
}, 120_000);

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

it('sends a refused reaction again, with its post, once the remote takes it', async () => {
  // B's own post: it never travels back to B, only the reactions and acknowledgements of A's users do.
  const res = await b.h.as(daveOnB).post('/api/v4/posts').send({ channel_id: a.channelId, message: 'dave asks' }).expect(201);
  const postId: string = res.body.id;
  await waitFor('dave post on A', async () =>
    (await db(a).query('SELECT 1 FROM posts WHERE id = $1', [postId])).length ? true : undefined,
  );
  await moveOnB(postId, otherChannelOnB);
  await a.h.as(carolOnA).post('/api/v4/reactions').send({ user_id: carolOnA.id, post_id: postId, emoji_name: 'smile' }).expect(201);
  await a.h.as(carolOnA).post(`/api/v4/users/${carolOnA.id}/posts/${postId}/ack`).send({}).expect(200);
  // B refuses both (its post is in another channel), and A's cursor moves past them.
  await waitFor('A sent the reaction', () => cursorPassed(postId), 15_000);
  expect(await reactionsOn(b, postId)).toEqual([]);
  await moveOnB(postId, a.channelId);
  await waitFor('reaction on B', async () => ((await reactionsOn(b, postId)).length === 1 ? true : undefined), 15_000);
  expect(await reactionsOn(b, postId)).toEqual([`${carolOnA.id}:smile`]);
  await waitFor('acknowledgement on B', async () => ((await ackedOn(b, postId)).length === 1 ? true : undefined), 15_000);
  await waitFor('nothing left to send', async () => ((await deadLettersOnA(postId)) === 0 ? true : undefined), 15_000);
}, 60_000);

it('sends the reactions of a refused post with the post when it is sent again', async () => {
  const res = await a.h.as(a.admin).post('/api/v4/posts').send({ channel_id: a.channelId, message: 'admin says' }).expect(201);
  const postId: string = res.body.id;
  await waitFor('admin post on B', async () => ((await onB(postId)) ? true : undefined));
  await moveOnB(postId, otherChannelOnB);
  // The reaction changes the post: both travel, and B refuses both.
  await a.h.as(carolOnA).post('/api/v4/reactions').send({ user_id: carolOnA.id, post_id: postId, emoji_name: 'heart' }).expect(201);
  await waitFor('A sent the reaction', () => cursorPassed(postId), 15_000);
  expect(await reactionsOn(b, postId)).toEqual([]);
  await moveOnB(postId, a.channelId);
  // The re-sent post is taken; its reaction must come with it (nothing else will change the post again).
  await waitFor('nothing left to send', async () => ((await deadLettersOnA(postId)) === 0 ? true : undefined), 15_000);
  await sleep(1000);
  expect(await reactionsOn(b, postId)).toEqual([`${carolOnA.id}:heart`]);
}, 60_000);
