import { FederatedCluster, Federation, startFederation, TestUser, userPosts, waitFor } from '@fedchat/testing';
import { clusterEnv, SYNC_MS } from './support/cluster-env';

/*
 * Channels chosen while creating a connection (design preview "select channels to share while creating the
 * connection"): A creates the connection with a channel to share (REST `share_channel_ids`), shares a second one by
 * slash command while the connection is still pending, and B accepts. Both channels then arrive on B, and posts
 * on A (one written while the connection was pending, one after) reach B. Each cluster is a real suite started from
 * dist/: embedded, and A distributed (the remote-cluster app confirms the connection, the shared-channel-sync app, in
 * another process, sends the invitations when the confirmation event reaches it over NATS).
 */

const PASSWORD = 'Pending-Connection-S3cret!';

describe.each([
  ['embedded', false],
  ['distributed (A: one process per app over NATS)', true],
])('sharing channels with a pending connection, A %s', (_mode, distributed) => {
  let fedA: Federation;
  let fedB: Federation;
  let a: FederatedCluster;
  let b: FederatedCluster;
  let alice: TestUser;

  beforeAll(async () => {
    // Two federations of one cluster each: nothing connects them until the test does. One after the other, so that
    // a slow start does not starve the other, and afterAll stops whichever started.
    fedA = await startFederation({ clusters: ['a'], env: clusterEnv(), ...(distributed ? { distributed: { a: {} } } : {}) });
    fedB = await startFederation({ clusters: ['b'], env: clusterEnv() });
    a = fedA.clusters.a;
    b = fedB.clusters.b;
    alice = await a.createUser('alice');
  }, 240_000);

  afterAll(async () => {
    await Promise.all([fedA?.stop(), fedB?.stop()]);
  });

  async function channelOnA(name: string): Promise<string> {
    const { id } = await a.api().post<{ id: string }>('/channels', { team_id: a.teamId, name, display_name: name, type: 'O' });
    await a.api().post(`/channels/${id}/members`, { user_id: alice.id });
    return id;
  }

  function channelOnB(id: string): Promise<{ id: string; team_id: string; name: string }> {
    return waitFor(
      `channel ${id} on B`,
      async () => {
        const res = await b.api().request<{ id: string; team_id: string; name: string }>('GET', `/channels/${id}`);
        return res.status === 200 ? res.body : undefined;
      },
      SYNC_MS,
      200,
    );
  }

  it('creates on A with a channel to share, shares another while pending, B accepts: both arrive and posts from A reach B', async () => {
    const first = await channelOnA('chosen-on-create');
    const second = await channelOnA('shared-while-pending');

    const created = await a
      .api()
      .post<{ invite: string; remote_cluster: { remote_id: string }; shared_channel_ids: string[] }>('/remotecluster', {
        name: 'peer-b',
        display_name: 'Peer B',
        default_team_id: a.teamId,
        password: PASSWORD,
        share_channel_ids: [first],
      });
    const remoteId = created.remote_cluster.remote_id;
    expect(created.shared_channel_ids).toEqual([first]);
    const typed = await a.api().post<{ text: string }>('/commands/execute', {
      channel_id: second,
      command: `/share-channel invite --connectionID ${remoteId}`,
    });
    expect(typed.text).toContain('when it accepts the secure connection');

    const pending = await a
      .api()
      .get<{ channel_id: string; connection_pending: boolean }[]>(
        `/remotecluster/${remoteId}/sharedchannelremotes?include_unconfirmed=true`,
      );
    expect(pending.map((s) => [s.channel_id, s.connection_pending])).toEqual([
      [first, true],
      [second, true],
    ]);
    // Written while pending: delivered once the channel is shared (the cursor starts at the invitation).
    const early = await a.api(alice.token).post<{ id: string }>('/posts', { channel_id: first, message: 'written while pending' });

    await b.api().post('/remotecluster/accept_invite', {
      name: 'peer-a',
      display_name: 'Peer A',
      default_team_id: b.teamId,
      invite: created.invite,
      password: PASSWORD,
    });

    for (const id of [first, second]) expect(await channelOnB(id)).toMatchObject({ id, team_id: b.teamId });
    const later = await a.api(alice.token).post<{ id: string }>('/posts', { channel_id: first, message: 'written after acceptance' });
    const onB = await waitFor(
      'both posts on B',
      async () => {
        const posts = await userPosts(b.api(), first);
        return posts.some((p) => p.id === later.id) && posts.some((p) => p.id === early.id) ? posts : undefined;
      },
      SYNC_MS,
      200,
    );
    expect(onB.map((p) => [p.id, p.message])).toEqual([
      [early.id, 'written while pending'],
      [later.id, 'written after acceptance'],
    ]);

    const confirmed = await a
      .api()
      .get<{ channel_id: string; is_invite_confirmed: boolean; connection_pending: boolean }[]>(
        `/remotecluster/${remoteId}/sharedchannelremotes`,
      );
    expect(confirmed.map((s) => [s.channel_id, s.is_invite_confirmed, s.connection_pending])).toEqual([
      [first, true, false],
      [second, true, false],
    ]);
  });
});
