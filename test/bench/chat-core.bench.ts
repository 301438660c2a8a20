import * as fs from 'node:fs';
import * as http from 'node:http';
import WebSocket from 'ws';
import { postgresProcessesFor, startEmbeddedSuite } from '@fedchat/testing';
import { quantile, recordFigures } from './report';

/**
 * `npm run bench`: the chat core on one embedded instance.
 *  1. throughput: POST /api/v4/posts from CONCURRENCY connections, posts/s and p50/p99 latency;
 *  2. the same, CONCURRENCY clients each posting into a channel of its own (BENCH_CHANNELS channels; 0 skips it);
 *  3. delivery: one post at a time, time from sending POST /posts to the `posted` event on another user's websocket.
 */
const TOTAL_POSTS = Number(process.env.BENCH_POSTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const DELIVERY_SAMPLES = Number(process.env.BENCH_DELIVERY_SAMPLES ?? 300);
const CHANNELS = Number(process.env.BENCH_CHANNELS ?? CONCURRENCY);
/** `fetch` posts through fetch() as before the lean client, to compare the load generator's own cost. */
const CLIENT = process.env.BENCH_CLIENT ?? 'lean';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `p50 ${percentile(s, 50).toFixed(2)} ms, p99 ${percentile(s, 99).toFixed(2)} ms, max ${s[s.length - 1].toFixed(2)} ms`;
}

const TICKS_PER_MS = 100 / 1000; // USER_HZ is 100 on Linux

/**
 * CPU time (ms) used by processes and everything under them, live processes by their own time, ended ones through
 * their parents' `cutime`/`cstime`.
 */
