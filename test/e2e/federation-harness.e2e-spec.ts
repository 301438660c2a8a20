import { Federation, startFederation } from '@fedchat/testing';

/*
 * The federation harness itself: two embedded clusters connected through their REST API, each seeing the other
 * online under the connection names the shared-channel tests rely on, and a restarted cluster reconnecting.
 */

let fed: Federation;

beforeAll(async () => {
  fed = await startFederation({
    clusters: ['a', 'b'],
    env: { LOG_LEVEL: 'warn', REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true', REMOTE_CLUSTER_PING_INTERVAL_MS: '300' },
  });
});
afterAll(async () => {
  await fed?.stop();
});

describe('federation harness', () => {
  it('connects the clusters both ways with one connection id', async () => {
    const { a, b } = fed.clusters;
    const id = a.remoteIds.b;
    expect(id).toMatch(/^[a-z0-9]{26}$/);
    expect(b.remoteIds.a).toBe(id);
    const [onA, onB] = await Promise.all([a.api().get<any>(`/remotecluster/${id}`), b.api().get<any>(`/remotecluster/${id}`)]);
    expect(onA).toMatchObject({ name: 'peer-b', site_url: b.url, default_team_id: a.teamId });
    expect(onB).toMatchObject({ name: 'peer-a', site_url: a.url, default_team_id: b.teamId });
    expect(onA.last_ping_at).toBeGreaterThan(0);
    expect(onB.last_ping_at).toBeGreaterThan(0);
  });

  it('makes users through the admin, and restarts a cluster on the same data and address', async () => {
    const { a, b } = fed.clusters;
    const bob = await b.createUser('bob');
    expect((await b.api(bob.token).get<any>('/users/me')).username).toBe('bob');
    const url = b.url;
    await b.stop();
    expect(b.running).toBe(false);
    const since = Date.now();
    await b.restart();
    expect(b.url).toBe(url);
    // Same database: the session and the connection survived.
    expect((await b.api(bob.token).get<any>('/users/me')).id).toBe(bob.id);
    await fed.waitConnected('a', 'b', since);
    expect((await a.api().get<any>(`/remotecluster/${a.remoteIds.b}`)).last_ping_at).toBeGreaterThanOrEqual(since);
  });
});
