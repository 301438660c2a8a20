import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import type { APP_NAMES } from '@fedchat/contracts';
import { freePort, waitFor } from './ports';
import { RunningSuite, startDistributedSuite, startEmbeddedSuite } from './suite';

/**
 * Several clusters connected through their REST API, as admins would connect them: one embedded suite per cluster
 * (or a distributed one), an admin and a team on each, and secure connections in a star around the first cluster.
 * Shared by the federation e2e tests and the benchmarks.
 */

/** Password of every account the harness makes (admins and `createUser`). */
/**
 * Settings that make a test federation react within a second or so (the defaults suit production: pings every
 * minute, offline after five): quick pings, polls and retries for every app, and loopback peers allowed.
 */
export const QUICK_FEDERATION_ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  REMOTE_CLUSTER_PING_INTERVAL_MS: '300',
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '2000',
  SHARED_CHANNELS_POLL_INTERVAL_MS: '200',
  SHARED_CHANNELS_RETRY_MAX_MS: '1000',
  FILE_TRANSFER_POLL_INTERVAL_MS: '500',
  FILE_TRANSFER_RETRY_MAX_MS: '1000',
  USER_SYNC_POLL_INTERVAL_MS: '300',
};

export const FEDERATION_PASSWORD = 'federation-password-1';
const CONNECTION_PASSWORD = 'Connection-S3cret-1!';

type AppName = (typeof APP_NAMES)[number];

// ---------------------------------------------------------------------------------------------------------------
// HTTP

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A failed call (status 400 or more), with what the server answered. */
export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${method} ${path}: ${status} ${typeof body === 'string' ? body : JSON.stringify(body)}`);
  }
}

/** `/api/v4` of one cluster as one user. `request` returns any status; the verbs throw ApiError from 400 up. */
export interface Api {
  readonly url: string;
  readonly token?: string;
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body?: unknown): Promise<T>;
  put<T = unknown>(path: string, body?: unknown): Promise<T>;
  patch<T = unknown>(path: string, body?: unknown): Promise<T>;
  delete<T = unknown>(path: string): Promise<T>;
}

/** `api(cluster)` acts as the cluster's admin, `api(cluster, token)` as that session, `api(url)` anonymously. */
export function api(target: string | { url: string; adminToken?: string }, token?: string): Api {
  const url = typeof target === 'string' ? target : target.url;
  const bearer = token ?? (typeof target === 'string' ? undefined : target.adminToken);
  const request = async <T>(method: string, p: string, body?: unknown): Promise<ApiResponse<T>> => {
    const res = await fetch(`${url}/api/v4${p}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: keep the text.
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  const verb =
    (method: string) =>
    async <T>(p: string, body?: unknown): Promise<T> => {
      const res = await request<T>(method, p, body);
      if (res.status >= 400) throw new ApiError(method, p, res.status, res.body);
      return res.body;
    };
  return {
    url,
    token: bearer,
    request,
    get: verb('GET'),
    post: verb('POST'),
    put: verb('PUT'),
    patch: verb('PATCH'),
    delete: verb('DELETE'),
  };
}

export interface TestUser {
  id: string;
  username: string;
  token: string;
}

/** Logs in with the harness password; the session token comes in the `Token` header. */
export async function login(url: string, username: string, password = FEDERATION_PASSWORD): Promise<TestUser> {
  const res = await api(url).request<{ id: string; username: string }>('POST', '/users/login', { login_id: username, password });
  if (res.status !== 200) throw new ApiError('POST', '/users/login', res.status, res.body);
  return { id: res.body.id, username: res.body.username, token: res.headers.get('token')! };
}

// ---------------------------------------------------------------------------------------------------------------
// Clusters

