import {
  downloadSha256,
  FederatedCluster,
  Federation,
  metricValue,
  startFederation,
  TestUser,
  uploadFile,
  userPosts,
  waitFor,
} from '@fedchat/testing';
import { clusterEnv } from './support/cluster-env';

/*
 * A large attachment from A to B, and B is killed (SIGKILL) in the middle of receiving it. After B restarts on the same
 * data and address, the transfer resumes from what B had stored and completes byte-identical; A's bytes-sent metric
 * shows it did not start over.
 */

const MiB = 1024 * 1024;
const SIZE = 400 * MiB;
/** B stores received files in segments of this size: the unit of resumption. */
const SEGMENT = 16 * MiB;
/** Bytes A had handed to the connection that B never read when it died: the kernel socket buffers of both ends. */
const IN_FLIGHT = 16 * MiB;
const ENV = clusterEnv([], {
  // Big transfers load both CPUs: a little more room before a slow ping counts as offline.
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '3000',
  FILE_TRANSFER_SEGMENT_BYTES: String(SEGMENT),
  MM_FILESETTINGS_MAXFILESIZE: String(1024 * MiB),
});

let fed: Federation;
let a: FederatedCluster;
let b: FederatedCluster;
let alice: TestUser;
let channelId: string;

beforeAll(async () => {
  fed = await startFederation({ clusters: ['a', 'b'], env: ENV });
  ({ a, b } = fed.clusters);
  alice = await a.createUser('alice');
  const channel = await a.api().post<{ id: string }>('/channels', { team_id: a.teamId, name: 'big', display_name: 'Big', type: 'O' });
  channelId = channel.id;
  await a.api().post(`/channels/${channelId}/members`, { user_id: alice.id });
  await a.api().post(`/remotecluster/${a.remoteIds.b}/channels/${channelId}/invite`);
  await waitFor(
    'channel on B',
    async () => ((await b.api().request('GET', `/channels/${channelId}`)).status === 200 ? true : undefined),
    60_000,
  );
}, 180_000);
afterAll(async () => {
  await fed?.stop();
});

describe('file transfer faults', () => {
  it('resumes a transfer after the receiver is killed mid-way, without sending again what it had stored', async () => {
    const remote = { remote_id: a.remoteIds.b };
    const sentBefore = await metricValue(a.url, 'fedchat_file_transfer_sent_bytes_total', remote);
    const file = await uploadFile(a.url, alice.token, channelId, 'large.bin', SIZE);
    const post = await a.api(alice.token).post<{ id: string }>('/posts', { channel_id: channelId, message: 'large', file_ids: [file.id] });

    // Mid-way: a good part of the file has left A, not all of it.
    const sentAtKill = await waitFor(
      'the transfer to be under way',
      async () => {
        const sent = (await metricValue(a.url, 'fedchat_file_transfer_sent_bytes_total', remote)) - sentBefore;
        return sent >= SIZE * 0.3 ? sent : undefined;
      },
      120_000,
      10,
    );
    await b.suite.processes.get('embedded')!.stop('SIGKILL');
    expect(sentAtKill).toBeLessThan(SIZE);

    await b.restart();
    const bob = await b.createUser('bob');
    await b.api().post(`/channels/${channelId}/members`, { user_id: bob.id });
    await waitFor(
      'the post on B',
      async () => ((await userPosts(b.api(bob.token), channelId)).some((p) => p.id === post.id) ? true : undefined),
      180_000,
      500,
    );
    expect(await downloadSha256(b.url, bob.token, file.id)).toEqual({ sha256: file.sha256, size: SIZE });

    const sentTotal = (await metricValue(a.url, 'fedchat_file_transfer_sent_bytes_total', remote)) - sentBefore;
    // Starting over would have sent the file plus everything sent before the kill.
    expect(sentTotal).toBeGreaterThanOrEqual(SIZE);
    expect(sentTotal).toBeLessThanOrEqual(SIZE + SEGMENT + IN_FLIGHT);
    expect(await metricValue(a.url, 'fedchat_file_transfer_sent_files_total', remote)).toBeGreaterThanOrEqual(1);
  });
});
