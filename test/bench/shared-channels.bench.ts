import * as os from 'node:os';
import { EmbeddedPostgres } from '@fedchat/common';
import { newId } from '@fedchat/crypto';
import { Api, FederatedCluster, Federation, openEvents, startFederation, waitFor } from '@fedchat/testing';
import { Client } from 'pg';
import { sharedChannels } from './channels';
import { quantile, recordFigures } from './report';

/**
 * `npm run bench` (part 3): shared channels between two embedded clusters on this machine, A sharing with B.
 *  1. propagation latency: POST /api/v4/posts on A at a fixed rate -> `posted` websocket event on B;
 *  2. sustained replication: A ingests as fast as it can (concurrent posters over several shared channels) while B
 *     replicates; A's ingest rate, B's replication rate, and the lag from A's create_at to arrival on B;
 *  3. catch-up: with B stopped, A gets a backlog over many shared channels through its API; B restarts and the time
 *     until B's channels (total_msg_count, from B's database) hold every post is measured.
 * Sizes come from the environment (defaults in parentheses below), so a small run can be tried first.
 */
const PARTS = (process.env.BENCH_SHARED_PARTS ?? '1,2,3').split(',').map((s) => Number(s.trim()));
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 20); // posts/s
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 30);
const SUSTAINED_SECONDS = Number(process.env.BENCH_SUSTAINED_SECONDS ?? 60);
const SUSTAINED_POSTERS = Number(process.env.BENCH_SUSTAINED_POSTERS ?? 16);
const SUSTAINED_CHANNELS = Number(process.env.BENCH_SUSTAINED_CHANNELS ?? 4);
const CATCHUP_POSTS = Number(process.env.BENCH_CATCHUP_POSTS ?? 100_000);
const CATCHUP_CHANNELS = Number(process.env.BENCH_CATCHUP_CHANNELS ?? 100);
const LOAD_CONCURRENCY = Number(process.env.BENCH_LOAD_CONCURRENCY ?? 32);
const CATCHUP_TIMEOUT_S = Number(process.env.BENCH_CATCHUP_TIMEOUT_S ?? 900);
/**
 * How the catch-up backlog gets onto A: `api` (POST /posts, as users would) or `db` (written straight into A's
 * database as the one-statement post path writes them: change stamp, row, channel counters). The catch-up figure does
 * not depend on it; `db` only makes a 100,000-post run take seconds to set up instead of minutes.
 */
const CATCHUP_LOAD = process.env.BENCH_CATCHUP_LOAD ?? 'api';

/** Sync engine settings left at their defaults, except what makes a restarted peer noticed quickly. */
const ENV = {
  LOG_LEVEL: 'warn',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  REMOTE_CLUSTER_PING_INTERVAL_MS: '1000',
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '5000',
  // Engine settings given to the bench (e.g. SHARED_CHANNELS_CONCURRENCY) reach both clusters.
  ...Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k.startsWith('SHARED_CHANNELS_') || k.startsWith('MM_CONNECTEDWORKSPACESSETTINGS_')),
  ),
} as Record<string, string>;

const out = (line = '') => process.stdout.write(`${line}\n`);

