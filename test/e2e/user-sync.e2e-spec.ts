import { FederatedCluster, Federation, startFederation, TestUser, userPosts, waitFor } from '@fedchat/testing';
import { clusterEnv, SYNC_MS } from './support/cluster-env';

/*
 * User sync across three embedded clusters: B and C are connected to A (the hub), with global user sync and
 * membership sync on. A shares a channel with B and C. Everything is asserted on what each cluster's own API shows.
 */

const ENV = clusterEnv(['memberSync', 'syncAllUsers']);
/** The promise for statuses. */
const STATUS_MS = 5_000;

let fed: Federation;
let a: FederatedCluster;
let b: FederatedCluster;
let c: FederatedCluster;
let dora: TestUser;
let aliceB: TestUser;
let aliceC: TestUser;
let channelId: string;

interface UserJson {
  id: string;
  username: string;
  nickname: string;
  position: string;
}

/** The user as `cluster` shows it, or undefined while it does not know them. */
async function userOn(cluster: FederatedCluster, id: string): Promise<UserJson | undefined> {
  const res = await cluster.api().request<UserJson>('GET', `/users/${id}`);
  return res.status === 200 ? res.body : undefined;
}

async function isMember(cluster: FederatedCluster, userId: string): Promise<boolean> {
  return (await cluster.api().request('GET', `/channels/${channelId}/members/${userId}`)).status === 200;
}

function until(what: string, cond: () => Promise<boolean>, timeoutMs = SYNC_MS): Promise<boolean> {
  return waitFor(what, async () => ((await cond()) ? true : undefined), timeoutMs);
}

beforeAll(async () => {
  fed = await startFederation({ clusters: ['a', 'b', 'c'], env: ENV });
  ({ a, b, c } = fed.clusters);
  [dora, aliceB, aliceC] = await Promise.all([a.createUser('dora'), b.createUser('alice'), c.createUser('alice')]);
}, 180_000);

afterAll(async () => {
  await fed?.stop();
});

describe('user sync across three clusters', () => {
  it("finds B's and C's users on A before they post, and keeps the two alices apart", async () => {
    await until('alice:peer-b on A', async () => (await userOn(a, aliceB.id))?.username === 'alice:peer-b');
    await until('alice:peer-c on A', async () => (await userOn(a, aliceC.id))?.username === 'alice:peer-c');
    const byName = await a.api().get<UserJson>('/users/username/alice:peer-b');
    expect(byName.id).toBe(aliceB.id);
    expect((await a.api().get<UserJson>('/users/username/alice:peer-c')).id).toBe(aliceC.id);
    // A's own users reach B and C too, and are never sent back to A.
    await until('dora on B', async () => (await userOn(b, dora.id))?.username === 'dora:peer-a');
    await until('dora on C', async () => (await userOn(c, dora.id))?.username === 'dora:peer-a');
    expect((await userOn(a, dora.id))?.username).toBe('dora');
  });

  it('shares a channel from A with B and C', async () => {
    const channel = await a.api().post<{ id: string }>('/channels', {
      team_id: a.teamId,
      name: 'user-sync',
      display_name: 'User sync',
      type: 'O',
    });
    channelId = channel.id;
    for (const peer of ['b', 'c']) await a.api().post(`/remotecluster/${a.remoteIds[peer]}/channels/${channelId}/invite`, {});
    await until('channel on B', async () => (await b.api().request('GET', `/channels/${channelId}`)).status === 200);
    await until('channel on C', async () => (await c.api().request('GET', `/channels/${channelId}`)).status === 200);
  });

  it('converges membership changes made on any side', async () => {
    await a.api().post(`/channels/${channelId}/members`, { user_id: dora.id });
    await b.api().post(`/channels/${channelId}/members`, { user_id: aliceB.id });
    await c.api().post(`/channels/${channelId}/members`, { user_id: aliceC.id });
    for (const cluster of [a, b, c]) {
      for (const user of [dora, aliceB, aliceC]) {
        await until(`${user.username} (${user.id}) member on ${cluster.name}`, () => isMember(cluster, user.id));
      }
    }
    // C's alice leaves on C: she leaves everywhere (A applies it, then relays it to B).
    await c.api().delete(`/channels/${channelId}/members/${aliceC.id}`);
    await until('alice of C gone from A', async () => !(await isMember(a, aliceC.id)));
    await until('alice of C gone from B', async () => !(await isMember(b, aliceC.id)));
    // And comes back.
    await c.api().post(`/channels/${channelId}/members`, { user_id: aliceC.id });
    await until('alice of C back on B', () => isMember(b, aliceC.id));
  });

  it('shows a profile change made on A on B and C', async () => {
    await a.api(dora.token).put(`/users/${dora.id}/patch`, { nickname: 'Dee', position: 'Navigator' });
    for (const cluster of [b, c]) {
      await until(`profile on ${cluster.name}`, async () => (await userOn(cluster, dora.id))?.position === 'Navigator');
      expect((await userOn(cluster, dora.id))?.nickname).toBe('Dee');
    }
  });

  it('delivers status changes within seconds', async () => {
    await a.api(dora.token).put(`/users/${dora.id}/status`, { user_id: dora.id, status: 'dnd' });
    await b.api(aliceB.token).put(`/users/${aliceB.id}/status`, { user_id: aliceB.id, status: 'away' });
    const statusOn = async (cluster: FederatedCluster, userId: string) =>
      (await cluster.api().get<{ status: string }>(`/users/${userId}/status`)).status;
    await until('dnd on B', async () => (await statusOn(b, dora.id)) === 'dnd', STATUS_MS);
    await until('dnd on C', async () => (await statusOn(c, dora.id)) === 'dnd', STATUS_MS);
    await until('away on A', async () => (await statusOn(a, aliceB.id)) === 'away', STATUS_MS);
    await until('away on C (relayed by A)', async () => (await statusOn(c, aliceB.id)) === 'away', STATUS_MS);
  });

  it('resolves mentions of the two alices, and of a remote user, on every side', async () => {
    const fromA = await a
      .api(dora.token)
      .post<{ id: string }>('/posts', { channel_id: channelId, message: 'hi @alice:peer-b and @alice:peer-c' });
    const messageOn = async (cluster: FederatedCluster, id: string) =>
      (await userPosts(cluster.api(), channelId)).find((p) => p.id === id)?.message;
    await until('post on B', async () => (await messageOn(b, fromA.id)) !== undefined);
    await until('post on C', async () => (await messageOn(c, fromA.id)) !== undefined);
    expect(await messageOn(b, fromA.id)).toBe('hi @alice and @alice:peer-c');
    expect(await messageOn(c, fromA.id)).toBe('hi @alice:peer-b and @alice');

    const fromB = await b.api(aliceB.token).post<{ id: string }>('/posts', { channel_id: channelId, message: 'thanks @dora:peer-a' });
    await until('reply on A', async () => (await messageOn(a, fromB.id)) !== undefined);
    expect(await messageOn(a, fromB.id)).toBe('thanks @dora');
  });
});
