import { createHash } from 'node:crypto';
import {
  downloadSha256,
  FederatedCluster,
  Federation,
  pictureSha256,
  startFederation,
  TestUser,
  UploadedFile,
  uploadFile,
  uploadProfilePicture,
  userPosts,
  waitFor,
} from '@fedchat/testing';
import { encodeRgbPng } from '../../apps/gateway/src/files/png';
import { clusterEnv } from './support/cluster-env';

/*
 * Attachments and profile pictures between two embedded clusters (real processes): A shares a channel with B; a post
 * with three files (an image, a 200 MiB file streamed from a generator, a small one) made on either side appears on
 * the other with every file downloadable and byte-identical; a profile picture change shows on the other side.
 */

const MiB = 1024 * 1024;
const BIG = 200 * MiB;
const ENV = clusterEnv([], {
  // Big transfers load both CPUs: a little more room before a slow ping counts as offline.
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '3000',
  MM_FILESETTINGS_MAXFILESIZE: String(512 * MiB),
});
/** Generous: two 200 MiB uploads, transfers and downloads on a small machine. */
const TRANSFER_MS = 240_000;

let fed: Federation;
let a: FederatedCluster;
let b: FederatedCluster;
let alice: TestUser;
let bob: TestUser;
let channelId: string;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  fed = await startFederation({ clusters: ['a', 'b'], env: ENV });
  ({ a, b } = fed.clusters);
  [alice, bob] = await Promise.all([a.createUser('alice'), b.createUser('bob')]);
  const channel = await a.api().post<{ id: string }>('/channels', { team_id: a.teamId, name: 'files', display_name: 'Files', type: 'O' });
  channelId = channel.id;
  await a.api().post(`/channels/${channelId}/members`, { user_id: alice.id });
  await a.api().post(`/remotecluster/${a.remoteIds.b}/channels/${channelId}/invite`);
  await waitFor(
    'channel on B',
    async () => ((await b.api().request('GET', `/channels/${channelId}`)).status === 200 ? true : undefined),
    60_000,
  );
  await b.api().post(`/channels/${channelId}/members`, { user_id: bob.id });
}, 180_000);
afterAll(async () => {
  await fed?.stop();
});

/** Uploads the three files as `user` on `from` and posts them; returns the post id and the files as sent. */
async function postThreeFiles(from: FederatedCluster, user: TestUser, tag: string): Promise<{ postId: string; files: UploadedFile[] }> {
  const image = encodeRgbPng(64, 48, Buffer.alloc(64 * 48 * 3, tag.length * 40));
  const files = [
    await uploadFile(from.url, user.token, channelId, `${tag}.png`, image),
    await uploadFile(from.url, user.token, channelId, `${tag}-big.bin`, BIG),
    await uploadFile(from.url, user.token, channelId, `${tag}.txt`, Buffer.from(`a small file from ${tag}`)),
  ];
  const post = await from.api(user.token).post<{ id: string }>('/posts', {
    channel_id: channelId,
    message: `three files from ${tag}`,
    file_ids: files.map((f) => f.id),
  });
  return { postId: post.id, files };
}

/** Waits until `to` shows the post with all its files, then checks every file byte for byte (by SHA-256). */
async function expectArrived(to: FederatedCluster, reader: TestUser, postId: string, files: UploadedFile[]): Promise<void> {
  const post = await waitFor(
    `post ${postId} on ${to.name}`,
    async () => (await userPosts(to.api(reader.token), channelId)).find((p) => p.id === postId),
    TRANSFER_MS,
    500,
  );
  expect((post as unknown as { file_ids: string[] }).file_ids).toEqual(files.map((f) => f.id));
  for (const f of files) {
    expect({ name: f.name, got: await downloadSha256(to.url, reader.token, f.id) }).toEqual({
      name: f.name,
      got: { sha256: f.sha256, size: f.size },
    });
  }
  const info = await to
    .api(reader.token)
    .get<{ name: string; mime_type: string; width: number; height: number }>(`/files/${files[0].id}/info`);
  expect([info.name, info.mime_type, info.width, info.height]).toEqual([files[0].name, 'image/png', 64, 48]);
}

describe('file transfer between two clusters', () => {
  it('A to B: a post with an image, a 200 MiB file and a small file arrives with every file byte-identical', async () => {
    const { postId, files } = await postThreeFiles(a, alice, 'alice');
    await expectArrived(b, bob, postId, files);
  });

  it('B to A: the same from the other side', async () => {
    const { postId, files } = await postThreeFiles(b, bob, 'bob');
    await expectArrived(a, alice, postId, files);
  });

  it('a profile picture change shows on the other side, both ways', async () => {
    for (const [from, to, user, reader] of [
      [a, b, alice, bob],
      [b, a, bob, alice],
    ] as const) {
      const before = await pictureSha256(to.url, reader.token, user.id);
      expect(before).not.toBe('');
      const picture = encodeRgbPng(32, 32, Buffer.alloc(32 * 32 * 3, from === a ? 7 : 201));
      expect(await uploadProfilePicture(from.url, user, picture)).toBe(200);
      // The origin stores the upload re-encoded (128x128 PNG); those stored bytes are what must arrive.
      const stored = await pictureSha256(from.url, user.token, user.id);
      expect(stored).not.toBe(sha256(picture));
      await waitFor(
        `${user.username}'s picture on ${to.name}`,
        async () => ((await pictureSha256(to.url, reader.token, user.id)) === stored ? true : undefined),
        60_000,
        300,
      );
      expect(before).not.toBe(stored);
    }
  });
});
