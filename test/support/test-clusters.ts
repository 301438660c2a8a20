import { DynamicModule, Type } from '@nestjs/common';
import { freePort } from '@fedchat/testing';
import { GatewayHarness, TestUser } from './gateway-harness';

/** One cluster of an integration test: a GatewayHarness with extra app modules, listening on loopback for peers. */
export interface TestCluster {
  h: GatewayHarness;
  url: string;
  port: number;
  admin: TestUser;
  teamId: string;
  channelId: string;
}

/**
 * Timings that let clusters on loopback notice each other, retry and catch up within a test's seconds (production waits
 * a minute between pings and minutes before giving up); a spec adds what its own subject needs.
 */
export const QUICK_FEDERATION_ENV = {
  REMOTE_CLUSTER_PING_INTERVAL_MS: '300',
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '2000',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  SHARED_CHANNELS_POLL_INTERVAL_MS: '200',
  SHARED_CHANNELS_RETRY_MAX_MS: '500',
};

/** Where a stopped cluster was, so that it can start again on the same port and database. */
export interface ClusterPlace {
  port: number;
  databaseUrl: string;
  teamId?: string;
  channelId?: string;
}

/**
 * Starts a cluster named `name` (its admin is `<name>admin`, the first user, hence system admin) with a team and a
 * channel; with `reuse`, starts it again where it was and logs the admin in again.
 */
export async function startTestCluster(
  name: string,
  env: Record<string, string>,
  modules: Array<Type | DynamicModule>,
  reuse?: ClusterPlace,
): Promise<TestCluster> {
  const port = reuse?.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const h = await GatewayHarness.start({ ...env, SITE_URL: url, ...(reuse ? { DATABASE_URL: reuse.databaseUrl } : {}) }, modules);
  await h.listen(port);
  if (reuse) {
    return { h, url, port, admin: await h.login(`${name}admin`), teamId: reuse.teamId ?? '', channelId: reuse.channelId ?? '' };
  }
  const admin = await h.signUp(`${name}admin`);
  const { teamId, channelId } = await h.channelWith([admin]);
  return { h, url, port, admin, teamId, channelId };
}

/** Connects `a` and `b` through the REST API (a invites as `peer-b`, b accepts as `peer-a`); returns the remote id. */
export async function connectClusters(a: TestCluster, b: TestCluster, password = 'Secret-Passw0rd!'): Promise<string> {
  const created = await a.h
    .as(a.admin)
    .post('/api/v4/remotecluster')
    .send({ name: 'peer-b', display_name: 'Peer B', default_team_id: a.teamId, password })
    .expect(201);
  const accepted = await b.h
    .as(b.admin)
    .post('/api/v4/remotecluster/accept_invite')
    .send({ name: 'peer-a', display_name: 'Peer A', default_team_id: b.teamId, invite: created.body.invite, password })
    .expect(201);
  if (accepted.body.remote_id !== created.body.remote_cluster.remote_id) throw new Error('the two ends disagree on the connection id');
  return accepted.body.remote_id;
}
