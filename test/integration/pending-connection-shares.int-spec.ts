import { ConnectionConfirmedEvent, SendToPeer, SendToPeerRequest } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { tapEvents, waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * Channels shared with a connection that the peer has not accepted yet (design preview "select channels to share
 * while creating the connection"), between two real clusters A and B (gateway + remote-cluster + shared-channel-sync
 * each, a real PostgreSQL database each, on loopback ports). Everything goes through the REST API and the slash
 * commands; assertions are on what the APIs answer and what each database shows.
 */

const FAST = {
  REMOTE_CLUSTER_PING_INTERVAL_MS: '300',
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '2000',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  SHARED_CHANNELS_POLL_INTERVAL_MS: '100',
  SHARED_CHANNELS_RETRY_MAX_MS: '800',
};
const PASSWORD = 'Pending-Passw0rd!';
const PENDING_NOTE =
  'The secure connection is not accepted yet: the invitation is recorded and will be sent when the connection is accepted.';

let a: TestCluster;
let b: TestCluster;
let counter = 0;
/** Invitations A sent to peers (`sharedchannel_invite` through SendToPeer), by channel id. */
const invitesSent = new Map<string, number>();

function startCluster(name: string, reuse?: { port: number; databaseUrl: string; teamId: string }): Promise<TestCluster> {
  return startTestCluster(name, FAST, [RemoteClusterModule, SharedChannelSyncModule], reuse);
}

function db(c: TestCluster): DataSource {
  return c.h.app.get(DataSource);
}

function countInvitesSentBy(c: TestCluster): void {
  // SendToPeer is a request; a tap without a queue group takes a copy of each, as NATS does.
  tapEvents<SendToPeerRequest>(c.h.app, SendToPeer as never, (req) => {
    const channelId = (req.payload as { channel_id?: string }).channel_id;
    if (req.topic === 'sharedchannel_invite' && channelId) invitesSent.set(channelId, (invitesSent.get(channelId) ?? 0) + 1);
  });
}

/** A pending connection on A (created, not accepted by anyone); returns its id and invitation code. */
async function pendingConnection(
  extra: Record<string, unknown> = {},
): Promise<{ id: string; invite: string; body: Record<string, unknown> }> {
  const res = await a.h
    .as(a.admin)
    .post('/api/v4/remotecluster')
    .send({ name: `pending-${++counter}`, display_name: 'Peer B', default_team_id: a.teamId, password: PASSWORD, ...extra })
    .expect(201);
  return { id: res.body.remote_cluster.remote_id, invite: res.body.invite, body: res.body };
}

async function channelOnA(type: 'O' | 'P' = 'O'): Promise<{ id: string; name: string }> {
  const name = `pending-share-${++counter}`;
  const res = await a.h
    .as(a.admin)
    .post('/api/v4/channels')
    .send({ team_id: a.teamId, name, display_name: `Pending ${counter}`, type })
    .expect(201);
  return res.body;
}

async function command(channelId: string, line: string): Promise<string> {
  const res = await a.h.as(a.admin).post('/api/v4/commands/execute').send({ channel_id: channelId, command: line }).expect(200);
  return res.body.text;
}

async function shareRow(c: TestCluster, channelId: string, remoteId: string) {
  const rows: { is_invite_confirmed: boolean; delete_at: string; failures: number; last_error: string; lease_owner: string }[] = await db(
    c,
  ).query(
    'SELECT is_invite_confirmed, delete_at, failures, last_error, lease_owner FROM shared_channel_remotes WHERE channel_id = $1 AND remote_id = $2',
    [channelId, remoteId],
  );
  return rows[0];
}

async function isShared(c: TestCluster, channelId: string): Promise<boolean> {
  const rows: { n: number }[] = await db(c).query('SELECT count(*)::int AS n FROM shared_channels WHERE channel_id = $1', [channelId]);
  return rows[0].n > 0;
}

async function remoteCount(c: TestCluster): Promise<number> {
  const rows: { n: number }[] = await db(c).query('SELECT count(*)::int AS n FROM remote_clusters WHERE delete_at = 0');
  return rows[0].n;
}

function accept(invite: string) {
  return b.h
    .as(b.admin)
    .post('/api/v4/remotecluster/accept_invite')
    .send({ name: 'peer-a', display_name: 'Peer A', default_team_id: b.teamId, invite, password: PASSWORD });
}

beforeAll(async () => {
  a = await startCluster('a');
  b = await startCluster('b');
  countInvitesSentBy(a);
});

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('sharing channels with a pending connection', () => {
  it('records an invitation by REST, alias path and slash command, and answers that it is sent when the connection is accepted', async () => {
    const remote = await pendingConnection();
    const [c1, c2, c3] = [await channelOnA(), await channelOnA('P'), await channelOnA()];

    const rest = await a.h.as(a.admin).post(`/api/v4/remotecluster/${remote.id}/channels/${c1.id}/invite`).send({}).expect(200);
    expect(rest.body).toEqual({ status: 'OK', connection_pending: true, message: PENDING_NOTE });
    const alias = await a.h.as(a.admin).post(`/api/v4/channels/${c2.id}/remotes/${remote.id}/invite`).send({}).expect(200);
    expect(alias.body).toEqual({ status: 'OK', connection_pending: true, message: PENDING_NOTE });
    expect(await command(c3.id, `/share-channel invite --connectionID ${remote.id}`)).toBe(
      '##### This channel is now shared.\n##### Shared channel invitation will be sent to `Peer B` when it accepts the secure connection.',
    );
    expect(await command(c3.id, `/share-channel invite --connectionID ${remote.id}`)).toBe(
      'This channel is already shared with that secure connection.',
    );

    for (const c of [c1, c2, c3]) {
      expect(await isShared(a, c.id)).toBe(true);
      expect(await shareRow(a, c.id, remote.id)).toMatchObject({ is_invite_confirmed: false, delete_at: 0, lease_owner: '' });
    }
    // Several invite-retry rounds later nothing was attempted: a pending connection has nowhere to send to.
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of [c1, c2, c3]) {
      expect(await shareRow(a, c.id, remote.id)).toMatchObject({ failures: 0, last_error: '' });
      expect(invitesSent.get(c.id)).toBeUndefined();
    }
  });

  it('lists pending invitations as such: shared-channel-remotes, channel remotes and /share-channel status', async () => {
    const remote = await pendingConnection();
    const c = await channelOnA();
    await a.h.as(a.admin).post(`/api/v4/remotecluster/${remote.id}/channels/${c.id}/invite`).expect(200);

    // As Mattermost, unconfirmed shares are listed on request only.
    const confirmedOnly = await a.h.as(a.admin).get(`/api/v4/remotecluster/${remote.id}/sharedchannelremotes`).expect(200);
    expect(confirmedOnly.body).toEqual([]);
    const all = await a.h.as(a.admin).get(`/api/v4/remotecluster/${remote.id}/sharedchannelremotes?include_unconfirmed=true`).expect(200);
    expect(all.body).toEqual([
      expect.objectContaining({ channel_id: c.id, remote_id: remote.id, is_invite_confirmed: false, connection_pending: true }),
    ]);
    const remotes = await a.h.as(a.admin).get(`/api/v4/sharedchannels/${c.id}/remotes`).expect(200);
    expect(remotes.body).toEqual([expect.objectContaining({ remote_id: remote.id, connection_pending: true })]);

    const status = await command(c.id, '/share-channel status');
    expect(status).toContain(`| ${remote.id} |  | Peer B | :x: | :hourglass: pending connection (sent when accepted) |`);
  });

  it('uninviting a pending invitation removes it', async () => {
    const remote = await pendingConnection();
    const c = await channelOnA();
    await a.h.as(a.admin).post(`/api/v4/remotecluster/${remote.id}/channels/${c.id}/invite`).expect(200);
    await a.h.as(a.admin).post(`/api/v4/remotecluster/${remote.id}/channels/${c.id}/uninvite`).expect(200);
    // The channel had no other remote: it is unshared, and its share rows go with it.
    expect(await shareRow(a, c.id, remote.id)).toBeUndefined();
    expect(await isShared(a, c.id)).toBe(false);
    const all = await a.h.as(a.admin).get(`/api/v4/remotecluster/${remote.id}/sharedchannelremotes?include_unconfirmed=true`).expect(200);
    expect(all.body).toEqual([]);
    // Already gone: nothing to uninvite.
    await a.h.as(a.admin).post(`/api/v4/remotecluster/${remote.id}/channels/${c.id}/uninvite`).expect(204);
  });

  it('deleting the pending connection drops its invitations', async () => {
    const remote = await pendingConnection();
    const c = await channelOnA();
    await a.h.as(a.admin).post(`/api/v4/remotecluster/${remote.id}/channels/${c.id}/invite`).expect(200);
    await a.h.as(a.admin).delete(`/api/v4/remotecluster/${remote.id}`).expect(200);
    expect(Number((await shareRow(a, c.id, remote.id))?.delete_at)).toBeGreaterThan(0);
    await waitFor('A unshares the channel', async () => ((await isShared(a, c.id)) ? undefined : true));
    const err = await a.h.as(a.admin).post(`/api/v4/remotecluster/${remote.id}/channels/${c.id}/invite`).expect(400);
    expect(err.body).toMatchObject({
      id: 'api.remote_cluster.invalid_id.app_error',
      message: 'Invalid secure connection: unknown or deleted.',
    });
  });

  it('refuses an invitation to a pending connection whose invitation has expired, saying so', async () => {
    const remote = await pendingConnection();
    const c = await channelOnA();
    await db(a).query('UPDATE remote_clusters SET create_at = create_at - $1 WHERE remote_id = $2', [49 * 3600 * 1000, remote.id]);
    const err = await a.h.as(a.admin).post(`/api/v4/remotecluster/${remote.id}/channels/${c.id}/invite`).expect(400);
    expect(err.body).toMatchObject({
      id: 'api.remote_cluster.invite_expired.app_error',
      status_code: 400,
      message: 'The secure connection was never accepted and its invitation has expired: delete it and create a new one.',
    });
    expect(await isShared(a, c.id)).toBe(false);
  });

  it('shares channels on create (REST share_channel_ids, slash --share) and refuses bad ones, creating nothing', async () => {
    const [c1, c2] = [await channelOnA(), await channelOnA('P')];
    const created = await pendingConnection({ share_channel_ids: [c1.id, c2.id] });
    expect(created.body.shared_channel_ids).toEqual([c1.id, c2.id]);
    for (const c of [c1, c2]) expect(await shareRow(a, c.id, created.id)).toMatchObject({ is_invite_confirmed: false, delete_at: 0 });
    // Without the field the answer is Mattermost's own.
    expect((await pendingConnection()).body).not.toHaveProperty('shared_channel_ids');

    const c3 = await channelOnA();
    const text = await command(
      c3.id,
      `/secure-connection create --name by-slash-${counter} --password ${PASSWORD} --share ${c3.name},~${c1.name}`,
    );
    expect(text).toContain(`**Channels shared** (the invitations are sent when the connection is accepted): ~${c3.name}, ~${c1.name}`);
    const [bySlash]: { remote_id: string }[] = await db(a).query('SELECT remote_id FROM remote_clusters WHERE name = $1', [
      `by-slash-${counter}`,
    ]);
    expect(await shareRow(a, c3.id, bySlash.remote_id)).toMatchObject({ is_invite_confirmed: false, delete_at: 0 });
    expect(await command(c3.id, `/secure-connection create --name refused-${counter} --share no-such-channel`)).toBe(
      'Could not create the invitation: Invalid channel `no-such-channel`: it does not exist or is archived.',
    );

    const other = await a.h.signUp(`otheruser${counter}`, a.admin);
    const dm = await a.h.as(a.admin).post('/api/v4/channels/direct').send([a.admin.id, other.id]).expect(201);
    const archived = await channelOnA();
    await a.h.as(a.admin).delete(`/api/v4/channels/${archived.id}`).expect(200);
    const before = await remoteCount(a);
    const bad = async (ids: unknown, id: string, status = 400) => {
      const res = await a.h
        .as(a.admin)
        .post('/api/v4/remotecluster')
        .send({ name: `bad-${++counter}`, default_team_id: a.teamId, password: PASSWORD, share_channel_ids: ids })
        .expect(status);
      expect(res.body).toMatchObject({ id, status_code: status });
    };
    await bad('not-a-list', 'api.context.invalid_body_param.app_error');
    await bad([42], 'api.context.invalid_body_param.app_error');
    await bad(['not-an-id'], 'api.context.invalid_param.app_error');
    await bad([newId()], 'api.command_share.invalid_channel.error');
    await bad([archived.id], 'api.command_share.invalid_channel.error');
    await bad([c1.id, dm.body.id], 'api.command_share.channel_invite_dm.error');
    await bad(
      Array.from({ length: 21 }, () => newId()),
      'api.context.invalid_body_param.app_error',
    );
    expect(await remoteCount(a)).toBe(before);

    // A plain user may not create connections at all.
    const plain = await a.h
      .as(other)
      .post('/api/v4/remotecluster')
      .send({ name: 'nope', default_team_id: a.teamId, share_channel_ids: [c1.id] });
    expect(plain.status).toBe(403);
  });

  it('sends every pending invitation exactly once when B accepts, across a restart of A; the channels arrive on B', async () => {
    const confirmations: string[] = [];
    const remote = await pendingConnection();
    const [c1, c2] = [await channelOnA(), await channelOnA()];
    await a.h.as(a.admin).post(`/api/v4/remotecluster/${remote.id}/channels/${c1.id}/invite`).expect(200);
    await a.h.as(a.admin).post(`/api/v4/remotecluster/${remote.id}/channels/${c2.id}/invite`).send({ readonly: true }).expect(200);

    // A restarts in between: the pending invitations are in its database.
    const place = { port: a.port, databaseUrl: a.h.databaseUrl, teamId: a.teamId };
    await a.h.close();
    a = await startCluster('a', place);
    countInvitesSentBy(a);
    tapEvents(a.h.app, ConnectionConfirmedEvent, (e) => confirmations.push(e.remote_id));

    await accept(remote.invite).expect(201);
    for (const c of [c1, c2]) {
      await waitFor(
        `${c.name} confirmed on A`,
        async () => ((await shareRow(a, c.id, remote.id))?.is_invite_confirmed ? true : undefined),
        20_000,
      );
      await waitFor(`${c.name} on B`, async () => ((await isShared(b, c.id)) ? true : undefined));
    }
    const [onB]: { team_id: string; name: string }[] = await db(b).query('SELECT team_id, name FROM channels WHERE id = $1', [c1.id]);
    expect(onB).toEqual({ team_id: b.teamId, name: c1.name });
    const [readonly]: { readonly: boolean }[] = await db(b).query('SELECT readonly FROM shared_channels WHERE channel_id = $1', [c2.id]);
    expect(readonly.readonly).toBe(true);
    expect(confirmations).toEqual([remote.id]);

    // Later pings, online transitions and poller rounds send nothing more.
    await new Promise((r) => setTimeout(r, 1500));
    expect([invitesSent.get(c1.id), invitesSent.get(c2.id)]).toEqual([1, 1]);
    const notices: { n: number }[] = await db(a).query(
      `SELECT count(*)::int AS n FROM posts WHERE channel_id = ANY($1) AND message = 'This channel is now shared with Peer B.'`,
      [[c1.id, c2.id]],
    );
    expect(notices[0].n).toBe(2);
    const listed = await a.h.as(a.admin).get(`/api/v4/remotecluster/${remote.id}/sharedchannelremotes`).expect(200);
    expect(listed.body.map((s: { channel_id: string; connection_pending: boolean }) => [s.channel_id, s.connection_pending])).toEqual([
      [c1.id, false],
      [c2.id, false],
    ]);
  });
});