function summary(ms: number[]): string {
  if (ms.length === 0) return 'n=0';
  const s = [...ms].sort((x, y) => x - y);
  const p = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(1);
  return `n=${s.length} p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${s[s.length - 1].toFixed(1)} ms`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Posts of `channelIds` that B's admin hears over B's websocket: arrival (wall clock) by post id. */
async function listenOnB(
  b: FederatedCluster,
  channelIds: string[],
  onPost: (post: { id: string; create_at: number; message: string }, at: number) => void,
) {
  const wanted = new Set(channelIds);
  return openEvents(b.url, b.adminToken, (e) => {
    if (e.event !== 'posted') return;
    const post = JSON.parse(String(e.data.post)) as { id: string; create_at: number; message: string; channel_id: string };
    if (wanted.has(post.channel_id)) onPost(post, Date.now());
  });
}

/** 1. One post at a time at a fixed rate; latency from sending POST /posts on A to the `posted` event on B. */
async function propagationLatency(a: FederatedCluster, b: FederatedCluster): Promise<void> {
  const [channelId] = await sharedChannels(a, b, 'latency', 1);
  const arrived = new Map<string, number>();
  const events = await listenOnB(b, [channelId], (post) => arrived.set(post.message, performance.now()));
  const poster = a.api();
  try {
    for (let i = 0; i < 20; i++) await poster.post('/posts', { channel_id: channelId, message: `warm-up ${i}` });
    await waitFor('warm-up on B', async () => (arrived.has('warm-up 19') ? true : undefined), 60_000, 20);

    const total = LATENCY_RATE * LATENCY_SECONDS;
    const sent = new Map<string, number>();
    const errors: string[] = [];
    const started = performance.now();
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / LATENCY_RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const message = `latency ${i}`;
      sent.set(message, performance.now());
      inFlight.push(poster.post('/posts', { channel_id: channelId, message }).catch((err: Error) => errors.push(err.message)));
    }
    await Promise.all(inFlight);
    await waitFor(
      'every latency post on B',
      async () => ([...sent.keys()].every((m) => arrived.has(m)) ? true : undefined),
      60_000,
      50,
    ).catch(() => undefined);
    const latencies = [...sent].flatMap(([m, t]) => (arrived.has(m) ? [arrived.get(m)! - t] : []));
    out(`1. propagation latency, POST /posts on A -> posted event on B, ${LATENCY_RATE} posts/s for ${LATENCY_SECONDS} s`);
    out(`   ${summary(latencies)}; missing on B: ${total - latencies.length}; failed posts on A: ${errors.length}`);
    const note = `${LATENCY_RATE} posts/s for ${LATENCY_SECONDS} s`;
    recordFigures('shared-channels', {
      'propagation p50 at 20 posts/s': { value: quantile(latencies, 0.5), note },
      'propagation p99 at 20 posts/s': { value: quantile(latencies, 0.99), note },
    });
  } finally {
    events.close();
  }
}

/** 2. A ingests as fast as it can for a while; B's replication rate and lag (A's create_at -> arrival on B). */
async function sustainedReplication(a: FederatedCluster, b: FederatedCluster): Promise<void> {
  const channelIds = await sharedChannels(a, b, 'sustained', SUSTAINED_CHANNELS);
  const lags: number[] = [];
  let firstArrival = 0;
  let lastArrival = 0;
  let arrivedInWindow = 0;
  let windowEnd = Infinity;
  const events = await listenOnB(b, channelIds, (post, at) => {
    lags.push(at - post.create_at);
    if (!firstArrival) firstArrival = at;
    lastArrival = at;
    if (at <= windowEnd) arrivedInWindow++;
  });
  try {
    let created = 0;
    let failed = 0;
    const started = Date.now();
    const deadline = started + SUSTAINED_SECONDS * 1000;
    windowEnd = deadline;
    const poster: Api = a.api();
    await Promise.all(
      Array.from({ length: SUSTAINED_POSTERS }, async (_, k) => {
        const channelId = channelIds[k % channelIds.length];
        for (let i = 0; Date.now() < deadline; i++) {
          try {
            await poster.post('/posts', { channel_id: channelId, message: `sustained ${k}-${i}` });
            created++;
          } catch {
            failed++;
          }
        }
      }),
    );
    const ingestSeconds = (Date.now() - started) / 1000;
    const drained = await waitFor('B to drain', async () => (lags.length >= created ? Date.now() : undefined), 300_000, 50).catch(() => 0);
    const arrivedTotal = lags.length;
    out(
      `2. sustained replication, ${SUSTAINED_POSTERS} posters on A over ${SUSTAINED_CHANNELS} shared channels for ${SUSTAINED_SECONDS} s`,
    );
    out(
      `   A ingest: ${created} posts in ${ingestSeconds.toFixed(1)} s = ${(created / ingestSeconds).toFixed(0)} posts/s (${failed} failed)`,
    );
    out(
      `   B replication: ${arrivedInWindow} posts arrived during the ingest window = ${(arrivedInWindow / ingestSeconds).toFixed(0)} posts/s ` +
        `(${((100 * arrivedInWindow) / Math.max(1, created)).toFixed(1)}% of A's ingest)`,
    );
    out(
      drained
        ? `   B had all ${created} posts ${((drained - (started + ingestSeconds * 1000)) / 1000).toFixed(2)} s after ingest stopped` +
            ` (first arrival to last: ${((lastArrival - firstArrival) / 1000).toFixed(1)} s)`
        : `   B did not receive all posts within 300 s after ingest stopped: ${arrivedTotal} of ${created}`,
    );
    out(`   lag, A create_at -> posted event on B: ${summary(lags)}`);
    const note = `${SUSTAINED_POSTERS} posters, ${SUSTAINED_CHANNELS} channels, ${SUSTAINED_SECONDS} s`;
    recordFigures('shared-channels', {
      "sustained replication, share of A's ingest": { value: (100 * arrivedInWindow) / Math.max(1, created), note },
      'sustained replication, rate on B': { value: arrivedInWindow / ingestSeconds, note },
      'sustained replication, lag p50': { value: quantile(lags, 0.5), note },
      'sustained replication, lag p99': { value: quantile(lags, 0.99), note },
    });
  } finally {
    events.close();
  }
}

