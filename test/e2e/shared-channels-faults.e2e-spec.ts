import { channelPosts, FederatedCluster, Federation, PostJson, startFederation, TestUser, userPosts, waitFor } from '@fedchat/testing';
import { clusterEnv } from './support/cluster-env';

/*
 * Shared channels when things break: (a) a peer down for longer than the interruption threshold gets the
 * "interrupted" and "resumed" notices on the sending side and then every missed post, once and in order; (b) in
 * distributed mode with two sync replicas, one replica is killed with SIGKILL while the peer catches up on 500
 * posts, and the peer still ends with each post exactly once, in order.
 */

const ENV = clusterEnv([], { SHARED_CHANNELS_LEASE_MS: '2000' });
const SYNC_MS = 60_000;

function byCreateAt(posts: PostJson[]): PostJson[] {
  return [...posts].sort((x, y) => x.create_at - y.create_at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

const key = (p: PostJson) => ({ id: p.id, create_at: p.create_at, user_id: p.user_id });

/** Shares a new channel of `home` with `remote` and waits until a first post made on `home` arrived there. */
async function shareChannel(
  home: FederatedCluster,
  remote: FederatedCluster,
  author: TestUser,
): Promise<{ channelId: string; first: PostJson }> {
  const channel = await home
    .api()
    .post<{ id: string }>('/channels', { team_id: home.teamId, name: 'outage', display_name: 'Outage', type: 'O' });
  await home.api().post(`/channels/${channel.id}/members`, { user_id: author.id });
  expect(await home.api().post(`/remotecluster/${home.remoteIds[remote.name]}/channels/${channel.id}/invite`)).toEqual({ status: 'OK' });
  const first = await home.api(author.token).post<PostJson>('/posts', { channel_id: channel.id, message: 'before the outage' });
  await waitForAll(remote, channel.id, [first]);
  return { channelId: channel.id, first };
}

/** Waits until `cluster` shows all of `expected`, then returns its user posts (oldest first). */
function waitForAll(cluster: FederatedCluster, channelId: string, expected: PostJson[], timeoutMs = SYNC_MS): Promise<PostJson[]> {
  return waitFor(
    `${expected.length} posts on ${cluster.name}`,
    async () => {
      const posts = await userPosts(cluster.api(), channelId);
      const have = new Set(posts.map((p) => p.id));
      return expected.every((p) => have.has(p.id)) ? posts : undefined;
    },
    timeoutMs,
    250,
  );
}

/** `count` posts from `concurrency` posters at once; returned as the origin answered them. */
async function postMany(
  cluster: FederatedCluster,
  user: TestUser,
  channelId: string,
  count: number,
  concurrency: number,
): Promise<PostJson[]> {
  const posts: PostJson[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        posts.push(await cluster.api(user.token).post<PostJson>('/posts', { channel_id: channelId, message: `missed ${i}` }));
      }
    }),
  );
  return posts;
}

function waitForNotice(cluster: FederatedCluster, channelId: string, text: RegExp): Promise<PostJson> {
  return waitFor(
    `notice ${text} on ${cluster.name}`,
    async () => (await channelPosts(cluster.api(), channelId)).find((p) => p.type === 'shared_channel_state' && text.test(p.message)),
    SYNC_MS,
    250,
  );
}

