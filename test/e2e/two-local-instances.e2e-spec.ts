import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { api, freePort, login, RunningSuite, startEmbeddedSuite, waitFor } from '@fedchat/testing';

/*
 * The README's trial: two embedded instances on one machine, started with nothing but the README's settings
 * (`npm start` and `PORT=8075 DATA_DIR=./data-b npm start`; no SITE_URL, no REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES),
 * connected through the API exactly as the README's commands do. Their SITE_URLs default to http://localhost:<port>,
 * a loopback address, which `auto` must allow. Ports are free ones rather than 8065/8075 so that the test cannot
 * collide with anything else running on the machine; the data directories are temporary.
 */

const PASSWORD = 'admin-password-1';

interface Instance {
  suite: RunningSuite;
  port: number;
  url: string;
  token: string;
  teamId: string;
}

let root: string;
const instances: Instance[] = [];

/** What the README says to do on a new instance: sign up (the first user is admin), log in, make a team. */
async function provision(suite: RunningSuite, port: number, name: string): Promise<Instance> {
  const url = `http://localhost:${port}`;
  await api(url).post('/users', { username: 'admin', email: `admin@${name}.example.com`, password: PASSWORD });
  const admin = await login(url, 'admin', PASSWORD);
  const team = await api(url, admin.token).post<{ id: string }>('/teams', {
    name: `team-${name}`,
    display_name: `Team ${name}`,
    type: 'O',
  });
  return { suite, port, url, token: admin.token, teamId: team.id };
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-readme-'));
  fs.chmodSync(root, 0o755);
  const [portA, portB] = [await freePort(), await freePort()];
  const [a, b] = await Promise.all([
    startEmbeddedSuite({ PORT: String(portA), DATA_DIR: path.join(root, 'data') }),
    startEmbeddedSuite({ PORT: String(portB), DATA_DIR: path.join(root, 'data-b') }),
  ]);
  instances.push(await provision(a, portA, 'a'), await provision(b, portB, 'b'));
});

afterAll(async () => {
  await Promise.all(instances.map((i) => i.suite.stop()));
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('two local instances started with the README settings', () => {
  it('connect through the API and both see the connection online', async () => {
    const [a, b] = instances;
    const created = await api(a.url, a.token).post<{ invite: string; remote_cluster: { remote_id: string } }>('/remotecluster', {
      name: 'instance-b',
      display_name: 'Instance B',
      default_team_id: a.teamId,
      password: 'Connection-S3cret!',
    });
    const accepted = await api(b.url, b.token).request<{ remote_id: string; site_url: string }>('POST', '/remotecluster/accept_invite', {
      name: 'instance-a',
      display_name: 'Instance A',
      default_team_id: b.teamId,
      invite: created.invite,
      password: 'Connection-S3cret!',
    });
    expect(accepted.body).toMatchObject({ remote_id: created.remote_cluster.remote_id, site_url: a.url });
    expect(accepted.status).toBe(201);
    const remoteId = accepted.body.remote_id;

    type Remote = { site_url: string; last_ping_at: number };
    const [onA, onB] = await waitFor(
      'both instances see the connection online',
      async () => {
        const seen = await Promise.all([
          api(a.url, a.token).get<Remote>(`/remotecluster/${remoteId}`),
          api(b.url, b.token).get<Remote>(`/remotecluster/${remoteId}`),
        ]);
        return seen.every((r) => r.last_ping_at > 0) ? seen : undefined;
      },
      30_000,
    );
    expect(onA.site_url).toBe(b.url);
    expect(onB.site_url).toBe(a.url);
    // The online filter agrees (last ping within the offline window).
    const online = await api(a.url, a.token).get<Array<{ remote_id: string }>>('/remotecluster?exclude_offline=true');
    expect(online.map((r) => r.remote_id)).toContain(remoteId);
    // Each instance said why it allows the other.
    for (const { suite } of instances) {
      expect(suite.processes.get('embedded')!.log()).toContain(
        'REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=auto: private and loopback peers are allowed because SITE_URL http://localhost:',
      );
    }
  });
});
