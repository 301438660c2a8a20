import { APP_CONFIG, AppConfig, Bus, ScheduledJobs } from '@fedchat/common';
import { ConnectionStateChangedEvent, peerTopicContract, PeerResponse } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { waitFor } from '@fedchat/testing';
import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { GlobalUserSyncReceiver } from '../../apps/user-sync/src/receive/global-user-sync.receiver';
import { UserSyncModule } from '../../apps/user-sync/src/user-sync.module';
import { GatewayHarness, TestUser } from '../support/gateway-harness';
import { connectClusters, QUICK_FEDERATION_ENV, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * User sync between two real clusters on loopback (gateway, remote-cluster, shared-channel-sync and user-sync in one
 * Nest app each, own PostgreSQL database): A shares a channel with B; profiles, memberships, statuses and (with the
 * flag) all local users travel; hostile frames are handed to A's receivers over the bus as the gateway's /msg does.
 * Feature flags are switched by changing the running apps' config object, which every sender and receiver reads
 * at each use.
 */

const ENV = {
  ...QUICK_FEDERATION_ENV,
  USER_SYNC_POLL_INTERVAL_MS: '200',
  MM_FEATUREFLAGS_ENABLESHAREDCHANNELSMEMBERSYNC: 'true',
  MM_FEATUREFLAGS_ENABLESYNCALLUSERSFORREMOTECLUSTER: 'false',
  MM_CONNECTEDWORKSPACESSETTINGS_GLOBALUSERSYNCBATCHSIZE: '3',
  MM_CONNECTEDWORKSPACESSETTINGS_MEMBERSYNCBATCHSIZE: '2',
};

function until(cond: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  return waitFor(cond.toString().slice(0, 160), async () => ((await cond()) ? true : undefined), timeoutMs);
}

let a: TestCluster;
let b: TestCluster;
let rid: string;

const db = (c: TestCluster) => c.h.app.get(DataSource);
const config = (c: TestCluster) => c.h.app.get<AppConfig>(APP_CONFIG);
const userOn = async (c: TestCluster, id: string) =>
  (
    (await db(c).query(
      `SELECT username, nickname, position, delete_at::float8 AS delete_at, remote_id, props, update_at::float8 AS update_at FROM users WHERE id = $1`,
      [id],
    )) as {
      username: string;
      nickname: string;
      position: string;
      delete_at: number;
      remote_id: string;
      props: Record<string, string>;
      update_at: number;
    }[]
  )[0];
const isMember = async (c: TestCluster, channelId: string, userId: string) =>
  (await db(c).query('SELECT 1 FROM channel_members WHERE channel_id = $1 AND user_id = $2', [channelId, userId])).length === 1;
const statusOn = async (c: TestCluster, userId: string) =>
  ((await db(c).query('SELECT status FROM statuses WHERE user_id = $1', [userId])) as { status: string }[])[0]?.status;

async function refusedReceived(): Promise<number> {
  const metric = await register.getSingleMetric('fedchat_user_sync_refused_items_total')?.get();
  return (metric?.values ?? []).filter((v) => v.labels.kind === 'received').reduce((n, v) => n + v.value, 0);
}

/** A local user on `c`, in its team and (optionally) in the shared channel through the API, as a person would be. */
async function member(c: TestCluster, name: string, join = true): Promise<TestUser> {
  const user = await c.h.signUp(name, c.admin);
  await c.h.as(c.admin).post(`/api/v4/teams/${c.teamId}/members`).send({ team_id: c.teamId, user_id: user.id }).expect(201);
  if (join) await c.h.as(c.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: user.id }).expect(201);
  return user;
}