describe('a peer down for longer than the interruption threshold', () => {
  let fed: Federation;
  let a: FederatedCluster;
  let b: FederatedCluster;
  let alice: TestUser;

  beforeAll(async () => {
    fed = await startFederation({ clusters: ['a', 'b'], env: { ...ENV, SHARED_CHANNELS_INTERRUPTED_AFTER_MS: '3000' } });
    ({ a, b } = fed.clusters);
    alice = await a.createUser('alice');
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it('gets the interrupted notice on the sending side, then every missed post once and in order, then the resumed notice', async () => {
    const { channelId, first } = await shareChannel(a, b, alice);

    await b.stop();
    const missed: PostJson[] = [];
    for (let i = 0; i < 30; i++) {
      missed.push(await a.api(alice.token).post<PostJson>('/posts', { channel_id: channelId, message: `missed ${i}` }));
    }
    const interrupted = await waitForNotice(a, channelId, /interrupted/i);
    expect(interrupted.message).toMatch(/Peer B|peer-b/);
    expect(interrupted.create_at).toBeGreaterThan(missed[0].create_at);

    await b.restart();
    const onB = await waitForAll(b, channelId, [first, ...missed]);
    expect(onB.map(key)).toEqual(byCreateAt([first, ...missed]).map(key));
    expect(onB.map((p) => p.message)).toEqual(['before the outage', ...missed.map((p) => p.message)]);

    const resumed = await waitForNotice(a, channelId, /resumed/i);
    expect(resumed.message).toMatch(/Peer B|peer-b/);
    expect(resumed.create_at).toBeGreaterThan(interrupted.create_at);
    // The notices are A's own: never synced.
    const shownOnB = new Set((await channelPosts(b.api(), channelId)).map((p) => p.id));
    expect(shownOnB.has(interrupted.id) || shownOnB.has(resumed.id)).toBe(false);
    expect((await userPosts(b.api(), channelId)).map(key)).toEqual(onB.map(key));
  });
});

describe('a sync replica killed while the peer catches up (A distributed with two sync replicas)', () => {
  const POSTS = 500;
  const REPLICAS = ['shared-channel-sync-0', 'shared-channel-sync-1'];
  let fed: Federation;
  let a: FederatedCluster;
  let b: FederatedCluster;
  let alice: TestUser;

  beforeAll(async () => {
    fed = await startFederation({
      clusters: ['a', 'b'],
      env: ENV,
      clusterEnv: { a: { MM_CONNECTEDWORKSPACESSETTINGS_MAXPOSTSPERSYNC: '10' } },
      distributed: { a: { replicas: { 'shared-channel-sync': 2 } } },
    });
    ({ a, b } = fed.clusters);
    alice = await a.createUser('alice');
  }, 300_000);
  afterAll(async () => {
    await fed?.stop();
  });

  /** Posts a replica has delivered to peers (its `fedchat_shared_channels_posts_sent_total`, all remotes). */
  async function sentBy(name: string): Promise<number> {
    const text = await fetch(`${a.suite.urls.get(name)}/metrics`).then((r) => r.text());
    let total = 0;
    for (const m of text.matchAll(/^fedchat_shared_channels_posts_sent_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/gm)) total += Number(m[1]);
    return total;
  }

  it('still delivers every post exactly once, in create_at order', async () => {
    const { channelId, first } = await shareChannel(a, b, alice);
    const countOnB = async () => (await b.api().get<{ total_msg_count: number }>(`/channels/${channelId}`)).total_msg_count;
    const base = await countOnB();
    await b.stop();
    const missed = await postMany(a, alice, channelId, POSTS, 8);
    expect(new Set(missed.map((p) => p.id)).size).toBe(POSTS);

    const sentBefore = await Promise.all(REPLICAS.map(sentBy));
    await b.restart();
    // As soon as one replica has delivered part of the backlog, that replica dies without a chance to clean up.
    const sender = await waitFor(
      'a replica sending the backlog',
      async () => {
        const sent = await Promise.all(REPLICAS.map(sentBy));
        const i = sent.findIndex((n, k) => n > sentBefore[k]);
        return i >= 0 ? i : undefined;
      },
      SYNC_MS,
      20,
    );
    const killed = await a.suite.processes.get(REPLICAS[sender])!.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    // Otherwise the kill did not happen mid-catch-up and this test would prove nothing.
    expect((await countOnB()) - base).toBeLessThan(POSTS);

    const onB = await waitForAll(b, channelId, [first, ...missed], 120_000);
    expect(onB).toHaveLength(POSTS + 1);
    expect(onB.map(key)).toEqual(byCreateAt([first, ...missed]).map(key));
    expect(a.suite.processes.get(REPLICAS[1 - sender])!.running).toBe(true);
  }, 300_000);
});
