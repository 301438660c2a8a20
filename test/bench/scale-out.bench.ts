import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { EmbeddedPostgres } from '@fedchat/common';
import { dataSourceOptions, runMigrations } from '@fedchat/models';
import {
  channelPosts,
  createTemplateDatabase,
  FederatedCluster,
  openEvents,
  postgresProcessesFor,
  startFederation,
  TEST_PG_URL_ENV,
  waitFor,
} from '@fedchat/testing';
import { sharedChannels } from './channels';
import { FigureName, recordFigures } from './report';

/**
 * `npm run bench` (scale-out): the catch-up of the shared-channels bench (part 3) with A in distributed mode (each
 * app its own process over NATS and one PostgreSQL) and 1, 2 and 4 shared-channel-sync replicas on A; B is embedded.
 * With B stopped, A gets a backlog of POSTS posts over CHANNELS shared channels through its API; B restarts and the
 * time until B holds every post is measured. Then, per channel, B must hold exactly A's posts in A's order (nothing
 * lost, nothing twice), and the `posted` events B's websocket saw must have come in A's order. The CPU each process
 * used during the catch-up is printed, to show where the work goes (docs/benchmarks.md, "Scale-out").
 */
const POSTS = Number(process.env.BENCH_SCALE_POSTS ?? 10_000);
const CHANNELS = Number(process.env.BENCH_SCALE_CHANNELS ?? 20);
const REPLICAS = (process.env.BENCH_SCALE_REPLICAS ?? '1,2,4').split(',').map((s) => Number(s.trim()));
const LOAD_CONCURRENCY = Number(process.env.BENCH_LOAD_CONCURRENCY ?? 16);
const TIMEOUT_S = Number(process.env.BENCH_SCALE_TIMEOUT_S ?? 900);

const ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  REMOTE_CLUSTER_PING_INTERVAL_MS: '1000',
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '5000',
  // Retries of the pairs after the outage at most a second apart, so their backoff does not decide the figure.
  SHARED_CHANNELS_RETRY_MAX_MS: '1000',
  // Engine settings given to the bench reach both clusters, as in the shared-channels bench.
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('SHARED_CHANNELS_'))),
} as Record<string, string>;

const out = (line = '') => process.stdout.write(`${line}\n`);
const CLOCK_TICKS = 100; // USER_HZ: /proc/<pid>/stat times are in 1/100 s on Linux

/** CPU seconds (user + system, children reaped included) of each process by pid, for the whole machine. */
function cpuTable(): Map<number, { ppid: number; seconds: number; comm: string }> {
  const table = new Map<number, { ppid: number; seconds: number; comm: string }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat
        .slice(close + 2)
        .split(' ')
        .map(Number);
      // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
      table.set(Number(entry), { ppid: f[1], seconds: (f[11] + f[12] + f[13] + f[14]) / CLOCK_TICKS, comm });
    } catch {
      // ended while we looked
    }
  }
  return table;
}

/** CPU seconds of `root` and all its descendants. */
function treeSeconds(table: ReturnType<typeof cpuTable>, root: number): number {
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += table.get(pid)?.seconds ?? 0;
    for (const [child, p] of table) if (p.ppid === pid) stack.push(child);
  }
  return total;
}

/** The process groups whose CPU is reported: each of A's app processes, A's nats-server, B, both PostgreSQLs. */
function processGroups(a: FederatedCluster, b: FederatedCluster, pgDataDir: string): Map<string, number> {
  const groups = new Map<string, number>();
  for (const [name, proc] of a.suite.processes) groups.set(`A ${name}`, proc.pid);
  const table = cpuTable();
  for (const [pid, p] of table) if (p.ppid === process.pid && p.comm === 'nats-server') groups.set('A nats-server', pid);
  const [aPg] = postgresProcessesFor(pgDataDir);
  if (aPg) groups.set('A PostgreSQL', aPg);
  const bPid = b.suite.processes.get('embedded')!.pid;
  groups.set('B embedded', bPid);
  const bDataDir = /(?:^|\0)DATA_DIR=([^\0]*)/.exec(fs.readFileSync(`/proc/${bPid}/environ`, 'utf8'))?.[1];
  const [bPg] = bDataDir ? postgresProcessesFor(bDataDir) : [];
  if (bPg) groups.set('B PostgreSQL', bPg);
  return groups;
}

function cpuOf(groups: Map<string, number>): Map<string, number> {
  const table = cpuTable();
  return new Map([...groups].map(([name, pid]) => [name, treeSeconds(table, pid)]));
}

async function counts(b: FederatedCluster, channelIds: string[]): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < channelIds.length; i += 20) {
    const got = await Promise.all(channelIds.slice(i, i + 20).map((id) => b.api().get<{ total_msg_count: number }>(`/channels/${id}`)));
    result.push(...got.map((c) => c.total_msg_count));
  }
  return result;
}

interface RunResult {
  replicas: number;
  loaded: number;
  seconds: number;
  violations: string[];
  cpu: Map<string, number>;
}

