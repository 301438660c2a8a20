import {
  downloadSha256,
  FederatedCluster,
  Federation,
  pictureSha256,
  startFederation,
  TestUser,
  uploadFile,
  uploadProfilePicture,
  userPosts,
  waitFor,
} from '@fedchat/testing';
import { encodeRgbPng } from '../../apps/gateway/src/files/png';
import { clusterEnv } from './support/cluster-env';

/*
 * Files and users across clusters when a cluster runs distributed: A is five apps as separate processes over NATS
 * and PostgreSQL (two file-transfer and two user-sync replicas, sharing the work), B is embedded. Global user sync,
 * membership sync and DMs with remote users are on. Everything is asserted on what each cluster's API shows.
 */

const MiB = 1024 * 1024;
const ENV = clusterEnv(['memberSync', 'syncAllUsers', 'directMessages'], {
  // Several segments per file, so that segments written through one gateway replica are joined correctly.
  FILE_TRANSFER_SEGMENT_BYTES: String(1 * MiB),
});
const SYNC_MS = 60_000;
const STATUS_MS = 5_000;

let fed: Federation;
let a: FederatedCluster;
let b: FederatedCluster;
let alice: TestUser;
let bob: TestUser;
let carl: TestUser;
let channelId: string;

function until(what: string, cond: () => Promise<boolean>, timeoutMs = SYNC_MS): Promise<boolean> {
  return waitFor(what, async () => ((await cond()) ? true : undefined), timeoutMs);
}

async function userOn(cluster: FederatedCluster, id: string): Promise<{ username: string; nickname: string } | undefined> {
  const res = await cluster.api().request<{ username: string; nickname: string }>('GET', `/users/${id}`);
  return res.status === 200 ? res.body : undefined;
}

beforeAll(async () => {
  fed = await startFederation({
    clusters: ['a', 'b'],
    env: ENV,
    distributed: { a: { replicas: { 'file-transfer': 2, 'user-sync': 2 } } },
  });
  ({ a, b } = fed.clusters);
  [alice, bob, carl] = await Promise.all([a.createUser('alice'), b.createUser('bob'), b.createUser('carl')]);
}, 240_000);

afterAll(async () => {
  await fed?.stop();
});

describe('files and users with a distributed cluster', () => {
  it('global user sync: each side finds the other side users before they post', async () => {
    await until('bob on A', async () => (await userOn(a, bob.id))?.username === 'bob:peer-b');
    await until('alice on B', async () => (await userOn(b, alice.id))?.username === 'alice:peer-a');
  });

  it('shares a channel and carries attachments both ways, byte-identical', async () => {
    const channel = await a.api().post<{ id: string }>('/channels', { team_id: a.teamId, name: 'dist', display_name: 'Dist', type: 'O' });
    channelId = channel.id;
    await a.api().post(`/channels/${channelId}/members`, { user_id: alice.id });
    await a.api().post(`/remotecluster/${a.remoteIds.b}/channels/${channelId}/invite`);
    await until('channel on B', async () => (await b.api().request('GET', `/channels/${channelId}`)).status === 200);
    await b.api().post(`/channels/${channelId}/members`, { user_id: bob.id });

    for (const [from, to, user, reader] of [
      [a, b, alice, b.adminToken],
      [b, a, bob, a.adminToken],
    ] as const) {
      const image = encodeRgbPng(32, 32, Buffer.alloc(32 * 32 * 3, from.name === 'a' ? 200 : 90));
      const files = [
        await uploadFile(from.url, user.token, channelId, `${user.username}.png`, image),
        await uploadFile(from.url, user.token, channelId, `${user.username}.bin`, 5 * MiB + 123),
      ];
      const post = await from.api(user.token).post<{ id: string }>('/posts', {
        channel_id: channelId,
        message: `files from ${user.username}`,
        file_ids: files.map((f) => f.id),
      });
      const arrived = await waitFor(
        `post with files on ${to.name}`,
        async () => (await userPosts(to.api(), channelId)).find((p) => p.id === post.id),
        SYNC_MS,
      );
      expect((arrived as unknown as { file_ids: string[] }).file_ids).toEqual(files.map((f) => f.id));
      for (const f of files) {
        expect({ name: f.name, got: await downloadSha256(to.url, reader, f.id) }).toEqual({
          name: f.name,
          got: { sha256: f.sha256, size: f.size },
        });
      }
    }
  });

  it('profile changes and pictures made on A show on B', async () => {
    await a.api(alice.token).put(`/users/${alice.id}/patch`, { nickname: 'Ally' });
    await until('nickname on B', async () => (await userOn(b, alice.id))?.nickname === 'Ally');

    const picture = encodeRgbPng(24, 24, Buffer.alloc(24 * 24 * 3, 33));
    expect(await uploadProfilePicture(a.url, alice, picture)).toBe(200);
    const onA = await pictureSha256(a.url, a.adminToken, alice.id);
    expect(onA).not.toBe('');
    await until('picture on B', async () => (await pictureSha256(b.url, b.adminToken, alice.id)) === onA);
  });

  it('a membership change on B and a status change on B reach A', async () => {
    await b.api().post(`/channels/${channelId}/members`, { user_id: carl.id });
    await until('carl member on A', async () => (await a.api().request('GET', `/channels/${channelId}/members/${carl.id}`)).status === 200);

    await b.api(bob.token).put(`/users/${bob.id}/status`, { user_id: bob.id, status: 'dnd' });
    await until('bob dnd on A', async () => (await a.api().get<{ status: string }>(`/users/${bob.id}/status`)).status === 'dnd', STATUS_MS);
  });

  it('a DM between alice on A and bob on B works both ways', async () => {
    const dm = await a.api(alice.token).post<{ id: string }>('/channels/direct', [alice.id, bob.id]);
    const hello = await a.api(alice.token).post<{ id: string }>('/posts', { channel_id: dm.id, message: 'hi bob' });
    await waitFor('DM post on B', async () => (await userPosts(b.api(bob.token), dm.id)).find((p) => p.id === hello.id), SYNC_MS);
    const answer = await b.api(bob.token).post<{ id: string }>('/posts', { channel_id: dm.id, message: 'hi alice' });
    await waitFor('DM answer on A', async () => (await userPosts(a.api(alice.token), dm.id)).find((p) => p.id === answer.id), SYNC_MS);
  });
});
