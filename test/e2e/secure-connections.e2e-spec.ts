import { Client4 } from '@mattermost/client';
import { RunningSuite, startDistributedSuite, startEmbeddedSuite, waitFor } from '@fedchat/testing';

/*
 * A distributed cluster (remote-cluster as two replicas) and an embedded one connect through Mattermost's JS client,
 * ping each other, and keep pinging when a remote-cluster replica dies — each remote pinged by one replica at a time.
 */

const PING_MS = 400;
const ENV = {
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  REMOTE_CLUSTER_PING_INTERVAL_MS: String(PING_MS),
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '5000',
};

async function adminClient(url: string): Promise<Client4> {
  const c = new Client4();
  c.setUrl(url);
  c.setIncludeCookies(false);
  await c.createUser({ username: 'admin', email: 'admin@example.com', password: 'admin-password-1' } as never, '', '');
  await c.login('admin', 'admin-password-1');
  return c;
}

/** Pings sent to a remote, summed over the given processes' /metrics. */
async function pingsSent(suite: RunningSuite, names: string[], remoteId: string): Promise<number> {
  let total = 0;
  for (const name of names) {
    const text = await fetch(`${suite.urls.get(name)}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    const m = new RegExp(`mattermost_remote_cluster_ping_time_count\\{remote_id="${remoteId}"\\} (\\d+)`).exec(text);
    total += m ? Number(m[1]) : 0;
  }
  return total;
}

let a: RunningSuite;
let b: RunningSuite;

beforeAll(async () => {
  [a, b] = await Promise.all([startDistributedSuite({ replicas: { 'remote-cluster': 2 }, env: ENV }), startEmbeddedSuite(ENV)]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('secure connections in distributed mode', () => {
  it('connects with Client4, pings from one replica at a time, and survives a replica dying', async () => {
    const [ca, cb] = await Promise.all([adminClient(a.gateways[0]), adminClient(b.gateways[0])]);
    const [ta, tb] = await Promise.all([
      ca.createTeam({ name: 'alpha', display_name: 'Alpha', type: 'O' } as never),
      cb.createTeam({ name: 'beta', display_name: 'Beta', type: 'O' } as never),
    ]);
    const created = await ca.createRemoteCluster({
      name: 'beta',
      display_name: 'Beta site',
      default_team_id: ta.id,
      password: 'Shared-S3cret!',
    } as never);
    expect(created.remote_cluster.site_url).toMatch(/^pending_/);
    const accepted = await cb.acceptInviteRemoteCluster({
      name: 'alpha',
      display_name: 'Alpha site',
      default_team_id: tb.id,
      invite: created.invite,
      password: 'Shared-S3cret!',
    } as never);
    const remoteId = accepted.remote_id;
    expect(remoteId).toBe(created.remote_cluster.remote_id);

    await waitFor('both sides online', async () => {
      const [ra, rb] = await Promise.all([ca.getRemoteCluster(remoteId), cb.getRemoteCluster(remoteId)]);
      return ra.last_ping_at > 0 && rb.last_ping_at > 0 ? true : undefined;
    });
    expect((await ca.getRemoteCluster(remoteId)).site_url).toBe(b.gateways[0].replace('127.0.0.1', 'localhost'));

    // Two replicas, one remote: pings follow the interval, not twice the interval.
    const replicas = ['remote-cluster-0', 'remote-cluster-1'];
    const before = await pingsSent(a, replicas, remoteId);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 4000));
    const sent = (await pingsSent(a, replicas, remoteId)) - before;
    const intervals = (Date.now() - t0) / PING_MS;
    expect(sent).toBeGreaterThanOrEqual(Math.floor(intervals / 2));
    expect(sent).toBeLessThanOrEqual(Math.ceil(intervals) + 2);

    // One replica dies without a chance to clean up; the other takes over the remote.
    await a.processes.get('remote-cluster-0')!.stop('SIGKILL');
    const survivor = await pingsSent(a, ['remote-cluster-1'], remoteId);
    await waitFor(
      'the surviving replica pings',
      async () => ((await pingsSent(a, ['remote-cluster-1'], remoteId)) >= survivor + 3 ? true : undefined),
      15_000,
    );
    const status = (await fetch(`${a.gateways[0]}/api/v4/system/ping?get_server_status=true`).then((r) => r.json())) as {
      apps: Record<string, { instance: string }>;
    };
    expect(status.apps['remote-cluster'].instance).toMatch(/remote-cluster-1/);
  });
});