export interface FederationOptions {
  /** Cluster names; the first is the hub every other cluster connects to. */
  clusters: string[];
  /** Environment of every cluster. */
  env?: Record<string, string>;
  /** Extra environment per cluster (wins over `env`). */
  clusterEnv?: Record<string, Record<string, string>>;
  /** Clusters that run distributed (each app its own process over NATS), with their replicas. */
  distributed?: Record<string, { replicas?: Partial<Record<AppName, number>>; databaseUrl?: string; natsUrl?: string }>;
  /** Direct connections besides the star, e.g. `[['b', 'c']]` (the first invites the second). */
  links?: [string, string][];
  /**
   * The address peers dial for a cluster (its SITE_URL), given the address it listens on (a distributed cluster's
   * first gateway): e.g. a fault proxy in front of it. The harness itself keeps calling the cluster directly.
   */
  siteUrl?: (name: string, url: string) => Promise<string>;
  /**
   * Start the clusters one after another instead of all at once: on a loaded machine, three suites starting together
   * (one of them nine processes) can each miss their readiness deadline.
   */
  oneByOne?: boolean;
  /** How long a new connection may take to show both ends online (default 60 s). */
  connectTimeoutMs?: number;
}

export interface FederatedCluster {
  readonly name: string;
  /** Base URL of the (first) gateway; stays the same across restarts. */
  readonly url: string;
  readonly adminId: string;
  readonly adminToken: string;
  /** The team incoming shared channels land in (the connection default team). */
  readonly teamId: string;
  /** Connection id by the name of the cluster at the other end. */
  readonly remoteIds: Record<string, string>;
  /** DATA_DIR of an embedded cluster (its PostgreSQL is under `postgres/`); undefined for a distributed one. */
  readonly dataDir?: string;
  /** The running suite (a new one after `restart`). */
  readonly suite: RunningSuite;
  readonly running: boolean;
  /** The cluster's API as its admin, or as the session of `token`. */
  api(token?: string): Api;
  /** A user made by the admin (sign-up is closed after the first account), in the cluster's team, logged in. */
  createUser(username: string): Promise<TestUser>;
  /** Stops the cluster; its data stay for `restart`. */
  stop(): Promise<void>;
  /** Starts a stopped embedded cluster again on the same data and address. */
  restart(): Promise<void>;
}

export interface Federation {
  clusters: Record<string, FederatedCluster>;
  /** Connects two clusters (`from` invites, `to` accepts) and waits until both ends see the other online. */
  connect(from: string, to: string): Promise<string>;
  /** Waits until both ends of a connection have a successful ping at or after `since`. */
  waitConnected(x: string, y: string, since?: number, timeoutMs?: number): Promise<void>;
  /** Stops every cluster and removes their data. */
  stop(): Promise<void>;
}

class Cluster implements FederatedCluster {
  adminId = '';
  adminToken = '';
  teamId = '';
  readonly remoteIds: Record<string, string> = {};

  constructor(
    readonly name: string,
    readonly url: string,
    private current: RunningSuite | undefined,
    /** Starts the same instance again (embedded clusters only). */
    private readonly relaunch?: () => Promise<RunningSuite>,
    readonly dataDir?: string,
  ) {}