beforeAll(async () => {
  a = await startTestCluster('a', ENV, [RemoteClusterModule, SharedChannelSyncModule, UserSyncModule]);
  b = await startTestCluster('b', ENV, [RemoteClusterModule, SharedChannelSyncModule, UserSyncModule]);
  rid = await connectClusters(a, b);
  await a.h.as(a.admin).post(`/api/v4/remotecluster/${rid}/channels/${a.channelId}/invite`).send({}).expect(200);
  await until(async () => (await db(b).query('SELECT 1 FROM channels WHERE id = $1', [a.channelId])).length === 1);
  // B's admin joins its copy of the channel (the team is B's default team for the connection).
  const [copy] = await db(b).query('SELECT team_id FROM channels WHERE id = $1', [a.channelId]);
  b.teamId = copy.team_id;
  await b.h.as(b.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: b.admin.id }).expect(201);
}, 60_000);

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('membership sync (EnableSharedChannelsMemberSync)', () => {
  let carol: TestUser;
  let bob: TestUser;

  it('adds a member on B when one joins on A, with the user riding along', async () => {
    carol = await member(a, 'carol');
    await until(() => isMember(b, a.channelId, carol.id));
    expect(await userOn(b, carol.id)).toMatchObject({ username: 'carol:peer-a', remote_id: rid });
    // Carol joined the channel's team on B, and no other.
    const teams = await db(b).query('SELECT team_id FROM team_members WHERE user_id = $1 AND delete_at = 0', [carol.id]);
    expect(teams).toEqual([{ team_id: b.teamId }]);
  });

  it('removes the member on B when they leave on A', async () => {
    const dave = await member(a, 'dave');
    await until(() => isMember(b, a.channelId, dave.id));
    await a.h.as(a.admin).delete(`/api/v4/channels/${a.channelId}/members/${dave.id}`).expect(200);
    await until(async () => !(await isMember(b, a.channelId, dave.id)));
  });

  it('works from B to A too, without echo', async () => {
    bob = await b.h.signUp('bob', b.admin);
    await b.h.as(b.admin).post(`/api/v4/teams/${b.teamId}/members`).send({ team_id: b.teamId, user_id: bob.id }).expect(201);
    await b.h.as(b.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: bob.id }).expect(201);
    await until(() => isMember(a, a.channelId, bob.id));
    expect(await userOn(a, bob.id)).toMatchObject({ username: 'bob:peer-b', remote_id: rid });
    await b.h.as(b.admin).delete(`/api/v4/channels/${a.channelId}/members/${bob.id}`).expect(200);
    await until(async () => !(await isMember(a, a.channelId, bob.id)));
    // B's own user was never sent back to B as a change from A (it would have been refused).
    expect(await refusedReceived()).toBe(0);
  });

  it('sends nothing while the flag is off, and catches up once it is on', async () => {
    config(a).featureFlags.enableSharedChannelsMemberSync = false;
    config(b).featureFlags.enableSharedChannelsMemberSync = false;
    const erin = await member(a, 'erin');
    // Two profile changes made after the join, each seen on B, prove that a whole user-sync round ran meanwhile.
    for (const nickname of ['marker-1', 'marker-2']) {
      await a.h.as(carol).put(`/api/v4/users/${carol.id}/patch`).send({ nickname }).expect(200);
      await until(async () => (await userOn(b, carol.id))?.nickname === nickname);
    }
    expect(await isMember(b, a.channelId, erin.id)).toBe(false);
    config(a).featureFlags.enableSharedChannelsMemberSync = true;
    config(b).featureFlags.enableSharedChannelsMemberSync = true;
    await until(() => isMember(b, a.channelId, erin.id));
  });

  it('reconciles the full member list when the remote comes back online', async () => {
    // Drift on B behind the protocol's back: carol's membership is gone.
    await db(b).query('DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2', [a.channelId, carol.id]);
    a.h.app.get(Bus).emit(ConnectionStateChangedEvent, { remote_id: rid, online: true, at: Date.now() });
    await until(() => isMember(b, a.channelId, carol.id));
  });
});

