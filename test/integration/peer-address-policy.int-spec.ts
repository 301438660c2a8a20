import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { connectClusters, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * The private-address rule at both ends of a handshake, between clusters on loopback: `auto` (the default) connects
 * them, `false` refuses, and each refusal says which address, which rule and which setting — on the accepting side
 * (the invitation's site URL) and on the inviting side (the confirmation's site URL, which used to answer a bare
 * "Invalid or missing msg.payload").
 */

const ADDRESS_RULE_SETTING =
  /peer address 127\.0\.0\.1 is refused: it is a loopback address \(127\.0\.0\.0\/8\), and REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=false refuses private and loopback peers/;

let auto: TestCluster;
let autoToo: TestCluster;
let strict: TestCluster;

beforeAll(async () => {
  // No REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: auto, with loopback SITE_URLs.
  auto = await startTestCluster('auto', {}, [RemoteClusterModule]);
  autoToo = await startTestCluster('autotoo', {}, [RemoteClusterModule]);
  strict = await startTestCluster('strict', { REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'false' }, [RemoteClusterModule]);
});
afterAll(async () => {
  await Promise.all([auto?.h.close(), autoToo?.h.close(), strict?.h.close()]);
});

const remoteCount = async (c: TestCluster) =>
  (await c.h.app.get(DataSource).query('SELECT count(*)::int AS n FROM remote_clusters WHERE delete_at = 0'))[0].n as number;

describe('peers on loopback addresses', () => {
  it('connect by default (auto) when both SITE_URLs are loopback', async () => {
    const remoteId = await connectClusters(auto, autoToo);
    expect(remoteId).toHaveLength(26);
  });

  it('are refused by the acceptor with REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=false, naming address, rule and setting', async () => {
    const created = await auto.h
      .as(auto.admin)
      .post('/api/v4/remotecluster')
      .send({ name: 'to-strict', default_team_id: auto.teamId, password: 'Secret-Passw0rd!' })
      .expect(201);
    const before = await remoteCount(strict);
    const res = await strict.h
      .as(strict.admin)
      .post('/api/v4/remotecluster/accept_invite')
      .send({ name: 'from-auto', default_team_id: strict.teamId, invite: created.body.invite, password: 'Secret-Passw0rd!' });
    expect(res.status).toBe(400);
    expect(res.body.id).toBe('api.remote_cluster.invalid_site_url');
    expect(res.body.message).toContain(`The invitation's site URL ${auto.url} is refused by this server`);
    expect(res.body.message).toMatch(ADDRESS_RULE_SETTING);
    expect(await remoteCount(strict)).toBe(before);
  });

  it("are refused by the inviter on confirmation, and the acceptor's error carries the inviter's reason", async () => {
    const created = await strict.h
      .as(strict.admin)
      .post('/api/v4/remotecluster')
      .send({ name: 'to-auto', default_team_id: strict.teamId, password: 'Secret-Passw0rd!' })
      .expect(201);
    const before = await remoteCount(auto);
    const res = await auto.h
      .as(auto.admin)
      .post('/api/v4/remotecluster/accept_invite')
      .send({ name: 'from-strict', default_team_id: auto.teamId, invite: created.body.invite, password: 'Secret-Passw0rd!' });
    expect(res.status).toBe(500);
    expect(res.body.id).toBe('api.remote_cluster.accept_invitation_error');
    expect(res.body.message).toContain(`peer answered HTTP 400: The inviting server refuses the accepting server's site URL ${auto.url}`);
    expect(res.body.message).toMatch(ADDRESS_RULE_SETTING);
    expect(res.body.message).not.toMatch(/Invalid or missing msg\.payload/);
    // The acceptor forgot the connection; the inviter's stays pending.
    expect(await remoteCount(auto)).toBe(before);
    const [row] = await strict.h.app
      .get(DataSource)
      .query('SELECT site_url FROM remote_clusters WHERE remote_id = $1', [created.body.remote_cluster.remote_id]);
    expect(row.site_url).toMatch(/^pending_/);
  });
});