async function run(replicas: number, pgDataDir: string): Promise<RunResult> {
  const fed = await startFederation({
    clusters: ['a', 'b'],
    env: ENV,
    distributed: { a: { replicas: { 'shared-channel-sync': replicas } } },
  });
  try {
    const { a, b } = fed.clusters;
    const channelIds = await sharedChannels(a, b, 'scale', CHANNELS);
    const before = await counts(b, channelIds);
    await b.stop();

    // The backlog, through A's API (its one gateway), spread evenly over the channels.
    const poster = a.api();
    let next = 0;
    let loaded = 0;
    const perChannel = new Array<number>(channelIds.length).fill(0);
    await Promise.all(
      Array.from({ length: LOAD_CONCURRENCY }, async () => {
        while (next < POSTS) {
          const i = next++;
          const c = i % channelIds.length;
          await poster.post('/posts', { channel_id: channelIds[c], message: `backlog ${i}` });
          perChannel[c]++;
          loaded++;
        }
      }),
    );
    const target = before.map((n, i) => n + perChannel[i]);

    await b.restart();
    const ready = performance.now();
    const groups = processGroups(a, b, pgDataDir);
    const cpuBefore = cpuOf(groups);
    // Arrival order on B: the posts each channel's `posted` events brought, in the order they came.
    const wanted = new Set(channelIds);
    const arrivals = new Map<string, string[]>(channelIds.map((id) => [id, []]));
    const events = await openEvents(b.url, b.adminToken, (e) => {
      if (e.event !== 'posted') return;
      const post = JSON.parse(String(e.data.post)) as { id: string; channel_id: string };
      if (wanted.has(post.channel_id)) arrivals.get(post.channel_id)!.push(post.id);
    });
    const done = await waitFor(
      'B to catch up',
      async () => ((await counts(b, channelIds)).every((n, i) => n >= target[i]) ? performance.now() : undefined),
      TIMEOUT_S * 1000,
      250,
    );
    const cpuAfter = cpuOf(groups);
    events.close();

    const violations: string[] = [];
    for (const id of channelIds) {
      const onA = (await channelPosts(a.api(), id)).filter((p) => p.message.startsWith('backlog ')).map((p) => p.id);
      const onB = (await channelPosts(b.api(), id)).filter((p) => p.message.startsWith('backlog ')).map((p) => p.id);
      const rank = new Map(onA.map((postId, i) => [postId, i]));
      if (new Set(onB).size !== onB.length) violations.push(`channel ${id}: a post twice on B`);
      if (onB.length !== onA.length) violations.push(`channel ${id}: ${onA.length} posts on A, ${onB.length} on B`);
      else if (onB.some((postId, i) => postId !== onA[i]))
        violations.push(`channel ${id}: B's posts differ from A's or are in another order`);
      // Events seen after the websocket opened must follow A's order (a later event never for an earlier post).
      const seen = arrivals.get(id)!.filter((postId) => rank.has(postId));
      if (seen.some((postId, i) => i > 0 && rank.get(postId)! < rank.get(seen[i - 1])!)) {
        violations.push(`channel ${id}: B's websocket saw posts out of A's order`);
      }
    }
    const cpu = new Map([...cpuAfter].map(([name, s]) => [name, s - (cpuBefore.get(name) ?? 0)]));
    return { replicas, loaded, seconds: (done - ready) / 1000, violations, cpu };
  } finally {
    await fed.stop();
  }
}

/** A PostgreSQL for the distributed clusters, with a migrated template (as the e2e tests' global setup makes it). */
async function startPostgres(root: string): Promise<EmbeddedPostgres> {
  const pg = new EmbeddedPostgres({ dataDir: root, database: 'postgres' });
  const adminUrl = await pg.start();
  process.env[TEST_PG_URL_ENV] = adminUrl;
  await createTemplateDatabase(adminUrl, async (url) => {
    const dataSource = await new DataSource(dataSourceOptions(url, { poolSize: 2, applicationName: 'bench-template' })).initialize();
    try {
      await runMigrations(dataSource);
    } finally {
      await dataSource.destroy();
    }
  });
  return pg;
}

async function main(): Promise<void> {
  out(
    `scale-out benchmark: catch-up of ${POSTS} posts in ${CHANNELS} shared channels, A distributed (NATS) with ` +
      `${REPLICAS.join(', ')} shared-channel-sync replicas, B embedded (${os.cpus().length} CPUs, load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')})`,
  );
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-bench-scale-'));
  fs.chmodSync(root, 0o755);
  const pg = await startPostgres(root);
  // Interrupted (the report module's signal handler exits): the postmaster is told to stop rather than left running.
  process.once('exit', () => pg.stopSync());
  const results: RunResult[] = [];
  try {
    for (const replicas of REPLICAS) {
      const r = await run(replicas, root);
      results.push(r);
      out(
        `   ${replicas} sync replica${replicas === 1 ? '' : 's'}: B held all ${r.loaded} posts ${r.seconds.toFixed(1)} s after it was ready ` +
          `= ${(r.loaded / r.seconds).toFixed(0)} posts/s; ${r.violations.length === 0 ? "no loss, no duplicates, A's order" : 'VIOLATIONS'}`,
      );
      for (const v of r.violations.slice(0, 10)) out(`     ${v}`);
      const total = [...r.cpu.values()].reduce((x, y) => x + y, 0);
      out(
        `     CPU during the catch-up (s; ${(total / r.seconds).toFixed(2)} cores busy on average): ` +
          [...r.cpu]
            .sort((x, y) => y[1] - x[1])
            .map(([name, s]) => `${name} ${s.toFixed(1)}`)
            .join(', '),
      );
      if (r.violations.length === 0 && [1, 2, 4].includes(replicas)) {
        const name = `scale-out catch-up, ${replicas} sync replica${replicas === 1 ? '' : 's'}` as FigureName;
        recordFigures('scale-out', {
          [name]: { value: r.seconds, floorValue: r.loaded / r.seconds, note: `${r.loaded} posts, ${CHANNELS} channels` },
        });
      }
    }
    out();
  } finally {
    await pg.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
  if (results.some((r) => r.violations.length > 0)) {
    process.stderr.write("scale-out: B does not hold exactly A's posts in A's order\n");
    process.exit(1);
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