  get suite(): RunningSuite {
    if (!this.current) throw new Error(`cluster ${this.name} is stopped`);
    return this.current;
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  api(token?: string): Api {
    return api(this.url, token ?? this.adminToken);
  }

  async createUser(username: string): Promise<TestUser> {
    const admin = this.api();
    const user = await admin.post<{ id: string }>('/users', {
      username,
      email: `${username}@${this.name}.example.com`,
      password: FEDERATION_PASSWORD,
    });
    await admin.post(`/teams/${this.teamId}/members`, { team_id: this.teamId, user_id: user.id });
    return login(this.url, username);
  }

  async stop(): Promise<void> {
    const suite = this.current;
    this.current = undefined;
    await suite?.stop();
  }

  async restart(): Promise<void> {
    if (!this.relaunch) throw new Error(`cluster ${this.name} is distributed: restart is only for embedded clusters`);
    if (this.current) await this.stop();
    this.current = await this.relaunch();
  }

  /** First account (system admin by sign-up), its session, and the team shared channels land in. */
  async provision(): Promise<void> {
    const email = `admin@${this.name}.example.com`;
    await api(this.url).post('/users', { username: 'admin', email, password: FEDERATION_PASSWORD });
    const admin = await login(this.url, 'admin');
    this.adminId = admin.id;
    this.adminToken = admin.token;
    const team = await this.api().post<{ id: string }>('/teams', {
      name: `team-${this.name}`,
      display_name: `Team ${this.name}`,
      type: 'O',
    });
    this.teamId = team.id;
  }
}

interface RemoteClusterJson {
  remote_id: string;
  last_ping_at: number;
  site_url: string;
}

/** The body of a 2xx answer of `call`, tried up to `attempts` times 2 s apart while it answers 5xx. */
async function retryOn5xx<T>(what: string, call: () => Promise<ApiResponse<T>>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const res = await call();
    if (res.status < 400) return res.body;
    if (res.status < 500 || attempt === attempts) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

export async function startFederation(options: FederationOptions): Promise<Federation> {
  if (options.clusters.length === 0) throw new Error('startFederation: no clusters');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-federation-'));
  fs.chmodSync(root, 0o755);
  const clusters: Record<string, Cluster> = {};

  const build = async (name: string): Promise<Cluster> => {
    const env = { ...options.env, ...options.clusterEnv?.[name] };
    const distributed = options.distributed?.[name];
    if (distributed) {
      // The distributed suite picks its own ports; its SITE_URL is its first gateway.
      const siteUrl = options.siteUrl;
      const suite = await startDistributedSuite({
        ...distributed,
        env,
        siteUrl: siteUrl ? (gatewayUrl) => siteUrl(name, gatewayUrl) : undefined,
      });
      return new Cluster(name, suite.gateways[0], suite);
    }
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const siteUrl = options.siteUrl ? await options.siteUrl(name, url) : url;
    const fixed = { ...env, PORT: String(port), SITE_URL: siteUrl, DATA_DIR: path.join(root, name) };
    return new Cluster(name, url, await startEmbeddedSuite(fixed), () => startEmbeddedSuite(fixed), fixed.DATA_DIR);
  };

  const waitConnected = async (x: string, y: string, since = 0, timeoutMs = 60_000): Promise<void> => {
    const [cx, cy] = [clusters[x], clusters[y]];
    const id = cx.remoteIds[y];
    await waitFor(
      `connection ${x} <-> ${y} online`,
      async () => {
        const [rx, ry] = await Promise.all([
          cx.api().get<RemoteClusterJson>(`/remotecluster/${id}`),
          cy.api().get<RemoteClusterJson>(`/remotecluster/${id}`),
        ]);
        const fresh = (r: RemoteClusterJson) => r.last_ping_at > 0 && r.last_ping_at >= since;
        return fresh(rx) && fresh(ry) ? true : undefined;
      },
      timeoutMs,
      200,
    );
  };

  const connect = async (from: string, to: string): Promise<string> => {
    const [cf, ct] = [clusters[from], clusters[to]];
    // On a loaded machine a distributed gateway's call to its remote-cluster app can time out (500): an admin would try
    // again. A connection half-made by the failed try stays an unused, never accepted one.
    const created = await retryOn5xx('POST /remotecluster', () =>
      cf.api().request<{ invite: string; remote_cluster: RemoteClusterJson }>('POST', '/remotecluster', {
        name: `peer-${to}`,
        display_name: `Peer ${to.toUpperCase()}`,
        default_team_id: cf.teamId,
        password: CONNECTION_PASSWORD,
      }),
    );
    const accepted = await ct.api().post<RemoteClusterJson>('/remotecluster/accept_invite', {
      name: `peer-${from}`,
      display_name: `Peer ${from.toUpperCase()}`,
      default_team_id: ct.teamId,
      invite: created.invite,
      password: CONNECTION_PASSWORD,
    });
    cf.remoteIds[to] = accepted.remote_id;
    ct.remoteIds[from] = accepted.remote_id;
    // A new connection has no ping before it; `since` (the harness's clock) would wrongly reject a peer whose clock is behind.
    await waitConnected(from, to, 0, options.connectTimeoutMs);
    return accepted.remote_id;
  };

  const stop = async (): Promise<void> => {
    await Promise.all(Object.values(clusters).map((c) => c.stop().catch(() => undefined)));
    fs.rmSync(root, { recursive: true, force: true });
  };

  try {
    const started: PromiseSettledResult<Cluster>[] = [];
    if (options.oneByOne) {
      for (const name of options.clusters) {
        const [one] = await Promise.allSettled([build(name)]);
        started.push(one);
        if (one.status === 'rejected') break;
      }
    } else {
      started.push(...(await Promise.allSettled(options.clusters.map(build))));
    }
    started.forEach((s, i) => {
      if (s.status === 'fulfilled') clusters[options.clusters[i]] = s.value;
    });
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    await Promise.all(Object.values(clusters).map((c) => c.provision()));
    const [hub, ...peers] = options.clusters;
    await Promise.all(peers.map((peer) => connect(hub, peer)));
    for (const [from, to] of options.links ?? []) await connect(from, to);
  } catch (err) {
    // The start's failure is the news; a clean-up that fails after it (e.g. a data dir still being written) must not hide it.
    await stop().catch(() => undefined);
    throw err;
  }
  return { clusters, connect, waitConnected, stop };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading what a cluster shows

/** The post fields the federation tests look at (Mattermost Post JSON). */
export interface PostJson {
  id: string;
  create_at: number;
  update_at: number;
  edit_at: number;
  delete_at: number;
  user_id: string;
  channel_id: string;
  root_id: string;
  message: string;
  type: string;
  props: Record<string, unknown>;
  remote_id?: string;
  metadata?: {
    priority?: { priority?: string; requested_ack?: boolean };
    acknowledgements?: { user_id: string; post_id: string; acknowledged_at: number }[];
    reactions?: { user_id: string; post_id: string; emoji_name: string }[];
  };
}

/** Every live post of a channel, oldest first (create_at, then id), as the channel's pages list them. */
export async function channelPosts(client: Api, channelId: string): Promise<PostJson[]> {
  const all: PostJson[] = [];
  for (let page = 0; ; page++) {
    const list = await client.get<{ order: string[]; posts: Record<string, PostJson> }>(
      `/channels/${channelId}/posts?page=${page}&per_page=200&skipFetchThreads=true`,
    );
    all.push(...list.order.map((id) => list.posts[id]));
    if (list.order.length < 200) break;
  }
  return all.reverse();
}

/** Posts written by people (no system notices), oldest first. */
export async function userPosts(client: Api, channelId: string): Promise<PostJson[]> {
  return (await channelPosts(client, channelId)).filter((p) => p.type === '');
}

// ---------------------------------------------------------------------------------------------------------------
// Websocket

export interface WsEventJson {
  event: string;
  data: Record<string, unknown>;
  broadcast: Record<string, unknown>;
  seq: number;
}

export interface EventStream {
  /** Every event so far (empty when an `onEvent` callback was given: the caller keeps what it needs). */
  events: WsEventJson[];
  /** The first event (already received or still to come) that matches. */
  next(match: (e: WsEventJson) => boolean, what: string, timeoutMs?: number): Promise<WsEventJson>;
  close(): void;
}

/** A raw `/api/v4/websocket` session (Mattermost's authentication challenge), ready once `hello` arrived. */
export async function openEvents(url: string, token: string, onEvent?: (e: WsEventJson, at: number) => void): Promise<EventStream> {
  const events: WsEventJson[] = [];
  let hello = false;
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v4/websocket`);
  ws.on('message', (raw: Buffer) => {
    const at = performance.now();
    const msg = JSON.parse(raw.toString()) as WsEventJson;
    if (!msg.event) return;
    if (msg.event === 'hello') hello = true;
    if (onEvent) onEvent(msg, at);
    else events.push(msg);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  // Later errors end in 'close'; without a listener they would end the process.
  ws.on('error', () => undefined);
  ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token } }));
  await waitFor('websocket hello', async () => (hello ? true : undefined), 10_000, 10);
  return {
    events,
    next: (match, what, timeoutMs = 30_000) => waitFor(what, async () => events.find(match), timeoutMs, 20),
    close: () => ws.close(),
  };
}