function treeCpuMs(rootPids: number[]): number {
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const parent = Number(fields[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  const pending = [...rootPids];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    total += ticks.get(pid) ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return total / TICKS_PER_MS;
}

/**
 * The server's processes: the embedded process and its PostgreSQL (which pg_ctl detaches, so it is found by its data
 * directory). Their CPU time per post is less sensitive than posts/s to other work sharing the machine, so
 * before/after comparisons on a busy machine read it.
 */
function serverRoots(embeddedPid: number): { node: number[]; postgres: number[] } {
  const environ = fs.readFileSync(`/proc/${embeddedPid}/environ`, 'utf8').split('\0');
  const dataDir = environ.find((v) => v.startsWith('DATA_DIR='))!.slice('DATA_DIR='.length);
  return { node: [embeddedPid], postgres: postgresProcessesFor(dataDir) };
}

function serverCpuMs(server: { node: number[]; postgres: number[] }): { node: number; postgres: number } {
  return { node: treeCpuMs(server.node), postgres: treeCpuMs(server.postgres) };
}

function cpuPerPost(cpu: { node: number; postgres: number }): string {
  return `${(cpu.node + cpu.postgres).toFixed(2)} ms (node ${cpu.node.toFixed(2)}, PostgreSQL ${cpu.postgres.toFixed(2)})`;
}

async function api(
  base: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${base}/api/v4${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/**
 * One throughput client: POST /api/v4/posts on its own keep-alive connection through node:http, with the request's
 * fixed part prebuilt. The load generator shares the two cores with the server, and `fetch` (undici: a Request, a
 * Headers, an AbortSignal and a web stream per call) cost it more CPU per post than the server's own node side spends
 * on some parts of the post, so the measured rate was partly the client's. The requests are the same (method, path,
 * headers, JSON body) and every answer is still checked: status 201, the post's channel and message.
 */
class LeanPoster {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly url: URL;
  private readonly headers: http.OutgoingHttpHeaders;
  private readonly bodyStart: string;

  constructor(
    base: string,
    token: string,
    private readonly channelId: string,
  ) {
    this.url = new URL(`${base}/api/v4/posts`);
    this.headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` };
    this.bodyStart = `{"channel_id":${JSON.stringify(channelId)},"message":`;
  }

  post(message: string): Promise<void> {
    const body = `${this.bodyStart}${JSON.stringify(message)}}`;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path: this.url.pathname,
          method: 'POST',
          agent: this.agent,
          headers: { ...this.headers, 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 201) return reject(new Error(`POST /posts: ${res.statusCode} ${text}`));
            const post = JSON.parse(text) as { channel_id?: string; message?: string };
            if (post.channel_id !== this.channelId || post.message !== message) {
              return reject(new Error(`POST /posts answered another post: ${text}`));
            }
            resolve();
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

async function main(): Promise<void> {
  const suite = await startEmbeddedSuite({ LOG_LEVEL: 'warn' });
  const base = suite.gateways[0];
  const server = serverRoots(suite.processes.get('embedded')!.pid);
  try {
    const password = 'bench-password-1';
    const signUp = async (username: string, by?: string) => {
      const created = await api(base, by, 'POST', '/users', { username, email: `${username}@example.com`, password });
      const login = await api(base, undefined, 'POST', '/users/login', { login_id: username, password });
      return { id: created.json.id as string, token: login.headers.get('token')! };
    };
    const admin = await signUp('admin');
    const alice = await signUp('alice', admin.token);
    const bob = await signUp('bob', admin.token);
    const team = (await api(base, alice.token, 'POST', '/teams', { name: 'bench', display_name: 'Bench', type: 'O' })).json;
    await api(base, alice.token, 'POST', `/teams/${team.id}/members`, { team_id: team.id, user_id: bob.id });
    const channel = (
      await api(base, alice.token, 'POST', '/channels', { team_id: team.id, name: 'bench', display_name: 'Bench', type: 'O' })
    ).json;
    await api(base, alice.token, 'POST', `/channels/${channel.id}/members`, { user_id: bob.id });

    // Bob listens.
    const seen = new Map<string, number>();
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v4/websocket`);
    await new Promise((r) => ws.once('open', r));
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      if (msg.event === 'posted') seen.set(JSON.parse(msg.data.post).id, performance.now());
    });
    ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token: bob.token } }));
    await new Promise((r) => setTimeout(r, 200));

    // Warm-up.
    for (let i = 0; i < 50; i++) await api(base, alice.token, 'POST', '/posts', { channel_id: channel.id, message: `warm-up ${i}` });

    /** TOTAL_POSTS posts from CONCURRENCY clients, client k posting into channelIds[k % channelIds.length]. */
    const throughput = async (channelIds: string[]) => {
      const latencies: number[] = [];
      let next = 0;
      const cpuBefore = serverCpuMs(server);
      const clientCpuBefore = process.cpuUsage();
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, client) => {
          const channelId = channelIds[client % channelIds.length];
          const poster =
            CLIENT === 'fetch'
              ? {
                  post: (message: string) => api(base, alice.token, 'POST', '/posts', { channel_id: channelId, message }),
                  close: () => undefined,
                }
              : new LeanPoster(base, alice.token, channelId);
          while (next < TOTAL_POSTS) {
            const i = next++;
            const t0 = performance.now();
            await poster.post(`throughput post ${i} about federation`);
            latencies.push(performance.now() - t0);
          }
          poster.close();
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const cpuAfter = serverCpuMs(server);
      const clientCpu = process.cpuUsage(clientCpuBefore);
      const cpuMsPerPost = {
        node: (cpuAfter.node - cpuBefore.node) / TOTAL_POSTS,
        postgres: (cpuAfter.postgres - cpuBefore.postgres) / TOTAL_POSTS,
      };
      const clientCpuMsPerPost = (clientCpu.user + clientCpu.system) / 1000 / TOTAL_POSTS;
      return { seconds, latencies, cpuMsPerPost, clientCpuMsPerPost };
    };

    // 1. Throughput, one channel.
    const oneChannel = await throughput([channel.id]);

    // 2. Throughput, a channel per client (bob is a member of each, so every post has a listener to resolve).
    const channelIds: string[] = [];
    for (let c = 0; c < CHANNELS; c++) {
      const made = (
        await api(base, alice.token, 'POST', '/channels', { team_id: team.id, name: `bench-${c}`, display_name: `Bench ${c}`, type: 'O' })
      ).json;
      await api(base, alice.token, 'POST', `/channels/${made.id}/members`, { user_id: bob.id });
      channelIds.push(made.id);
    }
    const manyChannels = CHANNELS > 0 ? await throughput(channelIds) : undefined;

    // 3. Delivery latency, one post at a time.
    const delivery: number[] = [];
    for (let i = 0; i < DELIVERY_SAMPLES; i++) {
      const t0 = performance.now();
      const post = (await api(base, alice.token, 'POST', '/posts', { channel_id: channel.id, message: `delivery ${i}` })).json;
      while (!seen.has(post.id)) await new Promise((r) => setImmediate(r));
      delivery.push(seen.get(post.id)! - t0);
    }
    ws.close();

    process.stdout.write(
      [
        `chat core benchmark (embedded, one process, ${CONCURRENCY} concurrent clients)`,
        `  create post, one channel: ${TOTAL_POSTS} posts in ${oneChannel.seconds.toFixed(2)} s = ${(TOTAL_POSTS / oneChannel.seconds).toFixed(0)} posts/s`,
        `  create post latency, one channel: ${summary(oneChannel.latencies)}`,
        `  server CPU per post, one channel: ${cpuPerPost(oneChannel.cpuMsPerPost)}; load generator ${oneChannel.clientCpuMsPerPost.toFixed(2)} ms`,
        ...(manyChannels
          ? [
              `  create post, ${CHANNELS} channels: ${TOTAL_POSTS} posts in ${manyChannels.seconds.toFixed(2)} s = ${(TOTAL_POSTS / manyChannels.seconds).toFixed(0)} posts/s`,
              `  create post latency, ${CHANNELS} channels: ${summary(manyChannels.latencies)}`,
              `  server CPU per post, ${CHANNELS} channels: ${cpuPerPost(manyChannels.cpuMsPerPost)}; load generator ${manyChannels.clientCpuMsPerPost.toFixed(2)} ms`,
            ]
          : []),
        `  POST /posts -> posted event on another websocket (${DELIVERY_SAMPLES} sequential): ${summary(delivery)}`,
        '',
      ].join('\n'),
    );
    const size = `${TOTAL_POSTS} posts, ${CONCURRENCY} clients`;
    recordFigures('chat-core', {
      'chat core, 16 clients, 1 channel': { value: TOTAL_POSTS / oneChannel.seconds, note: size },
      'chat core, 16 clients, 1 channel, p99': { value: quantile(oneChannel.latencies, 0.99), note: size },
      'chat core, 16 clients, 16 channels': manyChannels && {
        value: TOTAL_POSTS / manyChannels.seconds,
        note: `${size}, ${CHANNELS} channels`,
      },
    });
  } finally {
    await suite.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
