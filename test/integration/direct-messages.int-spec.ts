import { directChannelName, groupChannelName } from '@fedchat/chat';
import { APP_CONFIG, AppConfig, Bus } from '@fedchat/common';
import { peerTopicContract, PeerResponse, UnshareChannel } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { newRemote, newUser, waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { TestUser } from '../support/gateway-harness';
import { connectClusters, QUICK_FEDERATION_ENV, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * Direct and group messages with remote users (flag EnableSharedChannelsDMs) between two real clusters on loopback:
 * a DM or GM created on A with B's users is created on B with the same id and members, and its posts and reactions
 * travel both ways; the gateway refuses it with the flag off; B refuses hostile invitations and writes nothing.
 */

const ENV = {
  ...QUICK_FEDERATION_ENV,
  MM_FEATUREFLAGS_ENABLESHAREDCHANNELSDMS: 'true',
};

const INVITE = peerTopicContract('sharedchannel_invite');

let a: TestCluster;
let b: TestCluster;
let remoteId: string;
let alice: TestUser;
let carol: TestUser;
let bob: TestUser;
let dave: TestUser;
let dmId: string;

const db = (c: TestCluster) => c.h.app.get(DataSource);
const config = (c: TestCluster) => c.h.app.get<AppConfig>(APP_CONFIG);

/** Waits until `cond` holds (waitFor itself stops at the first defined value, false included). */
function until(cond: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  return waitFor(cond.toString().slice(0, 160), async () => ((await cond()) ? true : undefined), timeoutMs);
}

async function userPosts(c: TestCluster, channelId: string): Promise<{ id: string; message: string; user_id: string }[]> {
  return db(c).query(`SELECT id, message, user_id FROM posts WHERE channel_id = $1 AND type = '' ORDER BY create_at, id`, [channelId]);
}

async function members(c: TestCluster, channelId: string): Promise<string[]> {
  const rows: { user_id: string }[] = await db(c).query('SELECT user_id FROM channel_members WHERE channel_id = $1 ORDER BY user_id', [
    channelId,
  ]);
  return rows.map((r) => r.user_id);
}

async function exists(c: TestCluster, table: 'channels' | 'users', id: string): Promise<boolean> {
  return (await db(c).query(`SELECT 1 FROM ${table} WHERE id = $1`, [id])).length === 1;
}

async function joinTeam(c: TestCluster, user: TestUser): Promise<void> {
  await c.h.as(c.admin).post(`/api/v4/teams/${c.teamId}/members`).send({ team_id: c.teamId, user_id: user.id }).expect(201);
}

/** A remote user known here, as received through the connection: the shape Mattermost sends (§2.8). */
function wireUser(id: string, username: string): Record<string, unknown> {
  return { id, username, email: '', nickname: '', first_name: '', last_name: '', remote_id: '', update_at: Date.now() };
}

/** Hands B an invitation exactly as its gateway does for `/api/v4/remotecluster/msg` from A. */
function inviteB(payload: Record<string, unknown>): Promise<PeerResponse> {
  return b.h.app.get(Bus).request(INVITE, {
    remote_id: remoteId,
    msg: { id: newId(), topic: 'sharedchannel_invite', create_at: Date.now(), payload },
  });
}

function invite(type: 'D' | 'G', ids: string[], participants: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return {
    channel_id: newId(),
    type,
    name: type === 'D' ? directChannelName(ids[0], ids[1]) : groupChannelName(ids),
    display_name: '',
    read_only: false,
    creator_id: ids[0],
    direct_participant_ids: ids,
    direct_participants: participants,
    ...extra,
  };
}

beforeAll(async () => {
  a = await startTestCluster('a', ENV, [RemoteClusterModule, SharedChannelSyncModule]);
  b = await startTestCluster('b', ENV, [RemoteClusterModule, SharedChannelSyncModule]);
  remoteId = await connectClusters(a, b);
  alice = await a.h.signUp('alice', a.admin);
  carol = await a.h.signUp('carol', a.admin);
  bob = await b.h.signUp('bob', b.admin);
  dave = await b.h.signUp('dave', b.admin);
  await joinTeam(b, bob);
  await joinTeam(b, dave);
  // B's users become known on A the way they do without global user sync: they post in a channel A shares with B.
  await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${a.channelId}/invite`).send({}).expect(200);
  await until(() => exists(b, 'channels', a.channelId));
  for (const user of [bob, dave]) {
    await b.h.as(b.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: user.id }).expect(201);
    await b.h
      .as(user)
      .post('/api/v4/posts')
      .send({ channel_id: a.channelId, message: `hi from ${user.username}` })
      .expect(201);
  }
  await until(async () => (await exists(a, 'users', bob.id)) && exists(a, 'users', dave.id));
});

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('flag EnableSharedChannelsDMs off', () => {
  afterEach(() => {
    config(a).featureFlags.enableSharedChannelsDMs = true;
  });

  it('refuses a DM or GM with a remote user, as Mattermost does, and creates nothing', async () => {
    config(a).featureFlags.enableSharedChannelsDMs = false;
    const dm = await a.h.as(alice).post('/api/v4/channels/direct').send([alice.id, bob.id]).expect(403);
    expect(dm.body.id).toBe('api.channel.create_channel.direct_channel.remote_restricted.app_error');
    const gm = await a.h.as(alice).post('/api/v4/channels/group').send([carol.id, bob.id]).expect(403);
    expect(gm.body.id).toBe('api.channel.create_group.remote_restricted.app_error');
    const names = [directChannelName(alice.id, bob.id), groupChannelName([alice.id, carol.id, bob.id])];
    expect(await db(a).query(`SELECT 1 FROM channels WHERE name = ANY($1)`, [names])).toEqual([]);
  });

  it('still creates DMs between local users', async () => {
    config(a).featureFlags.enableSharedChannelsDMs = false;
    await a.h.as(alice).post('/api/v4/channels/direct').send([alice.id, carol.id]).expect(201);
  });
});

describe('can_dm', () => {
  const canDm = async (as: TestUser, userId: string, other: string) =>
    (await a.h.as(as).get(`/api/v4/sharedchannels/users/${userId}/can_dm/${other}`).expect(200)).body;

  it('answers true for a local user and for a user of a directly connected workspace', async () => {
    expect(await canDm(alice, alice.id, carol.id)).toEqual({ can_dm: true });
    expect(await canDm(alice, alice.id, bob.id)).toEqual({ can_dm: true });
  });

  it('answers false for a remote user when the flag is off, and for an unknown user', async () => {
    config(a).featureFlags.enableSharedChannelsDMs = false;
    try {
      expect(await canDm(alice, alice.id, bob.id)).toEqual({ can_dm: false });
    } finally {
      config(a).featureFlags.enableSharedChannelsDMs = true;
    }
    expect(await canDm(alice, alice.id, newId())).toEqual({ can_dm: false });
  });

  it('answers false for a user relayed by a workspace that is not its origin, and no DM can be opened with one', async () => {
    const { id: relayed } = await newUser(db(a), { username: 'eve:peer-c', remote_id: remoteId, props: { OriginalRemoteId: newId() } });
    expect(await canDm(alice, alice.id, relayed)).toEqual({ can_dm: false });
    // Opening one is refused before anything is created: the invitation could not reach eve's own workspace.
    const res = await a.h.as(alice).post('/api/v4/channels/direct').send([alice.id, relayed]).expect(400);
    expect(res.body.id).toBe('api.shared_channel.direct.not_directly_connected.app_error');
    expect(await db(a).query('SELECT 1 FROM channels WHERE name = $1', [directChannelName(alice.id, relayed)])).toEqual([]);
  });

  it('refuses malformed ids with 400', async () => {
    await a.h.as(alice).get(`/api/v4/sharedchannels/users/nope/can_dm/${bob.id}`).expect(400);
    await a.h.as(alice).get(`/api/v4/sharedchannels/users/${alice.id}/can_dm/nope`).expect(400);
  });
});

describe('a DM between A and B', () => {
  it('is created on A, shared with B, and created on B with the same id and both members', async () => {
    const res = await a.h.as(alice).post('/api/v4/channels/direct').send([alice.id, bob.id]).expect(201);
    dmId = res.body.id;
    expect(res.body.shared).toBe(true);
    expect(res.body.name).toBe(directChannelName(alice.id, bob.id));
    await until(() => exists(b, 'channels', dmId));
    const [onB] = await db(b).query('SELECT type, name, team_id, shared FROM channels WHERE id = $1', [dmId]);
    expect(onB).toEqual({ type: 'D', name: directChannelName(alice.id, bob.id), team_id: '', shared: true });
    expect(await members(b, dmId)).toEqual([alice.id, bob.id].sort());
    const [shareA] = await db(a).query('SELECT home FROM shared_channels WHERE channel_id = $1', [dmId]);
    const [shareB] = await db(b).query('SELECT home, remote_id FROM shared_channels WHERE channel_id = $1', [dmId]);
    expect(shareA).toEqual({ home: true });
    expect(shareB).toEqual({ home: false, remote_id: remoteId });
    await until(
      async () =>
        (await db(a).query('SELECT 1 FROM shared_channel_remotes WHERE channel_id = $1 AND is_invite_confirmed', [dmId])).length === 1,
    );
    const [aliceOnB] = await db(b).query('SELECT username, remote_id FROM users WHERE id = $1', [alice.id]);
    expect(aliceOnB).toEqual({ username: 'alice:peer-a', remote_id: remoteId });
  });

  it('returns the same channel when asked again, from either side, without a second invitation', async () => {
    const again = await a.h.as(alice).post('/api/v4/channels/direct').send([bob.id, alice.id]).expect(201);
    expect(again.body.id).toBe(dmId);
    const fromB = await b.h.as(bob).post('/api/v4/channels/direct').send([bob.id, alice.id]).expect(201);
    expect(fromB.body.id).toBe(dmId);
    expect(await db(a).query('SELECT 1 FROM shared_channel_remotes WHERE channel_id = $1', [dmId])).toHaveLength(1);
    expect(await db(b).query('SELECT 1 FROM shared_channel_remotes WHERE channel_id = $1', [dmId])).toHaveLength(1);
  });

  it('carries posts and reactions both ways, once, without notices', async () => {
    const fromAlice = await a.h.as(alice).post('/api/v4/posts').send({ channel_id: dmId, message: 'hello bob' }).expect(201);
    await until(async () => (await userPosts(b, dmId)).some((p) => p.id === fromAlice.body.id));
    const fromBob = await b.h.as(bob).post('/api/v4/posts').send({ channel_id: dmId, message: 'hello alice' }).expect(201);
    await until(async () => (await userPosts(a, dmId)).some((p) => p.id === fromBob.body.id));

    await b.h.as(bob).post('/api/v4/reactions').send({ user_id: bob.id, post_id: fromAlice.body.id, emoji_name: 'wave' }).expect(201);
    await a.h.as(alice).post('/api/v4/reactions').send({ user_id: alice.id, post_id: fromBob.body.id, emoji_name: 'tada' }).expect(201);
    const reaction = (c: TestCluster, postId: string, emoji: string) =>
      db(c).query(`SELECT user_id FROM reactions WHERE post_id = $1 AND emoji_name = $2 AND delete_at = 0`, [postId, emoji]);
    await until(async () => (await reaction(a, fromAlice.body.id, 'wave')).length === 1);
    await until(async () => (await reaction(b, fromBob.body.id, 'tada')).length === 1);
    expect(await reaction(a, fromAlice.body.id, 'wave')).toEqual([{ user_id: bob.id }]);

    const onA = await userPosts(a, dmId);
    const onB = await userPosts(b, dmId);
    expect(onA.map((p) => p.id)).toEqual(onB.map((p) => p.id));
    expect(onA.map((p) => p.message)).toEqual(['hello bob', 'hello alice']);
    for (const c of [a, b]) {
      expect(await db(c).query(`SELECT type FROM posts WHERE channel_id = $1 AND type <> ''`, [dmId])).toEqual([]);
    }
  });
});

describe('a GM across A and B', () => {
  it('is created on B with the same id, all members and the home relaying both ways', async () => {
    const res = await a.h.as(alice).post('/api/v4/channels/group').send([carol.id, bob.id, dave.id]).expect(201);
    const gmId: string = res.body.id;
    await until(() => exists(b, 'channels', gmId));
    const [onB] = await db(b).query('SELECT type, name FROM channels WHERE id = $1', [gmId]);
    expect(onB).toEqual({ type: 'G', name: groupChannelName([alice.id, carol.id, bob.id, dave.id]) });
    expect(await members(b, gmId)).toEqual([alice.id, carol.id, bob.id, dave.id].sort());
    expect(await db(a).query('SELECT remote_id FROM shared_channel_remotes WHERE channel_id = $1', [gmId])).toEqual([
      { remote_id: remoteId },
    ]);

    const fromDave = await b.h.as(dave).post('/api/v4/posts').send({ channel_id: gmId, message: 'dave here' }).expect(201);
    await until(async () => (await userPosts(a, gmId)).some((p) => p.id === fromDave.body.id));
    const fromCarol = await a.h.as(carol).post('/api/v4/posts').send({ channel_id: gmId, message: 'carol here' }).expect(201);
    await until(async () => (await userPosts(b, gmId)).some((p) => p.id === fromCarol.body.id));
  });
});

describe('B refuses hostile direct and group invitations and writes nothing', () => {
  const refusedWithNothing = async (payload: ReturnType<typeof invite>, reason: RegExp, newUsers: string[] = []) => {
    const answer = await inviteB(payload);
    expect(answer.status).toBe('FAIL');
    expect(answer.err).toMatch(reason);
    expect(await exists(b, 'channels', payload.channel_id)).toBe(false);
    for (const id of newUsers) expect(await exists(b, 'users', id)).toBe(false);
  };

  it('a DM of two remote users', async () => {
    const [x, y] = [newId(), newId()];
    await refusedWithNothing(invite('D', [x, y], [wireUser(x, 'x1'), wireUser(y, 'y1')]), /one user of the sender and one local/, [x, y]);
  });

  it('a DM of two local users', async () => {
    await refusedWithNothing(invite('D', [bob.id, dave.id], []), /one user of the sender and one local/);
  });

  it('a DM with a user of another connection', async () => {
    const { remote_id: other } = await newRemote(db(b), { name: 'peer-r', creator_id: b.admin.id });
    const { id: stranger } = await newUser(db(b), { username: 'zed:peer-r', remote_id: other });
    await refusedWithNothing(invite('D', [stranger, bob.id], [wireUser(stranger, 'zed')]), /remoteID mismatch/);
    const [kept] = await db(b).query('SELECT username, remote_id FROM users WHERE id = $1', [stranger]);
    expect(kept).toEqual({ username: 'zed:peer-r', remote_id: other });
  });

  it('a DM whose pair already has a DM here under another id', async () => {
    await refusedWithNothing(invite('D', [alice.id, bob.id], [wireUser(alice.id, 'alice')]), /another id/);
  });

  it('participant counts out of range, duplicates, unknown participants and a stranger creator', async () => {
    const x = newId();
    await refusedWithNothing(invite('G', [alice.id, bob.id], [wireUser(alice.id, 'alice')]), /3 to 8 participants/);
    const nine = [alice.id, bob.id, ...Array.from({ length: 7 }, () => newId())];
    const nineAnswer = await inviteB(invite('G', nine, []));
    expect(nineAnswer).toEqual({ status: 'FAIL', err: expect.stringMatching(/at most 8/) });
    await refusedWithNothing(invite('D', [alice.id, alice.id], [wireUser(alice.id, 'alice')]), /twice/);
    await refusedWithNothing(invite('D', [x, bob.id], []), /unknown participant/);
    await refusedWithNothing(
      invite('G', [alice.id, bob.id, dave.id], [wireUser(alice.id, 'alice')], { creator_id: newId() }),
      /creator_id/,
    );
    await refusedWithNothing(invite('D', [alice.id, bob.id], [wireUser(x, 'x3')]), /not a participant/, [x]);
  });

  it('never changes a local participant, whatever user data the invitation carries for it', async () => {
    const x = newId();
    const payload = invite('D', [x, dave.id], [wireUser(x, 'xavier'), { ...wireUser(dave.id, 'mallory'), first_name: 'Mallory' }]);
    expect(await inviteB(payload)).toEqual({ status: 'OK' });
    expect(await members(b, payload.channel_id)).toEqual([x, dave.id].sort());
    const [kept] = await db(b).query('SELECT username, first_name, remote_id FROM users WHERE id = $1', [dave.id]);
    expect(kept).toEqual({ username: 'dave', first_name: '', remote_id: '' });
  });

  it('any DM or GM while B has the flag off', async () => {
    config(b).featureFlags.enableSharedChannelsDMs = false;
    try {
      await refusedWithNothing(invite('G', [alice.id, bob.id, dave.id], [wireUser(alice.id, 'alice')]), /EnableSharedChannelsDMs/);
    } finally {
      config(b).featureFlags.enableSharedChannelsDMs = true;
    }
  });
});

describe('a DM created while B is down', () => {
  it('is created on A at once and reaches B when B is back (the invitation is kept and retried)', async () => {
    const keep = { port: b.port, databaseUrl: b.h.databaseUrl, teamId: b.teamId, channelId: b.channelId };
    await b.h.close();
    const res = await a.h.as(alice).post('/api/v4/channels/direct').send([alice.id, dave.id]).expect(201);
    const id: string = res.body.id;
    const pending = async () =>
      (await db(a).query('SELECT is_invite_confirmed AS confirmed FROM shared_channel_remotes WHERE channel_id = $1', [id])) as {
        confirmed: boolean;
      }[];
    expect(await pending()).toEqual([{ confirmed: false }]);
    b = await startTestCluster('b', ENV, [RemoteClusterModule, SharedChannelSyncModule], keep);
    await until(() => exists(b, 'channels', id), 30_000);
    expect(await members(b, id)).toEqual([alice.id, dave.id].sort());
    await until(async () => (await pending())[0]?.confirmed === true);
  });
});

describe('a DM whose share ends', () => {
  it('stays open on B, in removal mode archive too: direct messages are never archived', async () => {
    expect(config(b).sharedChannels.removalMode).toBe('archive');
    expect(await a.h.app.get(Bus).request(UnshareChannel, { actor_id: a.admin.id, channel_id: dmId })).toEqual({ changed: true });
    await until(async () => (await db(b).query('SELECT 1 FROM shared_channels WHERE channel_id = $1', [dmId])).length === 0);
    const [onB] = await db(b).query('SELECT delete_at, shared FROM channels WHERE id = $1', [dmId]);
    expect([Number(onB.delete_at), onB.shared]).toEqual([0, false]);
  });
});
