import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { UserSyncModule } from '../../apps/user-sync/src/user-sync.module';
import { TestUser } from '../support/gateway-harness';
import { connectClusters, QUICK_FEDERATION_ENV, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * A host clock that steps back (NTP correcting a clock that ran fast, a VM restored from a snapshot) must not make a
 * change written after the step sort before what was already sent. Found by the reliability suite's clock-step
 * fault (docs/reliability.md, "Findings"): users' `update_at` was the wall clock, and both the global user sync
 * cursor and the profile sync's "sent version" compare it. Both clusters run in this process, so the step moves
 * both clocks (as a step of the sender's host alone would, for what the sender decides).
 */

const ENV = {
  ...QUICK_FEDERATION_ENV,
  USER_SYNC_POLL_INTERVAL_MS: '200',
  MM_FEATUREFLAGS_ENABLESYNCALLUSERSFORREMOTECLUSTER: 'false',
  // A loaded machine (the suite runs beside others) must not turn a slow peer call into a failed invite.
  BUS_REQUEST_TIMEOUT_MS: '60000',
};

/** Ten minutes: far more than any run, lease or ping interval of these clusters. */
const STEP_BACK_MS = 10 * 60_000;

let a: TestCluster;
let b: TestCluster;
let rid: string;

const db = (c: TestCluster) => c.h.app.get(DataSource);
const config = (c: TestCluster) => c.h.app.get<AppConfig>(APP_CONFIG);
const nicknameOn = async (c: TestCluster, id: string): Promise<string | undefined> =>
  ((await db(c).query('SELECT nickname FROM users WHERE id = $1', [id])) as { nickname: string }[])[0]?.nickname;

function until(what: string, cond: () => Promise<boolean>, timeoutMs = 45_000): Promise<boolean> {
  return waitFor(what, async () => ((await cond()) ? true : undefined), timeoutMs);
}

/** Runs `work` with this process's wall clock stepped back (Date.now only: timers are monotonic, as on a host). */
async function withClockSteppedBack(work: () => Promise<void>): Promise<void> {
  const realNow = Date.now.bind(Date);
  const step = jest.spyOn(Date, 'now').mockImplementation(() => realNow() - STEP_BACK_MS);
  try {
    await work();
  } finally {
    step.mockRestore();
  }
}

beforeAll(async () => {
  a = await startTestCluster('a', ENV, [RemoteClusterModule, SharedChannelSyncModule, UserSyncModule]);
  b = await startTestCluster('b', ENV, [RemoteClusterModule, SharedChannelSyncModule, UserSyncModule]);
  rid = await connectClusters(a, b);
  await a.h.as(a.admin).post(`/api/v4/remotecluster/${rid}/channels/${a.channelId}/invite`).send({}).expect(200);
  await until('the channel on b', async () => (await db(b).query('SELECT 1 FROM channels WHERE id = $1', [a.channelId])).length === 1);
}, 240_000);

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('a clock stepped back', () => {
  it('still sends the profile change of a shared-channel member made after the step', async () => {
    const frank: TestUser = await a.h.signUp('frank', a.admin);
    await a.h.as(a.admin).post(`/api/v4/teams/${a.teamId}/members`).send({ team_id: a.teamId, user_id: frank.id }).expect(201);
    await a.h.as(a.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: frank.id }).expect(201);
    // Frank's post takes his profile to b with it: b knows the version a last changed.
    await a.h.as(frank).post('/api/v4/posts').send({ channel_id: a.channelId, message: 'before the step' }).expect(201);
    await a.h.as(frank).put(`/api/v4/users/${frank.id}/patch`).send({ nickname: 'before' }).expect(200);
    await until('nickname "before" on b', async () => (await nicknameOn(b, frank.id)) === 'before');

    await withClockSteppedBack(async () => {
      await a.h.as(frank).put(`/api/v4/users/${frank.id}/patch`).send({ nickname: 'after' }).expect(200);
      await until('nickname "after" on b', async () => (await nicknameOn(b, frank.id)) === 'after');
    });
    expect(await nicknameOn(b, frank.id)).toBe('after');
  }, 150_000);

  it('still sends, in the global user sync, a user changed after the step', async () => {
    const loner = await a.h.signUp('loner', a.admin);
    config(a).featureFlags.enableSyncAllUsersForRemoteCluster = true;
    config(b).featureFlags.enableSyncAllUsersForRemoteCluster = true;
    try {
      const [last] = (await db(a).query(`SELECT id FROM users WHERE remote_id = '' ORDER BY update_at DESC, id DESC LIMIT 1`)) as {
        id: string;
      }[];
      // The cursor has passed every local user (their latest change included) before the clock steps.
      await until(
        'the global cursor past every local user',
        async () =>
          (await db(a).query('SELECT last_global_user_sync_id FROM remote_clusters WHERE remote_id = $1', [rid]))[0]
            .last_global_user_sync_id === last.id,
      );
      await withClockSteppedBack(async () => {
        await a.h.as(a.admin).put(`/api/v4/users/${loner.id}/patch`).send({ nickname: 'stepped' }).expect(200);
        await until('nickname "stepped" on b', async () => (await nicknameOn(b, loner.id)) === 'stepped');
      });
      expect(await nicknameOn(b, loner.id)).toBe('stepped');
    } finally {
      config(a).featureFlags.enableSyncAllUsersForRemoteCluster = false;
      config(b).featureFlags.enableSyncAllUsersForRemoteCluster = false;
    }
  }, 150_000);
});
