import { Bus } from '@fedchat/common';
import { joinChannel } from '@fedchat/chat';
import { ChannelMembersChangedEvent } from '@fedchat/contracts';
import { waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { UserSyncModule } from '../../apps/user-sync/src/user-sync.module';
import { TestUser } from '../support/gateway-harness';
import { connectClusters, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * Membership sync must never lose a change (protocol §5.10), whatever the timing: two real clusters (A shares a
 * channel with B), with the interleavings that lost changes forced on purpose. The connection is not allowed to go
 * offline (a reconnection resends every membership and would hide a lost change).
 */

const ENV = {
  REMOTE_CLUSTER_PING_INTERVAL_MS: '300',
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '600000',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  SHARED_CHANNELS_POLL_INTERVAL_MS: '200',
  SHARED_CHANNELS_RETRY_MAX_MS: '500',
  USER_SYNC_POLL_INTERVAL_MS: '200',
  MM_FEATUREFLAGS_ENABLESHAREDCHANNELSMEMBERSYNC: 'true',
  MM_FEATUREFLAGS_ENABLESYNCALLUSERSFORREMOTECLUSTER: 'false',
};

/** Long enough for many user-sync polls (200 ms), even on a loaded machine. */
const DELIVERY_MS = 15_000;

function until(what: string, cond: () => Promise<boolean>, timeoutMs = DELIVERY_MS): Promise<boolean> {
  return waitFor(what, async () => ((await cond()) ? true : undefined), timeoutMs);
}

let a: TestCluster;
let b: TestCluster;
let marker: TestUser;
let rid: string;

const db = (c: TestCluster) => c.h.app.get(DataSource);
const isMember = async (c: TestCluster, userId: string) =>
  (await db(c).query('SELECT 1 FROM channel_members WHERE channel_id = $1 AND user_id = $2', [a.channelId, userId])).length === 1;
const nicknameOn = async (c: TestCluster, userId: string) =>
  ((await db(c).query('SELECT nickname FROM users WHERE id = $1', [userId])) as { nickname: string }[])[0]?.nickname;

/** A local user of `c` in its team, and (optionally) in the shared channel through the API. */
async function localUser(c: TestCluster, name: string, join: boolean): Promise<TestUser> {
  const user = await c.h.signUp(name, c.admin);
  await c.h.as(c.admin).post(`/api/v4/teams/${c.teamId}/members`).send({ team_id: c.teamId, user_id: user.id }).expect(201);
  if (join) await c.h.as(c.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: user.id }).expect(201);
  return user;
}

/**
 * Waits until A has run a whole user-sync round for B that started after this call: two profile changes, each seen
 * on B (a round sends profiles before memberships, and the second change can only go in a later round).
 */
async function aFinishedARoundForB(): Promise<void> {
  for (const step of ['1', '2']) {
    const nickname = `round-${Date.now()}-${step}`;
    await a.h.as(marker).put(`/api/v4/users/${marker.id}/patch`).send({ nickname }).expect(200);
    await until(`marker ${nickname} on B`, async () => (await nicknameOn(b, marker.id)) === nickname);
  }
}

/** From now on B's database fails every join of `userId` to a channel, as a deadlock would (counted in a sequence). */
async function failJoinsOnB(userId: string): Promise<void> {
  await db(b).query('CREATE SEQUENCE test_failed_joins');
  await db(b).query(`
    CREATE FUNCTION test_fail_join() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.user_id = '${userId}' THEN
        PERFORM nextval('test_failed_joins');
        RAISE EXCEPTION 'simulated deadlock' USING ERRCODE = 'deadlock_detected';
      END IF;
      RETURN NEW;
    END $$`);
  await db(b).query('CREATE TRIGGER test_fail_join BEFORE INSERT ON channel_members FOR EACH ROW EXECUTE FUNCTION test_fail_join()');
}

async function failedJoinsOnB(): Promise<boolean> {
  const [row] = await db(b).query('SELECT is_called FROM test_failed_joins');
  return row.is_called === true;
}

async function stopFailingJoinsOnB(): Promise<void> {
  await db(b).query('DROP TRIGGER test_fail_join ON channel_members');
  await db(b).query('DROP FUNCTION test_fail_join()');
  await db(b).query('DROP SEQUENCE test_failed_joins');
}

beforeAll(async () => {
  a = await startTestCluster('a', ENV, [RemoteClusterModule, SharedChannelSyncModule, UserSyncModule]);
  b = await startTestCluster('b', ENV, [RemoteClusterModule, SharedChannelSyncModule, UserSyncModule]);
  rid = await connectClusters(a, b);
  await a.h.as(a.admin).post(`/api/v4/remotecluster/${rid}/channels/${a.channelId}/invite`).send({}).expect(200);
  await until('channel on B', async () => (await db(b).query('SELECT 1 FROM channels WHERE id = $1', [a.channelId])).length === 1);
  const [copy] = await db(b).query('SELECT team_id FROM channels WHERE id = $1', [a.channelId]);
  b.teamId = copy.team_id;
  // A member of A whom B knows through the channel: its profile changes show that A ran a round for B.
  marker = await localUser(a, 'marker', true);
  await until('marker on B', () => isMember(b, marker.id));
}, 60_000);

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('membership sync durability', () => {
  it('sends a join whose transaction commits after a later join was already sent', async () => {
    // Dora joins on A in a transaction that stays open: her history row has the time of the join, taken before commit.
    const dora = await localUser(a, 'dora', false);
    const slow = db(a).createQueryRunner();
    await slow.connect();
    try {
      await slow.startTransaction();
      await joinChannel(slow.manager, a.channelId, dora.id, { admin: false, now: Date.now() });
      await new Promise((resolve) => setTimeout(resolve, 5));
      // Meanwhile B's bob joins; A applies it (a later join time, committed first) and runs the membership sync for B.
      const bob = await localUser(b, 'bob', true);
      await until('bob on A', () => isMember(a, bob.id));
      await aFinishedARoundForB();
      expect(await isMember(b, dora.id)).toBe(false);
      await slow.commitTransaction();
    } finally {
      if (slow.isTransactionActive) await slow.rollbackTransaction();
      await slow.release();
    }
    a.h.app.get(Bus).emit(ChannelMembersChangedEvent, { channel_id: a.channelId });
    await until('dora on B', () => isMember(b, dora.id));
  });

  it('sends a change again when the remote failed to apply it (not a refusal)', async () => {
    // Erin is known on B (joined and left); then B's database fails her next join, as a deadlock would.
    const erin = await localUser(a, 'erin', true);
    await until('erin on B', () => isMember(b, erin.id));
    await a.h.as(a.admin).delete(`/api/v4/channels/${a.channelId}/members/${erin.id}`).expect(200);
    await until('erin gone from B', async () => !(await isMember(b, erin.id)));
    await failJoinsOnB(erin.id);
    try {
      await a.h.as(a.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: erin.id }).expect(201);
      await until('a failed join of erin on B', () => failedJoinsOnB());
      await aFinishedARoundForB();
    } finally {
      await stopFailingJoinsOnB();
    }
    await until('erin back on B', () => isMember(b, erin.id));
  });

  it('goes on with the other shared channels while one keeps failing on the remote', async () => {
    // A second channel shared with B, whose id sorts after the first one's (channels are worked in id order).
    let second: string;
    do second = (await a.h.channelWith([a.admin])).channelId;
    while (second < a.channelId);
    const [{ team_id: secondTeam }] = await db(a).query('SELECT team_id FROM channels WHERE id = $1', [second]);
    await a.h.as(a.admin).post(`/api/v4/remotecluster/${rid}/channels/${second}/invite`).send({}).expect(200);
    await until('second channel on B', async () => (await db(b).query('SELECT 1 FROM channels WHERE id = $1', [second])).length === 1);
    const frank = await localUser(a, 'frank', false);
    await failJoinsOnB(frank.id);
    try {
      // Frank's join of the first channel fails on B every time; Grace's join of the second must still arrive.
      await a.h.as(a.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: frank.id }).expect(201);
      await until('a failed join of frank on B', () => failedJoinsOnB());
      const grace = await a.h.signUp('grace', a.admin);
      await a.h.as(a.admin).post(`/api/v4/teams/${secondTeam}/members`).send({ team_id: secondTeam, user_id: grace.id }).expect(201);
      await a.h.as(a.admin).post(`/api/v4/channels/${second}/members`).send({ user_id: grace.id }).expect(201);
      await until(
        'grace on B',
        async () =>
          (await db(b).query('SELECT 1 FROM channel_members WHERE channel_id = $1 AND user_id = $2', [second, grace.id])).length === 1,
      );
      expect(await isMember(b, frank.id)).toBe(false);
    } finally {
      await stopFailingJoinsOnB();
    }
    await until('frank on B', () => isMember(b, frank.id));
  });
});