/** 3. A backlog on A while B is down, then the time B needs to hold all of it. */
async function catchUp(fed: Federation): Promise<void> {
  const { a, b } = fed.clusters;
  const channelIds = await sharedChannels(a, b, 'catchup', CATCHUP_CHANNELS);
  const counts = async (): Promise<number[]> => {
    const result: number[] = [];
    for (let i = 0; i < channelIds.length; i += 20) {
      const chunk = channelIds.slice(i, i + 20);
      const got = await Promise.all(chunk.map((id) => b.api().get<{ total_msg_count: number }>(`/channels/${id}`)));
      result.push(...got.map((c) => c.total_msg_count));
    }
    return result;
  };
  const before = await counts();
  await b.stop();

  let failed = 0;
  const perChannel = new Array<number>(channelIds.length).fill(0);
  const loadStarted = performance.now();
  if (CATCHUP_LOAD === 'db') {
    await loadIntoDatabase(a, channelIds, perChannel);
  } else {
    // The backlog, through A's API from many concurrent clients, spread evenly over the channels.
    const poster = a.api();
    let next = 0;
    await Promise.all(
      Array.from({ length: LOAD_CONCURRENCY }, async () => {
        while (next < CATCHUP_POSTS) {
          const i = next++;
          const c = i % channelIds.length;
          try {
            await poster.post('/posts', { channel_id: channelIds[c], message: `backlog ${i}` });
            perChannel[c]++;
          } catch {
            failed++;
          }
        }
      }),
    );
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const loaded = perChannel.reduce((x, y) => x + y, 0);
  const target = before.map((n, i) => n + perChannel[i]);

  const restartStarted = performance.now();
  await b.restart();
  const ready = performance.now();
  let last = before;
  const done = await waitFor(
    'B to catch up',
    async () => {
      last = await counts();
      return last.every((n, i) => n >= target[i]) ? performance.now() : undefined;
    },
    CATCHUP_TIMEOUT_S * 1000,
    250,
  ).catch(() => undefined);
  const received = last.reduce((sum, n, i) => sum + n - before[i], 0);
  const extra = last.reduce((sum, n, i) => sum + Math.max(0, n - target[i]), 0);

  out(`3. catch-up after an outage: ${loaded} posts in ${channelIds.length} shared channels, loaded on A while B was stopped`);
  const how =
    CATCHUP_LOAD === 'db' ? "written into A's database" : `loaded through A's API (POST /posts, ${LOAD_CONCURRENCY} concurrent clients)`;
  out(`   ${how}: ${loadSeconds.toFixed(1)} s = ${(loaded / loadSeconds).toFixed(0)} posts/s (${failed} failed)`);
  out(`   B restart (process start to ready): ${((ready - restartStarted) / 1000).toFixed(1)} s`);
  if (done) {
    const seconds = (done - ready) / 1000;
    out(`   B held all ${loaded} posts ${seconds.toFixed(1)} s after it was ready = ${(loaded / seconds).toFixed(0)} posts/s`);
    out(`   (${((done - restartStarted) / 1000).toFixed(1)} s from the restart; posts counted beyond the backlog: ${extra})`);
    const note = `${loaded} posts, ${channelIds.length} channels`;
    recordFigures('shared-channels', { 'catch-up after an outage': { value: seconds, floorValue: loaded / seconds, note } });
  } else {
    out(`   B did not catch up within ${CATCHUP_TIMEOUT_S} s: ${received} of ${loaded} posts arrived`);
  }
}

/**
 * The backlog written straight into A's database (A is running): per channel, in one transaction, what the
 * one-statement post path writes: strictly increasing change stamps taken from the share, the post rows by A's admin,
 * the channel's counters. The sync engine finds them by their stamps as it finds posts made through the API.
 */
async function loadIntoDatabase(a: FederatedCluster, channelIds: string[], perChannel: number[]): Promise<void> {
  if (!a.dataDir) throw new Error('BENCH_CATCHUP_LOAD=db needs an embedded cluster A');
  const db = new Client({ connectionString: new EmbeddedPostgres({ dataDir: a.dataDir }).url });
  await db.connect();
  try {
    for (let c = 0; c < channelIds.length; c++) {
      const n = Math.floor(CATCHUP_POSTS / channelIds.length) + (c < CATCHUP_POSTS % channelIds.length ? 1 : 0);
      if (n === 0) continue;
      const ids = Array.from({ length: n }, () => newId());
      const messages = ids.map((_, k) => `backlog ${k * channelIds.length + c}`);
      await db.query('BEGIN');
      const stamp = await db.query<{ first: string }>(
        `UPDATE shared_channels SET last_change_at = GREATEST(last_change_at + $2, $3::bigint + $2) WHERE channel_id = $1
         RETURNING last_change_at - $2 + 1 AS first`,
        [channelIds[c], n, Date.now()],
      );
      const first = Number(stamp.rows[0].first);
      await db.query(
        `INSERT INTO posts (id, create_at, update_at, user_id, channel_id, message)
         SELECT p.id, $3::bigint + p.k - 1, $3::bigint + p.k - 1, $4, $5, p.message
         FROM unnest($1::varchar[], $2::text[]) WITH ORDINALITY AS p(id, message, k)`,
        [ids, messages, first, a.adminId, channelIds[c]],
      );
      await db.query(
        `UPDATE channels SET total_msg_count = total_msg_count + $2, total_msg_count_root = total_msg_count_root + $2,
           last_post_at = GREATEST(last_post_at, $3), last_root_post_at = GREATEST(last_root_post_at, $3) WHERE id = $1`,
        [channelIds[c], n, first + n - 1],
      );
      await db.query('COMMIT');
      perChannel[c] += n;
    }
  } finally {
    await db.end();
  }
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  out(
    `shared channels benchmark (two embedded clusters on one machine: ${cpus.length} CPUs ${cpus[0]?.model ?? ''}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version})`,
  );
  out(
    `   settings: ${Object.entries(ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}; sync engine defaults otherwise`,
  );
  const fed = await startFederation({ clusters: ['a', 'b'], env: ENV });
  try {
    const { a, b } = fed.clusters;
    if (PARTS.includes(1)) await propagationLatency(a, b);
    if (PARTS.includes(2)) await sustainedReplication(a, b);
    if (PARTS.includes(3)) await catchUp(fed);
    out();
  } finally {
    await fed.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