describe('profile sync', () => {
  let frank: TestUser;

  beforeAll(async () => {
    frank = await member(a, 'frank');
    await until(() => isMember(b, a.channelId, frank.id));
  });

  it('carries profile changes of shared-channel members to the remote', async () => {
    await a.h.as(frank).put(`/api/v4/users/${frank.id}/patch`).send({ nickname: 'Franky', position: 'Pilot' }).expect(200);
    await until(async () => (await userOn(b, frank.id))?.position === 'Pilot');
    expect(await userOn(b, frank.id)).toMatchObject({ nickname: 'Franky', username: 'frank:peer-a' });
  });

  it('keeps the munged form across a rename', async () => {
    await a.h.as(frank).put(`/api/v4/users/${frank.id}/patch`).send({ username: 'francis' }).expect(200);
    await until(async () => (await userOn(b, frank.id))?.username === 'francis:peer-a');
    expect((await userOn(b, frank.id)).props.RemoteUsername).toBe('francis');
  });

  it('does not send the real email unless the operator allows it', async () => {
    expect((await userOn(b, frank.id)).props.RemoteEmail).toBeUndefined();
    config(a).sharedChannels.syncUserEmail = true;
    try {
      await a.h.as(frank).put(`/api/v4/users/${frank.id}/patch`).send({ nickname: 'with email' }).expect(200);
      await until(async () => (await userOn(b, frank.id))?.nickname === 'with email');
      expect((await userOn(b, frank.id)).props.RemoteEmail).toBe('frank@example.com');
    } finally {
      config(a).sharedChannels.syncUserEmail = false;
    }
  });

  it('reports the profiles waiting for a free worker in fedchat_user_sync_profiles_pending', async () => {
    const pending = async () => (await register.getSingleMetric('fedchat_user_sync_profiles_pending')?.get())?.values[0]?.value ?? -1;
    // A and B share this test process's metrics registry: only A's worker may set the gauge here, or B's 0 can
    // overwrite A's 1 at every tick.
    b.h.app.get(ScheduledJobs).stop('user-sync.profiles-gauge');
    await until(async () => (await pending()) === 0);
    // Hold the remote's user-sync lease as a busy replica would: the change waits, and the gauge shows it.
    await db(a).query(`UPDATE remote_clusters SET user_sync_lease_owner = 'test', user_sync_lease_until = $2 WHERE remote_id = $1`, [
      rid,
      Date.now() + 600_000,
    ]);
    try {
      await a.h.as(frank).put(`/api/v4/users/${frank.id}/patch`).send({ position: 'Waiting' }).expect(200);
      await until(async () => (await pending()) === 1);
    } finally {
      await db(a).query(`UPDATE remote_clusters SET user_sync_lease_owner = '', user_sync_lease_until = 0 WHERE remote_id = $1`, [rid]);
    }
    await until(async () => (await userOn(b, frank.id))?.position === 'Waiting');
    await until(async () => (await pending()) === 0);
  });

  it('syncs deactivation', async () => {
    await a.h.as(a.admin).put(`/api/v4/users/${frank.id}/active`).send({ active: false }).expect(200);
    await until(async () => (await userOn(b, frank.id))?.delete_at > 0);
  });
});

describe('status sync', () => {
  it('carries status changes both ways', async () => {
    const carol = await a.h.login('carol');
    await a.h.as(carol).put(`/api/v4/users/${carol.id}/status`).send({ user_id: carol.id, status: 'dnd' }).expect(200);
    await b.h.as(b.admin).put(`/api/v4/users/${b.admin.id}/status`).send({ user_id: b.admin.id, status: 'away' }).expect(200);
    await until(async () => (await statusOn(b, carol.id)) === 'dnd', 5_000);
    await until(async () => (await statusOn(a, b.admin.id)) === 'away', 5_000);
  });
});

