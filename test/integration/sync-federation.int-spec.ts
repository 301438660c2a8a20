import { APP_CONFIG, Bus } from '@fedchat/common';
import { SendToPeer } from '@fedchat/contracts';
import { waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { ClaimedPair, SyncQueue } from '../../apps/shared-channel-sync/src/sync/sync-queue.service';
import { TestUser } from '../support/gateway-harness';
import { ClusterPlace, connectClusters, QUICK_FEDERATION_ENV, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * Content sync between two real clusters on loopback (each: gateway, remote-cluster and shared-channel-sync in one
 * Nest app, its own PostgreSQL database): a channel shared from A to B, then every kind of change made on either
 * side shows on the other, once, with the same ids; and the sender survives the receiver being down.
 */

const ENV = {
  ...QUICK_FEDERATION_ENV,
  SHARED_CHANNELS_INTERRUPTED_AFTER_MS: '1500',
  MM_CONNECTEDWORKSPACESSETTINGS_MAXPOSTSPERSYNC: '7',
};

type Cluster = TestCluster;

function startCluster(name: string, reuse?: ClusterPlace): Promise<Cluster> {
  return startTestCluster(name, ENV, [RemoteClusterModule, SharedChannelSyncModule], reuse);
}

/** Waits until `cond` holds (waitFor itself stops at the first defined value, false included). */
function until(cond: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  return waitFor(cond.toString().slice(0, 160), async () => ((await cond()) ? true : undefined), timeoutMs);
}

let a: Cluster;
let b: Cluster;
let remoteId: string;
let bobOnB: TestUser;

const db = (c: Cluster) => c.h.app.get(DataSource);
const postsOn = async (c: Cluster, channelId: string) =>
  (await db(c).query(
    `SELECT id, message, root_id, create_at, delete_at, user_id FROM posts WHERE channel_id = $1 AND type = '' ORDER BY create_at, id`,
    [channelId],
  )) as { id: string; message: string; root_id: string; create_at: string; delete_at: string; user_id: string }[];

beforeAll(async () => {
  a = await startCluster('a');
  b = await startCluster('b');
  remoteId = await connectClusters(a, b);
  bobOnB = await b.h.signUp('bob', b.admin);
  await b.h.as(b.admin).post(`/api/v4/teams/${b.teamId}/members`).send({ team_id: b.teamId, user_id: bobOnB.id }).expect(201);
});

afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('content sync between two clusters', () => {
  it('shares a channel: it appears on B with the same id', async () => {
    await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${a.channelId}/invite`).send({}).expect(200);
    await until(async () => (await db(b).query('SELECT 1 FROM channels WHERE id = $1', [a.channelId])).length === 1, 10_000);
    const [shared] = await db(b).query('SELECT home, remote_id FROM shared_channels WHERE channel_id = $1', [a.channelId]);
    expect(shared).toEqual({ home: false, remote_id: remoteId });
  });

  it('delivers posts, threads, edits and deletes from A to B in order, each once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await a.h
        .as(a.admin)
        .post('/api/v4/posts')
        .send({ channel_id: a.channelId, message: `post ${i}` })
        .expect(201);
      ids.push(res.body.id);
    }
    const reply = await a.h
      .as(a.admin)
      .post('/api/v4/posts')
      .send({ channel_id: a.channelId, message: 'a reply', root_id: ids[3] })
      .expect(201);
    await a.h.as(a.admin).put(`/api/v4/posts/${ids[5]}/patch`).send({ message: 'post 5 edited' }).expect(200);
    await a.h.as(a.admin).delete(`/api/v4/posts/${ids[6]}`).expect(200);

    await until(async () => (await postsOn(b, a.channelId)).length === 21, 15_000);
    await until(async () => (await postsOn(b, a.channelId)).find((p) => p.id === ids[5])?.message === 'post 5 edited', 10_000);
    await until(async () => Number((await postsOn(b, a.channelId)).find((p) => p.id === ids[6])?.delete_at) > 0, 10_000);
    const onA = await postsOn(a, a.channelId);
    const onB = await postsOn(b, a.channelId);
    expect(onB.map((p) => p.id)).toEqual(onA.map((p) => p.id));
    expect(onB.map((p) => p.create_at)).toEqual(onA.map((p) => p.create_at));
    expect(onB.find((p) => p.id === reply.body.id)?.root_id).toBe(ids[3]);
    const [author] = await db(b).query('SELECT username, remote_id FROM users WHERE id = $1', [a.admin.id]);
    expect(author).toEqual({ username: 'aadmin:peer-a', remote_id: remoteId });
  });

  it('delivers posts, reactions and acknowledgements from B back to A, without echo', async () => {
    await b.h.as(b.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: bobOnB.id }).expect(201);
    const res = await b.h.as(bobOnB).post('/api/v4/posts').send({ channel_id: a.channelId, message: 'hello from bob' }).expect(201);
    await until(async () => (await postsOn(a, a.channelId)).some((p) => p.id === res.body.id), 10_000);
    const [bob] = await db(a).query('SELECT username, remote_id FROM users WHERE id = $1', [bobOnB.id]);
    expect(bob).toEqual({ username: 'bob:peer-b', remote_id: remoteId });

    const target = (await postsOn(a, a.channelId))[0].id;
    await b.h.as(bobOnB).post('/api/v4/reactions').send({ user_id: bobOnB.id, post_id: target, emoji_name: 'tada' }).expect(201);
    await until(
      async () =>
        (await db(a).query(`SELECT 1 FROM reactions WHERE post_id = $1 AND emoji_name = 'tada' AND delete_at = 0`, [target])).length === 1,
      10_000,
    );
    await b.h.as(bobOnB).delete(`/api/v4/users/${bobOnB.id}/posts/${target}/reactions/tada`).expect(200);
    await until(
      async () =>
        (await db(a).query(`SELECT 1 FROM reactions WHERE post_id = $1 AND emoji_name = 'tada' AND delete_at = 0`, [target])).length === 0,
      10_000,
    );
    await b.h.as(bobOnB).post(`/api/v4/users/${bobOnB.id}/posts/${target}/ack`).expect(200);
    await until(
      async () =>
        (await db(a).query(`SELECT 1 FROM post_acknowledgements WHERE post_id = $1 AND acknowledged_at > 0`, [target])).length === 1,
      10_000,
    );
    // Nothing came back to B twice.
    const onB = await postsOn(b, a.channelId);
    expect(new Set(onB.map((p) => p.id)).size).toBe(onB.length);
  });

  it('keeps posts made while B is down and delivers them all when B is back, with notices on A', async () => {
    const databaseUrl = b.h.databaseUrl;
    const keep = { port: b.port, databaseUrl, teamId: b.teamId };
    await b.h.close();
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) {
      const res = await a.h
        .as(a.admin)
        .post('/api/v4/posts')
        .send({ channel_id: a.channelId, message: `while down ${i}` })
        .expect(201);
      ids.push(res.body.id);
    }
    await until(
      async () =>
        (
          await db(a).query(
            `SELECT 1 FROM posts WHERE channel_id = $1 AND type = 'shared_channel_state' AND props->>'sync_state' = 'interrupted'`,
            [a.channelId],
          )
        ).length === 1,
      15_000,
    );
    b = await startCluster('b', keep);
    await until(async () => (await postsOn(b, a.channelId)).filter((p) => ids.includes(p.id)).length === 15, 30_000);
    await until(
      async () =>
        (
          await db(a).query(
            `SELECT 1 FROM posts WHERE channel_id = $1 AND type = 'shared_channel_state' AND props->>'sync_state' = 'resumed'`,
            [a.channelId],
          )
        ).length === 1,
      15_000,
    );
    const onA = (await postsOn(a, a.channelId)).map((p) => p.id);
    const onB = (await postsOn(b, a.channelId)).map((p) => p.id);
    expect(onB).toEqual(onA);
  });

  it('ends a notified interruption once: of two runs that held the pair, only the first posts "resumed"', async () => {
    // Two runs of one pair (a lease that ran out under a slow run, then a new claim) both succeed; the chaos run saw
    // 15 "resumed" notices after one partition.
    const queue = new SyncQueue(db(a), a.h.app.get(APP_CONFIG));
    const [{ id }] = (await db(a).query(`SELECT id FROM shared_channel_remotes WHERE channel_id = $1`, [a.channelId])) as { id: string }[];
    await db(a).query(
      `UPDATE shared_channel_remotes SET lease_owner = $2, lease_until = $3, interrupted_since = $4, interruption_notified = true WHERE id = $1`,
      [id, queue.owner, Date.now() + 60_000, Date.now() - 5_000],
    );
    const pair = { id } as ClaimedPair;
    expect([await queue.succeed(pair), await queue.succeed(pair)]).toEqual([true, false]);
    const [row] = (await db(a).query(`SELECT lease_owner, interruption_notified FROM shared_channel_remotes WHERE id = $1`, [id])) as {
      lease_owner: string;
      interruption_notified: boolean;
    }[];
    expect(row).toEqual({ lease_owner: '', interruption_notified: false });
  });

  it('renews the lease of a pair only for the run that holds it', async () => {
    const queue = new SyncQueue(db(a), a.h.app.get(APP_CONFIG));
    const [{ id }] = (await db(a).query(`SELECT id FROM shared_channel_remotes WHERE channel_id = $1`, [a.channelId])) as { id: string }[];
    const soon = Date.now() + 1_000;
    await db(a).query(`UPDATE shared_channel_remotes SET lease_owner = $2, lease_until = $3 WHERE id = $1`, [id, queue.owner, soon]);
    expect(await queue.renew({ id } as ClaimedPair)).toBe(true);
    const [{ lease_until }] = (await db(a).query(`SELECT lease_until FROM shared_channel_remotes WHERE id = $1`, [id])) as {
      lease_until: string;
    }[];
    expect(Number(lease_until)).toBeGreaterThan(soon);

    await db(a).query(`UPDATE shared_channel_remotes SET lease_owner = 'another-replica' WHERE id = $1`, [id]);
    expect(await queue.renew({ id } as ClaimedPair)).toBe(false);
    await db(a).query(`UPDATE shared_channel_remotes SET lease_owner = '', lease_until = 0 WHERE id = $1`, [id]);
  });

  it('sends a post made while the previous batch travels in the same run, once that batch is confirmed', async () => {
    // Before, the run ended with the first post, released the pair and claimed it again for the second: a gap of two
    // statements and a scheduling hop after every batch while a channel is busy.
    const queue = a.h.app.get(SyncQueue);
    const bus = a.h.app.get(Bus);
    // Counted from an idle pair: no run of an earlier change still going.
    await until(async () => {
      const [pair] = (await db(a).query(`SELECT lease_owner FROM shared_channel_remotes WHERE channel_id = $1`, [a.channelId])) as {
        lease_owner: string;
      }[];
      return pair.lease_owner === '' && (await queue.healthOf(remoteId)).queue_size === 0;
    }, 10_000);
    const claimsOfPair: number[] = [];
    const successes: string[] = [];
    const claim = queue.claim.bind(queue);
    const succeed = queue.succeed.bind(queue);
    const request = bus.request.bind(bus) as (...args: unknown[]) => Promise<unknown>;
    let firstInFlight!: () => void;
    const inFlight = new Promise<void>((resolve) => (firstInFlight = resolve));
    let confirmFirst!: () => void;
    const confirmed = new Promise<void>((resolve) => (confirmFirst = resolve));
    const claimSpy = jest.spyOn(queue, 'claim').mockImplementation(async (limit, channelId) => {
      const pairs = await claim(limit, channelId);
      claimsOfPair.push(pairs.filter((p) => p.channel_id === a.channelId).length);
      return pairs;
    });
    const succeedSpy = jest.spyOn(queue, 'succeed').mockImplementation(async (pair) => {
      if (pair.channel_id === a.channelId) successes.push(pair.id);
      return succeed(pair);
    });
    const requestSpy = jest.spyOn(bus, 'request').mockImplementation((async (
      contract: unknown,
      payload: { payload: { posts?: { message: string }[] } },
    ) => {
      if (contract === SendToPeer && payload.payload.posts?.some((p) => p.message === 'in flight 1')) {
        firstInFlight();
        await confirmed;
      }
      return request(contract, payload);
    }) as unknown as typeof bus.request);
    try {
      const first = await a.h.as(a.admin).post('/api/v4/posts').send({ channel_id: a.channelId, message: 'in flight 1' }).expect(201);
      await inFlight;
      const second = await a.h.as(a.admin).post('/api/v4/posts').send({ channel_id: a.channelId, message: 'in flight 2' }).expect(201);
      // The second post's doorbell is handled (its claim finds the pair held) before the first batch is confirmed.
      const claimsBefore = claimsOfPair.length;
      await until(async () => claimsOfPair.length > claimsBefore, 5_000);
      confirmFirst();
      const ids = [first.body.id, second.body.id];
      await until(async () => (await postsOn(b, a.channelId)).filter((p) => ids.includes(p.id)).length === 2, 10_000);
      // Let the run end and its look-again claim happen.
      await until(async () => successes.length > 0, 5_000);
      await new Promise((r) => setTimeout(r, 500));
      expect((await postsOn(b, a.channelId)).map((p) => p.id).filter((id) => ids.includes(id))).toEqual(ids);
      expect(claimsOfPair.filter((n) => n > 0)).toEqual([1]);
      expect(successes).toHaveLength(1);
    } finally {
      claimSpy.mockRestore();
      succeedSpy.mockRestore();
      requestSpy.mockRestore();
      confirmFirst();
    }
  });

  it('drains a backlog in few messages, a new author with the first posts: every post once and in order', async () => {
    const carol = await a.h.signUp('carol', a.admin);
    await a.h.as(a.admin).post(`/api/v4/teams/${a.teamId}/members`).send({ team_id: a.teamId, user_id: carol.id }).expect(201);
    await a.h.as(a.admin).post(`/api/v4/channels/${a.channelId}/members`).send({ user_id: carol.id }).expect(201);
    const keep = { port: b.port, databaseUrl: b.h.databaseUrl, teamId: b.teamId };
    await b.h.close();
    const backlog = 70; // ten batches of MaxPostsPerSync (7)
    const ids: string[] = [];
    for (let i = 0; i < backlog; i++) {
      const res = await a.h
        .as(carol)
        .post('/api/v4/posts')
        .send({ channel_id: a.channelId, message: `backlog ${i}` })
        .expect(201);
      ids.push(res.body.id);
    }
    // What A's sync sends for the channel and B confirms, in order.
    const bus = a.h.app.get(Bus);
    const request = bus.request.bind(bus) as (...args: unknown[]) => Promise<{ status: string }>;
    const confirmed: { users?: Record<string, unknown>; posts?: { id: string }[] }[] = [];
    const requestSpy = jest.spyOn(bus, 'request').mockImplementation((async (
      contract: unknown,
      payload: { topic: string; payload: { channel_id: string; users?: Record<string, unknown>; posts?: { id: string }[] } },
    ) => {
      const answer = await request(contract, payload);
      const msg = payload.payload;
      if (contract === SendToPeer && payload.topic === 'sharedchannel_sync' && msg.channel_id === a.channelId && answer.status === 'OK')
        confirmed.push(msg);
      return answer;
    }) as unknown as typeof bus.request);
    try {
      b = await startCluster('b', keep);
      await until(async () => (await postsOn(b, a.channelId)).filter((p) => ids.includes(p.id)).length === backlog, 30_000);
    } finally {
      requestSpy.mockRestore();
    }
    const onA = (await postsOn(a, a.channelId)).map((p) => p.id);
    const onB = (await postsOn(b, a.channelId)).map((p) => p.id);
    expect(onB).toEqual(onA);
    // B stamps every post of one received message with that message's change stamp: distinct stamps = messages.
    const [{ messages }] = await db(b).query(`SELECT count(DISTINCT update_at)::int AS messages FROM posts WHERE id = ANY($1)`, [ids]);
    // A full first batch (7) is followed by batches of the largest size (8 × 7 = 56): 7, 56, then the last 7, three
    // messages, where batches of 7 took ten and doubling batches (7, 14, 28, 21) four.
    expect(messages).toBeLessThanOrEqual(3);
    // Carol, new to B, travels in the first message of her posts, not in a message of her own before it.
    const withPosts = confirmed.filter((m) => m.posts?.some((p) => ids.includes(p.id)));
    expect(Object.keys(withPosts[0]?.users ?? {})).toContain(carol.id);
    expect(confirmed.filter((m) => m.users && !m.posts?.length)).toEqual([]);
  });
  it('sends reaction changes of a post changed again later, also when a backlog splits into full batches', async () => {
    const reactionsOn = async (c: Cluster, postId: string) =>
      (
        (await db(c).query(`SELECT emoji_name FROM reactions WHERE post_id = $1 AND delete_at = 0 ORDER BY emoji_name`, [postId])) as {
          emoji_name: string;
        }[]
      ).map((r) => r.emoji_name);
    const target = await a.h.as(a.admin).post('/api/v4/posts').send({ channel_id: a.channelId, message: 'react to me' }).expect(201);
    const postId: string = target.body.id;
    await a.h.as(a.admin).post('/api/v4/reactions').send({ user_id: a.admin.id, post_id: postId, emoji_name: 'smile' }).expect(201);
    await until(async () => (await reactionsOn(b, postId)).includes('smile'), 10_000);

    const keep = { port: b.port, databaseUrl: b.h.databaseUrl, teamId: b.teamId };
    await b.h.close();
    // The reaction changes get stamps older than the posts after them; the edit then moves the post past those posts,
    // so the first batch (MaxPostsPerSync, 7) ends between the reaction changes and the post's last change.
    await a.h.as(a.admin).post('/api/v4/reactions').send({ user_id: a.admin.id, post_id: postId, emoji_name: 'tada' }).expect(201);
    await a.h.as(a.admin).delete(`/api/v4/users/${a.admin.id}/posts/${postId}/reactions/smile`).expect(200);
    for (let i = 0; i < 10; i++) {
      await a.h
        .as(a.admin)
        .post('/api/v4/posts')
        .send({ channel_id: a.channelId, message: `after the reactions ${i}` })
        .expect(201);
    }
    await a.h.as(a.admin).put(`/api/v4/posts/${postId}/patch`).send({ message: 'react to me (edited)' }).expect(200);
    b = await startCluster('b', keep);
    await until(async () => (await postsOn(b, a.channelId)).some((p) => p.id === postId && p.message === 'react to me (edited)'), 30_000);
    // The reactions travel right after the posts of the same batch: a short wait, then the verdict.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await reactionsOn(b, postId)).join() !== 'tada') await new Promise((r) => setTimeout(r, 100));
    expect(await reactionsOn(a, postId)).toEqual(['tada']);
    expect(await reactionsOn(b, postId)).toEqual(['tada']);
  });
});
