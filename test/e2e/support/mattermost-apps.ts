import { FederatedCluster, Federation, PostJson, startFederation, TestUser, userPosts, waitFor } from '@fedchat/testing';
import { clusterEnv, SYNC_MS } from './cluster-env';

/*
 * The world the Mattermost-app tests (webapp client logic, mobile app entry) log into: two embedded clusters. On A,
 * alice (the app's user) and bob share a team, an open channel with a thread that mentions alice, and a DM. B's
 * channel `peer-room` is shared with A; dave, a user of B, has posted in it, so A knows him as a remote user.
 */

export interface AppWorld {
  fed: Federation;
  a: FederatedCluster;
  b: FederatedCluster;
  alice: TestUser;
  bob: TestUser;
  dave: TestUser;
  /** Open channel of A's team: alice's thread root, bob's reply, bob's mention of alice. */
  townId: string;
  dmId: string;
  /** B's channel, shared with A; alice is a member on A, dave on B. */
  sharedId: string;
  /** alice's thread root in town, with bob's reply. */
  rootId: string;
  /** bob's post in town that mentions @alice. */
  mentionId: string;
  /** dave's post in the shared channel, made on B before alice's app starts. */
  peerPostId: string;
}

export async function startAppWorld(): Promise<AppWorld> {
  const fed = await startFederation({ clusters: ['a', 'b'], env: clusterEnv() });
  try {
    const { a, b } = fed.clusters;
    const [alice, bob, dave] = await Promise.all([a.createUser('alice'), a.createUser('bob'), b.createUser('dave')]);

    const town = await a.api().post<{ id: string }>('/channels', { team_id: a.teamId, name: 'town', display_name: 'Town', type: 'O' });
    for (const user of [alice, bob]) await a.api().post(`/channels/${town.id}/members`, { user_id: user.id });
    const dm = await a.api(alice.token).post<{ id: string }>('/channels/direct', [alice.id, bob.id]);

    const root = await a.api(alice.token).post<PostJson>('/posts', { channel_id: town.id, message: 'Release checklist, please review' });
    await a.api(bob.token).post('/posts', { channel_id: town.id, message: 'Reviewed, one question', root_id: root.id });
    const mention = await a.api(bob.token).post<PostJson>('/posts', { channel_id: town.id, message: '@alice the build is green' });

    const shared = await b
      .api()
      .post<{ id: string }>('/channels', { team_id: b.teamId, name: 'peer-room', display_name: 'Peer room', type: 'O' });
    await b.api().post(`/channels/${shared.id}/members`, { user_id: dave.id });
    await b.api().post(`/remotecluster/${b.remoteIds.a}/channels/${shared.id}/invite`);
    await waitFor(
      'the shared channel on A',
      async () => ((await a.api().request('GET', `/channels/${shared.id}`)).status === 200 ? true : undefined),
      SYNC_MS,
      200,
    );
    await a.api().post(`/channels/${shared.id}/members`, { user_id: alice.id });
    const peerPost = await b.api(dave.token).post<PostJson>('/posts', { channel_id: shared.id, message: 'Hello from the peer cluster' });
    await waitForPostOn(a, shared.id, peerPost.id);

    return {
      fed,
      a,
      b,
      alice,
      bob,
      dave,
      townId: town.id,
      dmId: dm.id,
      sharedId: shared.id,
      rootId: root.id,
      mentionId: mention.id,
      peerPostId: peerPost.id,
    };
  } catch (err) {
    // The reason the world could not be made matters more than a failing clean-up.
    await fed.stop().catch(() => undefined);
    throw err;
  }
}

/** Waits until `cluster` shows the post in the channel (a post that crosses from a peer). */
export async function waitForPostOn(cluster: FederatedCluster, channelId: string, postId: string): Promise<void> {
  await waitFor(
    `post ${postId} on ${cluster.name}`,
    async () => ((await userPosts(cluster.api(), channelId)).some((p) => p.id === postId) ? true : undefined),
    SYNC_MS,
    200,
  );
}