describe('global user sync (EnableSyncAllUsersForRemoteCluster)', () => {
  it('sends every local user in batches, then only changed ones, never remote users back', async () => {
    const refusedBefore = await refusedReceived();
    const loners: TestUser[] = [];
    for (let i = 0; i < 7; i++) loners.push(await a.h.signUp(`loner${i}`, a.admin));
    expect(await userOn(b, loners[0].id)).toBeUndefined();
    config(a).featureFlags.enableSyncAllUsersForRemoteCluster = true;
    config(b).featureFlags.enableSyncAllUsersForRemoteCluster = true;
    try {
      const localOnA: { id: string }[] = await db(a).query(`SELECT id FROM users WHERE remote_id = '' ORDER BY update_at, id`);
      await until(async () => {
        const rows = await db(b).query('SELECT 1 FROM users WHERE id = ANY($1) AND remote_id = $2', [localOnA.map((u) => u.id), rid]);
        return rows.length === localOnA.length;
      });
      // No team or channel membership comes with a global sync.
      expect(await db(b).query('SELECT 1 FROM team_members WHERE user_id = $1', [loners[0].id])).toEqual([]);
      // A moves its cursor once B has answered the last batch, a moment after B stored the users.
      const cursor = async () =>
        (await db(a).query('SELECT last_global_user_sync_id FROM remote_clusters WHERE remote_id = $1', [rid]))[0].last_global_user_sync_id;
      await until(async () => (await cursor()) === localOnA[localOnA.length - 1].id);
      expect(await cursor()).toBe(localOnA[localOnA.length - 1].id);

      // B's local users reach A; A's users on B are not sent back (A would refuse them).
      const localOnB: { id: string }[] = await db(b).query(`SELECT id FROM users WHERE remote_id = ''`);
      await until(async () => {
        const rows = await db(a).query('SELECT 1 FROM users WHERE id = ANY($1) AND remote_id = $2', [localOnB.map((u) => u.id), rid]);
        return rows.length === localOnB.length;
      });

      const before = await userOn(b, loners[1].id);
      await a.h.as(a.admin).put(`/api/v4/users/${loners[0].id}/patch`).send({ nickname: 'changed' }).expect(200);
      await until(async () => (await userOn(b, loners[0].id))?.nickname === 'changed');
      expect((await userOn(b, loners[1].id)).update_at).toBe(before.update_at);
      expect(await refusedReceived()).toBe(refusedBefore);
    } finally {
      config(a).featureFlags.enableSyncAllUsersForRemoteCluster = false;
      config(b).featureFlags.enableSyncAllUsersForRemoteCluster = false;
    }
  });

  it('restarts a full global user sync with one connection on request (REST and slash command), with progress', async () => {
    const progress = async () => (await a.h.as(a.admin).get(`/api/v4/remotecluster/${rid}/sync_users`).expect(200)).body;
    const off = await a.h.as(a.admin).post(`/api/v4/remotecluster/${rid}/sync_users`).expect(400);
    expect(off.body.id).toBe('api.remote_cluster.sync_users_disabled.app_error');
    expect((await a.h.as(a.admin).post(`/api/v4/remotecluster/${newId()}/sync_users`).expect(404)).body.id).toBe(
      'api.remote_cluster.get.not_found',
    );
    await a.h.as(a.admin).post('/api/v4/remotecluster/not-an-id/sync_users').expect(400);
    const plain = await a.h.signUp('syncplain', a.admin);
    await a.h.as(plain).post(`/api/v4/remotecluster/${rid}/sync_users`).expect(403);
    const run = async (command: string): Promise<string> =>
      (await a.h.as(a.admin).post('/api/v4/commands/execute').send({ channel_id: a.channelId, command }).expect(200)).body.text;
    expect(await run('/secure-connection sync-users')).toBe('Missing or empty `connectionID`');
    config(a).featureFlags.enableSyncAllUsersForRemoteCluster = true;
    config(b).featureFlags.enableSyncAllUsersForRemoteCluster = true;
    try {
      await until(async () => !(await progress()).in_progress);
      // B's copy of one of A's users goes stale behind the cursor: only a full sync brings it back.
      const [loner] = await db(a).query(`SELECT id, nickname FROM users WHERE username = 'loner3'`);
      await db(b).query(`UPDATE users SET nickname = 'stale', update_at = 1 WHERE id = $1`, [loner.id]);
      const [{ n: localUsers }] = await db(a).query(`SELECT count(*)::int AS n FROM users WHERE remote_id = ''`);
      const started = await a.h.as(a.admin).post(`/api/v4/remotecluster/${rid}/sync_users`).expect(200);
      expect(started.body).toMatchObject({ remote_id: rid, users_total: localUsers });
      expect(started.body.users_sent).toBeLessThan(localUsers);
      await until(async () => (await userOn(b, loner.id))?.nickname === loner.nickname);
      await until(async () => {
        const p = await progress();
        return p.users_sent === p.users_total && !p.in_progress;
      });
      expect(await run(`/secure-connection sync-users --connectionID ${rid}`)).toMatch(
        new RegExp(`^##### Full user sync with secure connection ${rid} started: ${localUsers + 0} local users to send\\.`),
      );
      expect(await run(`/secure-connection sync-users --connectionID ${newId()}`)).toMatch(/^Could not start the user sync/);
      // Done before the next test counts what B receives.
      await until(async () => !(await progress()).in_progress);
      await until(async () => (await db(a).query('SELECT 1 FROM remote_clusters WHERE user_sync_lease_owner <> $1', [''])).length === 0);
    } finally {
      config(a).featureFlags.enableSyncAllUsersForRemoteCluster = false;
      config(b).featureFlags.enableSyncAllUsersForRemoteCluster = false;
    }
  });

  it('keeps several batches on their way at once, and moves the cursor only over batches confirmed in order', async () => {
    const ids = Array.from({ length: 45 }, () => newId());
    await db(a).query(
      `INSERT INTO users (id, create_at, update_at, username, email, roles)
       SELECT id, $2, $2, 'p' || substr(id, 1, 20), substr(id, 1, 20) || '@pipe.test', 'system_user' FROM unnest($1::varchar[]) AS id`,
      [ids, Date.now()],
    );
    const receiver = b.h.app.get(GlobalUserSyncReceiver);
    const original = receiver.receive.bind(receiver);
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const spy = jest.spyOn(receiver, 'receive').mockImplementation(async (remoteId, payload) => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 30));
        // The second batch fails once: the ones after it may be applied, but the cursor must wait for it.
        if (++calls === 2) return { status: 'FAIL', err: 'failing once on purpose' } as PeerResponse;
        return await original(remoteId, payload);
      } finally {
        inFlight--;
      }
    });
    // Every user of A at or before A's cursor is on B, whenever we look.
    const cursorPassedMissing = async () => {
      const [{ n }] = await db(a).query(
        `SELECT count(*)::int AS n FROM users u JOIN remote_clusters rc ON rc.remote_id = $1
         WHERE u.id = ANY($2) AND (u.update_at, u.id) <= (rc.last_global_user_sync_at, rc.last_global_user_sync_id)`,
        [rid, ids],
      );
      const onB: unknown[] = await db(b).query('SELECT 1 FROM users WHERE id = ANY($1)', [ids]);
      return n > onB.length;
    };
    config(a).featureFlags.enableSyncAllUsersForRemoteCluster = true;
    config(b).featureFlags.enableSyncAllUsersForRemoteCluster = true;
    try {
      await until(async () => {
        expect(await cursorPassedMissing()).toBe(false);
        return (await db(b).query('SELECT 1 FROM users WHERE id = ANY($1)', [ids])).length === ids.length;
      });
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(4);
    } finally {
      config(a).featureFlags.enableSyncAllUsersForRemoteCluster = false;
      config(b).featureFlags.enableSyncAllUsersForRemoteCluster = false;
      spy.mockRestore();
    }
  });

  it('sends each user once when two replicas of A share the work', async () => {
    // A second replica of A (same database, its own process-like app and bus), polling for the same remote.
    const replica = await GatewayHarness.start({ ...ENV, SITE_URL: a.url, DATABASE_URL: a.h.databaseUrl }, [
      RemoteClusterModule,
      UserSyncModule,
    ]);
    try {
      const now = Date.now();
      const ids = Array.from({ length: 150 }, () => newId());
      await db(a).query(
        `INSERT INTO users (id, create_at, update_at, username, email, roles)
         SELECT id, $2, $2, 'r' || substr(id, 1, 20), substr(id, 1, 20) || '@replica.test', 'system_user' FROM unnest($1::varchar[]) AS id`,
        [ids, now],
      );
      const received = async () =>
        ((await register.getSingleMetric('fedchat_user_sync_users_received_total')?.get())?.values ?? []).reduce((n, v) => n + v.value, 0);
      const before = await received();
      for (const c of [config(a), replica.app.get<AppConfig>(APP_CONFIG)]) c.featureFlags.enableSyncAllUsersForRemoteCluster = true;
      await until(async () => (await db(b).query('SELECT 1 FROM users WHERE id = ANY($1)', [ids])).length === ids.length);
      // 50 batches of 3, taken by whichever replica holds the remote's lease: none twice.
      expect((await received()) - before).toBe(ids.length);
    } finally {
      config(a).featureFlags.enableSyncAllUsersForRemoteCluster = false;
      await replica.close();
    }
  });
});

