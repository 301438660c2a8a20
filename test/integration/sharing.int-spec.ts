import { AppError, Bus, metricsRegistry } from '@fedchat/common';
import {
  DecideInvitation,
  GetChannelShareStatus,
  GetRemoteInfo,
  InviteRemote,
  ListChannelRemotes,
  ListChannelShares,
  ListInvitations,
  ListSharedChannels,
  peerTopicContract,
  PeerResponse,
  UninviteRemote,
  UnshareChannel,
} from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { newRemote, waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { ClusterPlace, connectClusters, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * The sharing lifecycle between two real clusters A and B (gateway + remote-cluster + shared-channel-sync each, a
 * real PostgreSQL database each, on loopback ports), connected through the REST API. The lifecycle is driven through
 * its bus RPCs, as the gateway's REST controllers and slash command call them; every assertion is on what the other
 * cluster's database shows.
 */

const FAST = {
  REMOTE_CLUSTER_PING_INTERVAL_MS: '300',
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '2000',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  SHARED_CHANNELS_POLL_INTERVAL_MS: '100',
  SHARED_CHANNELS_RETRY_MAX_MS: '800',
};

const INVITE = peerTopicContract('sharedchannel_invite');
const UNSHARE = peerTopicContract('sharedchannel_unshare');

type Cluster = TestCluster;

function startCluster(name: string, reuse?: ClusterPlace): Promise<Cluster> {
  return startTestCluster(name, FAST, [RemoteClusterModule, SharedChannelSyncModule], reuse);
}

function db(c: Cluster): DataSource {
  return c.h.app.get(DataSource);
}

function bus(c: Cluster): Bus {
  return c.h.app.get(Bus);
}

let a: Cluster;
let b: Cluster;
let remoteId: string;
let counter = 0;

function connect(): Promise<string> {
  return connectClusters(a, b, 'Sharing-Passw0rd!');
}

/** A public channel on A, created by A's admin through the REST API. */
async function channelOnA(type: 'O' | 'P' = 'O'): Promise<{ id: string; name: string; display_name: string }> {
  const name = `shared-${++counter}-${Date.now() % 100000}`;
  const res = await a.h
    .as(a.admin)
    .post('/api/v4/channels')
    .send({ team_id: a.teamId, name, display_name: `Shared ${counter}`, type, purpose: 'the purpose', header: 'the header' })
    .expect(201);
  return res.body;
}

function invite(channelId: string, readonly = false) {
  return bus(a).request(InviteRemote, { actor_id: a.admin.id, remote_id: remoteId, channel_id: channelId, readonly });
}

async function row<T = Record<string, unknown>>(c: Cluster, sql: string, params: unknown[]): Promise<T | undefined> {
  const rows: T[] = await db(c).query(sql, params);
  return rows[0];
}

function sharedRow(c: Cluster, channelId: string) {
  return row<{ home: boolean; remote_id: string; readonly: boolean; team_id: string }>(
    c,
    'SELECT home, remote_id, readonly, team_id FROM shared_channels WHERE channel_id = $1',
    [channelId],
  );
}

function shareRow(c: Cluster, channelId: string) {
  return row<{ is_invite_confirmed: boolean; delete_at: string; readonly: boolean; failures: number; last_error: string }>(
    c,
    'SELECT is_invite_confirmed, delete_at, readonly, failures, last_error FROM shared_channel_remotes WHERE channel_id = $1 AND remote_id = $2',
    [channelId, remoteId],
  );
}

function channelRow(c: Cluster, channelId: string) {
  return row<{ team_id: string; name: string; display_name: string; purpose: string; header: string; shared: boolean; delete_at: string }>(
    c,
    'SELECT team_id, name, display_name, purpose, header, shared, delete_at FROM channels WHERE id = $1',
    [channelId],
  );
}

async function notices(c: Cluster, channelId: string): Promise<{ message: string; type: string }[]> {
  return db(c).query('SELECT message, type FROM posts WHERE channel_id = $1 ORDER BY create_at, id', [channelId]);
}

async function waitNotice(c: Cluster, channelId: string, message: string, type = 'shared_channel_state'): Promise<void> {
  await waitFor(`notice "${message}"`, async () =>
    (await notices(c, channelId)).some((n) => n.message === message && n.type === type) ? true : undefined,
  );
}

/** A peer frame handed to B exactly as B's gateway hands it over after authenticating the sender. */
function toB(topic: typeof INVITE | typeof UNSHARE, sender: string, payload: Record<string, unknown>): Promise<PeerResponse> {
  const name = topic === INVITE ? 'sharedchannel_invite' : 'sharedchannel_unshare';
  return bus(b).request(topic, { remote_id: sender, msg: { id: newId(), topic: name, create_at: Date.now(), payload } });
}

async function appError(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

beforeAll(async () => {
  a = await startCluster('a');
  b = await startCluster('b');
  remoteId = await connect();
  await waitFor('A sees B confirmed', async () =>
    (await row<{ site_url: string }>(a, 'SELECT site_url FROM remote_clusters WHERE remote_id = $1', [remoteId]))?.site_url === b.url
      ? true
      : undefined,
  );
});

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('sharing a channel between two clusters', () => {
  let first: { id: string; name: string; display_name: string };

  it('invites B: the channel appears on B with the same id in its default team, shared and homed on A', async () => {
    first = await channelOnA();
    const reply = await invite(first.id);
    expect(reply).toEqual({
      newly_shared: true,
      already_invited: false,
      delivered: true,
      connection_pending: false,
      remote_display_name: 'Peer B',
      remote_site_url: b.url,
    });
    expect(await channelRow(b, first.id)).toMatchObject({
      team_id: b.teamId,
      name: first.name,
      display_name: first.display_name,
      purpose: 'the purpose',
      header: 'the header',
      shared: true,
    });
    expect(await sharedRow(b, first.id)).toEqual({ home: false, remote_id: remoteId, readonly: false, team_id: b.teamId });
    expect(await shareRow(b, first.id)).toMatchObject({ is_invite_confirmed: true, delete_at: 0 });
    // The connection's creator (B's admin) runs the channel on B.
    expect(await row(b, 'SELECT roles FROM channel_members WHERE channel_id = $1 AND user_id = $2', [first.id, b.admin.id])).toMatchObject({
      roles: expect.stringContaining('channel_admin'),
    });

    expect(await sharedRow(a, first.id)).toMatchObject({ home: true, remote_id: '', team_id: a.teamId });
    expect(await shareRow(a, first.id)).toMatchObject({ is_invite_confirmed: true, failures: 0 });
    expect((await channelRow(a, first.id))?.shared).toBe(true);
    await waitNotice(a, first.id, 'This channel is now shared with Peer B.');
    await waitNotice(b, first.id, 'This channel is now shared with Peer A.');
  });

  it('answers the reads on both sides', async () => {
    const status = await bus(a).request(GetChannelShareStatus, { actor_id: a.admin.id, channel_id: first.id });
    expect(status).toMatchObject({ shared: true, home: true });
    expect(status.remotes).toEqual([
      expect.objectContaining({ remote_id: remoteId, display_name: 'Peer B', site_url: b.url, is_invite_confirmed: true, readonly: false }),
    ]);
    const onB = await bus(b).request(ListSharedChannels, { team_id: b.teamId, page: 0, per_page: 50 });
    expect(onB.channels).toEqual([
      expect.objectContaining({ id: first.id, home: false, remote_id: remoteId, name: first.name, display_name: first.display_name }),
    ]);
    const nonMember = await bus(b).request(ListSharedChannels, { team_id: b.teamId, member_id: newId(), page: 0, per_page: 50 });
    expect(nonMember.channels).toEqual([]);
    const remotes = await bus(b).request(ListChannelRemotes, { channel_id: first.id });
    expect(remotes.remotes).toEqual([expect.objectContaining({ remote_id: remoteId, name: 'peer-a', display_name: 'Peer A' })]);
    expect((await appError(bus(b).request(ListChannelRemotes, { channel_id: newId() }))).getStatus()).toBe(404);

    const info = await bus(b).request(GetRemoteInfo, { remote_id: remoteId, member_id: b.admin.id, include_deleted: false });
    expect(info).toMatchObject({ remote_id: remoteId, display_name: 'Peer A' });
    const hidden = await appError(bus(b).request(GetRemoteInfo, { remote_id: remoteId, member_id: newId(), include_deleted: false }));
    expect([hidden.getStatus(), hidden.errorId]).toEqual([404, 'api.remote_cluster.get.not_found']);

    const filters = { include_unconfirmed: false, exclude_confirmed: false, exclude_home: false, exclude_remote: false };
    const page = { include_deleted: false, page: 0, per_page: 50 };
    const homeShares = await bus(a).request(ListChannelShares, { remote_id: remoteId, ...filters, ...page });
    expect(homeShares.shares.map((s) => s.channel_id)).toContain(first.id);
    expect(homeShares.shares[0]).toEqual(
      expect.objectContaining({
        remote_id: remoteId,
        is_invite_confirmed: true,
        // The wire name of the update cursor's id (protocol §2.3); the sync engine moves the cursors.
        last_post_id: expect.any(String),
        last_post_update_at: expect.any(Number),
        last_members_sync_at: expect.any(Number),
      }),
    );
    const guest = (o: Partial<typeof filters>) => bus(b).request(ListChannelShares, { remote_id: remoteId, ...filters, ...o, ...page });
    expect((await guest({ exclude_home: true })).shares.map((s) => s.channel_id)).toEqual([first.id]);
    expect((await guest({ exclude_remote: true })).shares).toEqual([]);
  });

  it('re-inviting is a no-op', async () => {
    const before = (await notices(a, first.id)).length;
    const reply = await invite(first.id);
    expect(reply).toMatchObject({ newly_shared: false, already_invited: true, delivered: true });
    const count = await row<{ n: number }>(a, 'SELECT count(*)::int AS n FROM shared_channel_remotes WHERE channel_id = $1', [first.id]);
    expect(count?.n).toBe(1);
    expect((await notices(a, first.id)).length).toBe(before);
  });

  it('refuses bad invitations on the home side', async () => {
    const bad = async (req: { remote_id?: string; channel_id?: string }, id: string, status = 400) => {
      const err = await appError(
        bus(a).request(InviteRemote, { actor_id: a.admin.id, remote_id: remoteId, channel_id: first.id, readonly: false, ...req }),
      );
      expect([err.getStatus(), err.errorId]).toEqual([status, id]);
    };
    await bad({ remote_id: newId() }, 'api.remote_cluster.invalid_id.app_error');
    await bad({ channel_id: newId() }, 'api.command_share.invalid_channel.error');
    // Pending connections may be invited (pending-connection-shares.int-spec.ts), deleted ones not.
    const pending = await a.h
      .as(a.admin)
      .post('/api/v4/remotecluster')
      .send({ name: 'not-yet', default_team_id: a.teamId, password: 'Pw-pw-pw-pw-1!' })
      .expect(201);
    await a.h.as(a.admin).delete(`/api/v4/remotecluster/${pending.body.remote_cluster.remote_id}`).expect(200);
    await bad({ remote_id: pending.body.remote_cluster.remote_id }, 'api.remote_cluster.invalid_id.app_error');
  });

  it('B cannot share the channel onward, nor uninvite its home', async () => {
    const onward = await appError(
      bus(b).request(InviteRemote, { actor_id: b.admin.id, remote_id: remoteId, channel_id: first.id, readonly: false }),
    );
    expect([onward.getStatus(), onward.errorId, onward.message]).toEqual([
      400,
      'api.command_share.channel_invite_not_home.error',
      'Cannot invite secure connection to a shared channel originating somewhere else.',
    ]);
    const uninvite = await appError(bus(b).request(UninviteRemote, { actor_id: b.admin.id, remote_id: remoteId, channel_id: first.id }));
    expect(uninvite.getStatus()).toBe(400);
    expect(await sharedRow(b, first.id)).toMatchObject({ home: false });
  });

  it('records read-only on both sides', async () => {
    const ch = await channelOnA('P');
    expect((await invite(ch.id, true)).delivered).toBe(true);
    expect((await shareRow(a, ch.id))?.readonly).toBe(true);
    expect(await sharedRow(b, ch.id)).toMatchObject({ readonly: true, home: false });
    expect((await channelRow(b, ch.id))?.team_id).toBe(b.teamId);
  });

  it('uninvite posts the notices on both sides and B stops sharing the channel, archiving its copy', async () => {
    expect(await bus(a).request(UninviteRemote, { actor_id: a.admin.id, remote_id: remoteId, channel_id: first.id })).toEqual({
      changed: true,
    });
    // B was the only remote: the channel is no longer shared on A.
    expect(await sharedRow(a, first.id)).toBeUndefined();
    expect((await channelRow(a, first.id))?.shared).toBe(false);
    await waitNotice(a, first.id, 'This channel is no longer shared with Peer B.');
    await waitNotice(a, first.id, 'This channel is no longer shared.', 'system_generic');

    await waitFor('B unshares', async () => ((await sharedRow(b, first.id)) === undefined ? true : undefined));
    expect(await channelRow(b, first.id)).toMatchObject({ shared: false, delete_at: expect.any(Number) });
    expect(Number((await channelRow(b, first.id))?.delete_at)).toBeGreaterThan(0);
    expect((await channelRow(a, first.id))?.delete_at).toBe(0);
    expect(await shareRow(b, first.id)).toBeUndefined();
    await waitNotice(b, first.id, 'This channel is no longer shared with Peer A.');
    await waitNotice(b, first.id, 'This channel is no longer shared.', 'system_generic');

    expect(await bus(a).request(UninviteRemote, { actor_id: a.admin.id, remote_id: remoteId, channel_id: first.id })).toEqual({
      changed: false,
    });
  });

  it('re-inviting after an uninvite reuses the channel B had, restoring it', async () => {
    expect(await invite(first.id)).toMatchObject({ newly_shared: true, delivered: true });
    expect(await sharedRow(b, first.id)).toMatchObject({ home: false, remote_id: remoteId });
    expect(await channelRow(b, first.id)).toMatchObject({ shared: true, team_id: b.teamId, delete_at: 0 });
  });

  it('unshare on the home ends every share; B follows', async () => {
    expect(await bus(a).request(UnshareChannel, { actor_id: a.admin.id, channel_id: first.id })).toEqual({ changed: true });
    expect(await sharedRow(a, first.id)).toBeUndefined();
    await waitFor('B unshares', async () => ((await sharedRow(b, first.id)) === undefined ? true : undefined));
    expect((await channelRow(b, first.id))?.shared).toBe(false);
    expect(await bus(a).request(UnshareChannel, { actor_id: a.admin.id, channel_id: first.id })).toEqual({ changed: false });
    const status = await bus(a).request(GetChannelShareStatus, { actor_id: a.admin.id, channel_id: first.id });
    expect(status).toEqual({ shared: false, home: false, remotes: [] });
  });

  it('unshare on the guest tells the home, which ends its share; the guest archives its copy', async () => {
    const ch = await channelOnA();
    expect((await invite(ch.id)).delivered).toBe(true);
    expect(await bus(b).request(UnshareChannel, { actor_id: b.admin.id, channel_id: ch.id })).toEqual({ changed: true });
    expect(await sharedRow(b, ch.id)).toBeUndefined();
    expect(Number((await channelRow(b, ch.id))?.delete_at)).toBeGreaterThan(0);
    await waitFor('A ends the share', async () => ((await sharedRow(a, ch.id)) === undefined ? true : undefined));
    expect((await channelRow(a, ch.id))?.shared).toBe(false);
    await waitNotice(a, ch.id, 'This channel is no longer shared with Peer B.');
  });

  it('archiving the channel on A archives it on B', async () => {
    const ch = await channelOnA();
    expect((await invite(ch.id)).delivered).toBe(true);
    await a.h.as(a.admin).delete(`/api/v4/channels/${ch.id}`).expect(200);
    await waitFor('A ends the share', async () => ((await sharedRow(a, ch.id)) === undefined ? true : undefined));
    await waitFor('B archives', async () => (Number((await channelRow(b, ch.id))?.delete_at) > 0 ? true : undefined));
    expect(await sharedRow(b, ch.id)).toBeUndefined();
    expect((await channelRow(b, ch.id))?.shared).toBe(false);
  });

  describe('review mode (auto_accept_channel_invites = false on B)', () => {
    beforeAll(async () => {
      await db(b).query('UPDATE remote_clusters SET auto_accept_channel_invites = false WHERE remote_id = $1', [remoteId]);
    });
    afterAll(async () => {
      await db(b).query('UPDATE remote_clusters SET auto_accept_channel_invites = true WHERE remote_id = $1', [remoteId]);
    });

    it('keeps the invitation for an admin, who is told, and accepting into a chosen team shares the channel', async () => {
      const ch = await channelOnA();
      expect(await invite(ch.id)).toMatchObject({ delivered: false, already_invited: false });
      expect(await channelRow(b, ch.id)).toBeUndefined();
      const { invitations } = await bus(b).request(ListInvitations, { status: 'pending' });
      const pending = invitations.find((i) => i.channel_id === ch.id);
      expect(pending).toMatchObject({
        remote_id: remoteId,
        direction: 'received',
        status: 'pending',
        name: ch.name,
        display_name: ch.display_name,
        type: 'O',
      });
      expect(await shareRow(a, ch.id)).toMatchObject({ is_invite_confirmed: false, last_error: 'channel invitation is pending review' });

      // B's admin gets a direct message from the system bot naming the invitation and how to accept it.
      const dm = await waitFor('DM to the admin', async () =>
        row<{ message: string }>(
          b,
          `SELECT p.message FROM posts p JOIN channels c ON c.id = p.channel_id
           WHERE c.type = 'D' AND c.name LIKE $1 AND p.message LIKE $2`,
          [`%${b.admin.id}%`, `%${pending!.id}%`],
        ),
      );
      expect(dm.message).toContain(ch.display_name);
      expect(dm.message).toContain('Peer A');
      expect(dm.message).toContain(`/api/v4/sharedchannels/invitations/{id}/accept`);

      // The home keeps asking; the admin is not told twice about the same invitation.
      await waitFor('a retry', async () => ((await shareRow(a, ch.id))!.failures >= 2 ? true : undefined));
      const dms = await db(b).query(`SELECT count(*)::int AS n FROM posts WHERE message LIKE $1`, [`%${pending!.id}%`]);
      expect(dms[0].n).toBe(1);

      // A team where the name is taken: refused, nothing written, still pending (with the reason).
      await b.h
        .as(b.admin)
        .post('/api/v4/channels')
        .send({ team_id: b.teamId, name: ch.name, display_name: 'Same name', type: 'O' })
        .expect(201);
      const collision = await appError(
        bus(b).request(DecideInvitation, { actor_id: b.admin.id, invitation_id: pending!.id, team_id: b.teamId }),
      );
      expect(collision.getStatus()).toBe(400);
      expect(await channelRow(b, ch.id)).toBeUndefined();
      expect(await sharedRow(b, ch.id)).toBeUndefined();
      const still = (await bus(b).request(ListInvitations, {})).invitations.find((i) => i.id === pending!.id);
      expect(still).toMatchObject({ status: 'pending', error: expect.stringContaining('already used') });

      const otherTeam = (await b.h.channelWith([b.admin])).teamId;
      const accepted = await bus(b).request(DecideInvitation, { actor_id: b.admin.id, invitation_id: pending!.id, team_id: otherTeam });
      expect(accepted).toMatchObject({ id: pending!.id, status: 'accepted', team_id: otherTeam });
      expect(await channelRow(b, ch.id)).toMatchObject({ team_id: otherTeam, shared: true, name: ch.name });
      expect(await sharedRow(b, ch.id)).toMatchObject({ home: false, remote_id: remoteId, team_id: otherTeam });
      await waitFor('A confirmed', async () => ((await shareRow(a, ch.id))?.is_invite_confirmed ? true : undefined));
      await waitNotice(a, ch.id, 'This channel is now shared with Peer B.');

      const again = await appError(
        bus(b).request(DecideInvitation, { actor_id: b.admin.id, invitation_id: pending!.id, team_id: otherTeam }),
      );
      expect(again.getStatus()).toBe(400);
    });

    it('declining tells the home, which ends its pending share', async () => {
      const ch = await channelOnA();
      expect((await invite(ch.id)).delivered).toBe(false);
      const pending = await waitFor('pending invitation', async () =>
        (await bus(b).request(ListInvitations, { status: 'pending' })).invitations.find((i) => i.channel_id === ch.id),
      );
      const declined = await bus(b).request(DecideInvitation, { actor_id: b.admin.id, invitation_id: pending.id });
      expect(declined).toMatchObject({ status: 'rejected' });
      await waitFor('A ends the share', async () => ((await sharedRow(a, ch.id)) === undefined ? true : undefined));
      expect(await channelRow(b, ch.id)).toBeUndefined();
      expect((await bus(b).request(ListInvitations, { status: 'rejected' })).invitations.map((i) => i.id)).toContain(pending.id);
    });
  });

  describe('hostile peer input', () => {
    const valid = (over: Record<string, unknown> = {}) => ({
      channel_id: newId(),
      team_id: '',
      read_only: false,
      name: `hostile-${newId().slice(0, 8)}`,
      display_name: 'Hostile',
      header: '',
      purpose: '',
      type: 'O',
      creator_id: newId(),
      direct_participant_ids: [],
      direct_participants: [],
      ...over,
    });

    it('refuses an invitation for a channel that exists here', async () => {
      const local = await b.h.channelWith([b.admin]);
      expect(await toB(INVITE, remoteId, valid({ channel_id: local.channelId }))).toEqual({
        status: 'FAIL',
        err: 'channel already exists',
      });
      expect(await sharedRow(b, local.channelId)).toBeUndefined();
      expect((await channelRow(b, local.channelId))?.shared).toBe(false);
    });

    it('refuses an invitation whose channel name is taken in the team, writing nothing', async () => {
      const taken = `taken-${newId().slice(0, 8)}`;
      await b.h.as(b.admin).post('/api/v4/channels').send({ team_id: b.teamId, name: taken, display_name: 'Taken', type: 'O' }).expect(201);
      const payload = valid({ name: taken });
      const answer = await toB(INVITE, remoteId, payload);
      expect(answer.status).toBe('FAIL');
      expect(answer.err).toContain('already used in the team');
      expect(await channelRow(b, payload.channel_id as string)).toBeUndefined();
      expect(await sharedRow(b, payload.channel_id as string)).toBeUndefined();
      expect(await row(b, 'SELECT 1 FROM shared_channel_remotes WHERE channel_id = $1', [payload.channel_id])).toBeUndefined();
    });

    it('refuses malformed invitations and creates nothing', async () => {
      const before = await row<{ n: number }>(b, 'SELECT count(*)::int AS n FROM channels', []);
      for (const payload of [
        {},
        valid({ channel_id: 'short' }),
        valid({ type: 'X' }),
        valid({ name: 'a'.repeat(65) }),
        valid({ name: 'Has Spaces' }),
        valid({ display_name: 'd'.repeat(65) }),
        valid({ purpose: 'p'.repeat(251) }),
        valid({ header: 'h'.repeat(1025) }),
        valid({ read_only: 'yes' }),
        valid({ display_name: 42 }),
        valid({ creator_id: 'nope' }),
        valid({ direct_participant_ids: 'x' }),
        valid({ type: 'D' }),
        valid({ type: 'G' }),
      ]) {
        const answer = await toB(INVITE, remoteId, payload);
        expect(answer.status).toBe('FAIL');
        expect(answer.err).toBeTruthy();
      }
      expect(await row<{ n: number }>(b, 'SELECT count(*)::int AS n FROM channels', [])).toEqual(before);
      // An invite from a connection B does not know.
      expect((await toB(INVITE, newId(), valid())).status).toBe('FAIL');
    });

    it('refuses an unshare from a peer that does not own the channel; nothing changes', async () => {
      const ch = await channelOnA();
      expect((await invite(ch.id)).delivered).toBe(true);
      const { remote_id: intruder } = await newRemote(db(b), { name: 'intruder', creator_id: b.admin.id });
      expect(await toB(UNSHARE, intruder, { channel_id: ch.id, remote_id: intruder })).toMatchObject({ status: 'FAIL' });
      expect(await toB(UNSHARE, intruder, { channel_id: ch.id, remote_id: intruder, archived: true })).toMatchObject({ status: 'FAIL' });
      expect(await toB(UNSHARE, remoteId, { channel_id: ch.id, remote_id: intruder })).toMatchObject({ status: 'FAIL' });
      expect(await toB(UNSHARE, remoteId, { channel_id: 'bad' })).toMatchObject({ status: 'FAIL' });
      const local = await b.h.channelWith([b.admin]);
      expect(await toB(UNSHARE, remoteId, { channel_id: local.channelId, remote_id: remoteId })).toMatchObject({ status: 'FAIL' });
      expect(await sharedRow(b, ch.id)).toMatchObject({ home: false, remote_id: remoteId });
      expect(await channelRow(b, ch.id)).toMatchObject({ shared: true, delete_at: 0 });
      // The owner may, and repeating it changes nothing more.
      expect(await toB(UNSHARE, remoteId, { channel_id: ch.id, remote_id: remoteId })).toEqual({ status: 'OK' });
      expect(await sharedRow(b, ch.id)).toBeUndefined();
      expect((await toB(UNSHARE, remoteId, { channel_id: ch.id, remote_id: remoteId })).status).toBe('FAIL');
      expect(Number((await channelRow(b, ch.id))?.delete_at)).toBeGreaterThan(0);
    });
  });

  it('an invitation to a stopped B stays unconfirmed and is delivered when B is back', async () => {
    const bPort = b.port;
    const bDb = b.h.databaseUrl;
    const bTeam = b.teamId;
    await b.h.close();
    const ch = await channelOnA();
    const reply = await invite(ch.id);
    expect(reply).toMatchObject({ newly_shared: true, delivered: false });
    await waitFor('a failed attempt', async () => ((await shareRow(a, ch.id))!.failures >= 1 ? true : undefined));
    expect((await shareRow(a, ch.id))?.is_invite_confirmed).toBe(false);

    b = await startCluster('b', { port: bPort, databaseUrl: bDb, teamId: bTeam });
    await waitFor('A confirmed', async () => ((await shareRow(a, ch.id))?.is_invite_confirmed ? true : undefined), 20_000);
    expect(await sharedRow(b, ch.id)).toMatchObject({ home: false, remote_id: remoteId });
    expect((await channelRow(b, ch.id))?.team_id).toBe(bTeam);
  });

  it('counts invitations by result', async () => {
    const metric = await metricsRegistry.getSingleMetric('fedchat_shared_channels_invites_total')!.get();
    const results = new Set(metric.values.map((v) => v.labels.result));
    for (const r of ['delivered', 'accepted', 'failed', 'pending_review', 'review', 'refused', 'declined']) expect(results).toContain(r);
  });

  it('deleting the connection ends its shares: on B (guest) and then on A (home)', async () => {
    const ch = await channelOnA();
    expect((await invite(ch.id)).delivered).toBe(true);
    await b.h.as(b.admin).delete(`/api/v4/remotecluster/${remoteId}`).expect(200);
    await waitFor('B unshares', async () => ((await sharedRow(b, ch.id)) === undefined ? true : undefined));
    await waitNotice(b, ch.id, 'This channel is no longer shared with Peer A.');
    await waitNotice(b, ch.id, 'This channel is no longer shared.', 'system_generic');
    // B's copy does not outlive the share; A's channel stays.
    expect(Number((await channelRow(b, ch.id))?.delete_at)).toBeGreaterThan(0);
    expect((await channelRow(a, ch.id))?.delete_at).toBe(0);

    await a.h.as(a.admin).delete(`/api/v4/remotecluster/${remoteId}`).expect(200);
    await waitFor('A unshares', async () => ((await sharedRow(a, ch.id)) === undefined ? true : undefined));
    expect((await channelRow(a, ch.id))?.shared).toBe(false);
    await waitNotice(a, ch.id, 'This channel is no longer shared with Peer B.');
  });
});