describe('bad input from a peer', () => {
  const SYNC = peerTopicContract('sharedchannel_sync');
  const GLOBAL = peerTopicContract('sharedchannel_global_user_sync');
  const send = (topic: typeof SYNC, payload: Record<string, unknown>): Promise<PeerResponse> =>
    a.h.app.get(Bus).request(topic, { remote_id: rid, msg: { id: newId(), topic: 'x', create_at: Date.now(), payload } });
  const wireUser = (id: string, username: string, extra: Record<string, unknown> = {}) => ({
    id,
    username,
    update_at: Date.now(),
    ...extra,
  });

  beforeAll(() => {
    config(a).featureFlags.enableSyncAllUsersForRemoteCluster = true;
  });
  afterAll(() => {
    config(a).featureFlags.enableSyncAllUsersForRemoteCluster = false;
  });

  it('refuses, per user, users the sender does not own, and never overwrites a local user', async () => {
    const stranger = newId();
    const relayed = newId();
    const res = await send(GLOBAL, {
      channel_id: '',
      users: {
        [a.admin.id]: wireUser(a.admin.id, 'aadmin', { nickname: 'hijacked' }),
        [stranger]: wireUser(stranger, 'mallory', { remote_id: newId() }),
        [relayed]: wireUser(relayed, 'ours', { remote_id: rid }),
      },
    });
    expect(res.status).toBe('OK');
    expect((res.payload as { user_errors: string[] }).user_errors.sort()).toEqual([a.admin.id, stranger, relayed].sort());
    expect(await userOn(a, a.admin.id)).toMatchObject({ username: 'aadmin', remote_id: '' });
    expect((await userOn(a, a.admin.id)).nickname).not.toBe('hijacked');
    expect(await userOn(a, stranger)).toBeUndefined();
    expect(await userOn(a, relayed)).toBeUndefined();
  });

  it('gives two users of the sender with the same name distinct munged names', async () => {
    const [first, second] = [newId(), newId()];
    const res = await send(GLOBAL, { channel_id: '', users: { [first]: wireUser(first, 'zed'), [second]: wireUser(second, 'zed') } });
    expect((res.payload as { users_syncd: string[] }).users_syncd.sort()).toEqual([first, second].sort());
    const names = [(await userOn(a, first)).username, (await userOn(a, second)).username].sort();
    expect(names).toEqual(['zed-2:peer-b', 'zed:peer-b']);
  });

  it('refuses in a channel sync a user claimed to come from one of our own connections', async () => {
    const id = newId();
    const res = await send(SYNC, { channel_id: a.channelId, users: { [id]: wireUser(id, 'echo', { remote_id: rid }) } });
    expect((res.payload as { user_errors: string[] }).user_errors).toEqual([id]);
    expect(await userOn(a, id)).toBeUndefined();
  });

  it('fails a global sync with a channel, with content, or with too many users, and changes nothing', async () => {
    const id = newId();
    const one = { [id]: wireUser(id, 'x') };
    expect((await send(GLOBAL, { channel_id: a.channelId, users: one })).status).toBe('FAIL');
    expect((await send(GLOBAL, { channel_id: '', users: one, posts: [{}] })).status).toBe('FAIL');
    expect((await send(GLOBAL, { channel_id: '', users: one, statuses: [{ user_id: id, status: 'online' }] })).status).toBe('FAIL');
    const many = Object.fromEntries(Array.from({ length: 201 }, () => newId()).map((u) => [u, wireUser(u, `u${u.slice(0, 6)}`)]));
    expect((await send(GLOBAL, { channel_id: '', users: many })).status).toBe('FAIL');
    expect(await userOn(a, id)).toBeUndefined();
    expect(await db(a).query('SELECT 1 FROM users WHERE id = ANY($1)', [Object.keys(many)])).toEqual([]);
  });

  it('refuses statuses of users the sender does not own', async () => {
    const before = await statusOn(a, a.admin.id);
    const res = await send(SYNC, { channel_id: a.channelId, statuses: [{ user_id: a.admin.id, status: 'offline' }, { user_id: 'junk' }] });
    expect(res.status).toBe('OK');
    expect((res.payload as { status_errors: string[] }).status_errors).toEqual([a.admin.id, 'junk']);
    expect(await statusOn(a, a.admin.id)).toBe(before);
  });

  it('refuses membership changes for local users, other channels, and unknown users', async () => {
    const [bUser] = await db(a).query(`SELECT id FROM users WHERE remote_id = $1 LIMIT 1`, [rid]);
    const other = await a.h.channelWith([a.admin]);
    const unknown = newId();
    const res = await send(SYNC, {
      channel_id: a.channelId,
      membership_changes: [
        { channel_id: a.channelId, user_id: a.admin.id, is_add: false, change_time: Date.now() },
        { channel_id: other.channelId, user_id: bUser.id, is_add: true, change_time: Date.now() },
        { channel_id: a.channelId, user_id: unknown, is_add: true, change_time: Date.now() },
      ],
    });
    expect(res.status).toBe('OK');
    expect((res.payload as { membership_errors: string[] }).membership_errors).toEqual([a.admin.id, bUser.id, unknown]);
    expect(await isMember(a, a.channelId, a.admin.id)).toBe(true);
    expect(await isMember(a, other.channelId, bUser.id)).toBe(false);
    expect(await db(a).query('SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2', [other.teamId, bUser.id])).toEqual([]);
  });

  it('refuses a membership change in a channel not shared with the sender', async () => {
    const [bUser] = await db(a).query(`SELECT id FROM users WHERE remote_id = $1 LIMIT 1`, [rid]);
    const other = await a.h.channelWith([a.admin]);
    const res = await send(SYNC, {
      channel_id: other.channelId,
      membership_changes: [{ channel_id: other.channelId, user_id: bUser.id, is_add: true, change_time: Date.now() }],
    });
    expect(res.status).toBe('FAIL');
    expect(await isMember(a, other.channelId, bUser.id)).toBe(false);
  });

  it('fails an oversized list of membership changes as a whole', async () => {
    const changes = Array.from({ length: 1001 }, () => ({ channel_id: a.channelId, user_id: newId(), is_add: true, change_time: 1 }));
    expect((await send(SYNC, { channel_id: a.channelId, membership_changes: changes })).status).toBe('FAIL');
  });
});
