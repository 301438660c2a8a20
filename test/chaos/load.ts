import * as fs from 'node:fs';
import WebSocket from 'ws';
import { FederatedCluster, postgresProcessesFor, TestUser } from '@fedchat/testing';

/**
 * The load held during a run: websocket clients connected across the clusters (reconnecting after a cluster is
 * killed), each post event's delay from the write's acknowledgement, and the memory (RSS) of every process of the
 * suite sampled over the run.
 */

export interface LoadClient {
  cluster: FederatedCluster;
  user: TestUser;
}

export interface MemorySample {
  /** Seconds since the load started. */
  at: number;
  /** Resident memory in bytes by process (`cluster/name`, postgres summed per cluster as `cluster/postgres`). */
  rss: Record<string, number>;
  /** The load's clients by cluster and state (`b connected`, `b waiting`, ...): how they come back after a kill. */
  clients?: Record<string, number>;
}

/**
 * Where a load client is: `connecting` (the upgrade under way), `authenticating` (open, no `hello` yet), `connected`,
 * `waiting` (the pause before its next attempt).
 */
export type ClientState = 'connecting' | 'authenticating' | 'connected' | 'waiting';

export interface LoadReport {
  clients: number;
  /** Clients connected when the load stopped. */
  connectedAtEnd: number;
  /** Every client's state when the load stopped, counted by cluster and state. */
  clientsAtEnd: Record<string, number>;
  reconnects: number;
  /** Post events received for acknowledged posts, and their delay from the acknowledgement. */
  events: number;
  delayP50Ms?: number;
  delayP99Ms?: number;
  delayMaxMs?: number;
  memory: MemorySample[];
  /** CPU seconds (user + system) the run's own process spent while the load ran: the clients' cost to the machine. */
  runnerCpuSeconds: number;
  /** Processes whose RSS grew by more than a quarter from the first to the last third of the samples. */
  growth: string[];
}

/** Resident memory of one process in bytes (0 if it is gone). */
function rssOf(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Pids of the processes whose parent is `pid` (the embedded PostgreSQL of a suite process). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) comes after the command in parentheses, which may itself hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** The DATA_DIR a suite process was started with (its PostgreSQL lives under it), read from its environment. */
function dataDirOf(pid: number): string | undefined {
  try {
    const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return env.find((e) => e.startsWith('DATA_DIR='))?.slice('DATA_DIR='.length);
  } catch {
    return undefined;
  }
}

/**
 * Every process of every running cluster and its RSS; a cluster's embedded PostgreSQL (its postmaster, found by
 * data directory, and the backends under it) as one sum.
 */
export function sampleMemory(clusters: FederatedCluster[]): Record<string, number> {
  const rss: Record<string, number> = {};
  for (const cluster of clusters) {
    if (!cluster.running) continue;
    let postgres = 0;
    for (const [name, proc] of cluster.suite.processes) {
      if (!proc.running) continue;
      rss[`${cluster.name}/${name}`] = rssOf(proc.pid);
      const dataDir = dataDirOf(proc.pid);
      if (!dataDir) continue;
      for (const pid of postgresProcessesFor(dataDir))
        postgres += rssOf(pid) + childrenOf(pid).reduce((sum, child) => sum + rssOf(child), 0);
    }
    if (postgres > 0) rss[`${cluster.name}/postgres`] = postgres;
  }
  return rss;
}

/**
 * Processes whose mean RSS over the last third of the samples is over 1.25 times that over the first third and
 * still rising: over 1.05 times that over the middle third. A process that warms up (caches, prepared statements)
 * and then stays flat is no leak: in the 30-minute run both sync replicas went from 110 to 150 MB in 13 minutes and
 * stayed there for the remaining 18, which the first-against-last comparison alone flagged.
 */
export function memoryGrowth(samples: MemorySample[]): string[] {
  if (samples.length < 3) return [];
  const third = Math.max(1, Math.floor(samples.length / 3));
  const mean = (list: MemorySample[], key: string) => {
    const values = list.map((s) => s.rss[key]).filter((v): v is number => v !== undefined && v > 0);
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
  };
  const keys = new Set(samples.flatMap((s) => Object.keys(s.rss)));
  const grown: string[] = [];
  for (const key of keys) {
    const early = mean(samples.slice(0, third), key);
    const middle = mean(samples.slice(third, samples.length - third), key);
    const late = mean(samples.slice(-third), key);
    if (early && late && late > early * 1.25 && (!middle || late > middle * 1.05))
      grown.push(`${key} ${mb(early)} -> ${middle ? `${mb(middle)} -> ` : ''}${mb(late)}`);
  }
  return grown;
}

export const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/**
 * Delays in a fixed histogram (1 ms buckets up to 10 s, then 100 ms buckets up to 10 min, then one overflow):
 * 500 clients over 30 minutes receive millions of events, which the run must not keep one by one.
 */
export class DelayHistogram {
  private static readonly FINE_MS = 10_000;
  private static readonly COARSE_STEP_MS = 100;
  private static readonly COARSE_BUCKETS = 5_900;
  private readonly counts = new Uint32Array(DelayHistogram.FINE_MS + DelayHistogram.COARSE_BUCKETS + 1);
  count = 0;
  max = 0;

  add(delayMs: number): void {
    const ms = Math.max(0, Math.round(delayMs));
    const bucket =
      ms < DelayHistogram.FINE_MS
        ? ms
        : DelayHistogram.FINE_MS +
          Math.min(DelayHistogram.COARSE_BUCKETS, Math.floor((ms - DelayHistogram.FINE_MS) / DelayHistogram.COARSE_STEP_MS));
    this.counts[bucket]++;
    this.count++;
    this.max = Math.max(this.max, ms);
  }

  /** The smallest delay (at the bucket's lower bound) at or below which `p` percent of the delays lie. */
  percentile(p: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = Math.min(this.count - 1, Math.floor((p / 100) * this.count));
    let seen = 0;
    for (let bucket = 0; bucket < this.counts.length; bucket++) {
      seen += this.counts[bucket];
      if (seen > rank)
        return bucket < DelayHistogram.FINE_MS
          ? bucket
          : DelayHistogram.FINE_MS + (bucket - DelayHistogram.FINE_MS) * DelayHistogram.COARSE_STEP_MS;
    }
    return this.max;
  }
}

/** First reconnection pause, and the cap of the doubling pauses after it. */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_CAP_MS = 15_000;

/**
 * The pause before reconnection attempt `attempt` (0 for the first after a close): a random point of a window that
 * doubles per failed attempt up to a cap ("full jitter"), so the clients of a restarted cluster come back spread
 * over the window instead of all in the same second.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const window = Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.floor(RECONNECT_BASE_MS / 2 + random() * window);
}

/**
 * How long a connection attempt may wait for the server's upgrade answer. Long on purpose: a client that gives up
 * after a few seconds and dials again leaves its dead connection in the server's accept queue, where a server short
 * of CPU (a restarted cluster catching up on a loaded machine) still has to accept and answer it, ahead of the
 * attempts that are still wanted; 250 clients doing that kept a restarted cluster's queue full for minutes.
 * Browsers give the handshake as long as TCP does.
 */
export const HANDSHAKE_TIMEOUT_MS = 120_000;
/** How long `start` waits for one wave's clients before connecting the next. */
const WAVE_WAIT_MS = 10_000;

/** Clients connected per wave at the start; the next wave waits for this one's `hello`s. */
export const CONNECT_WAVE = 25;
/** Pause between two waves, so the clusters serve the writes' first requests meanwhile. */
export const CONNECT_WAVE_PAUSE_MS = 200;

const POSTED_MARK = Buffer.from('"event":"posted"');
const HELLO_MARK = Buffer.from('"event":"hello"');

/**
 * The post id of a `posted` event frame, or undefined for any other frame. Reads the raw bytes instead of parsing
 * every frame: the clients share the machine's cores with the clusters they measure. The post is a JSON string
 * inside `data`, so its quotes are escaped there.
 */
export function postedPostId(frame: Buffer): string | undefined {
  if (frame.indexOf(POSTED_MARK) < 0) return undefined;
  const at = frame.indexOf('\\"id\\":\\"');
  if (at < 0) return undefined;
  const id = frame.toString('latin1', at + 9, at + 35);
  return /^[a-z0-9]{26}$/.test(id) ? id : undefined;
}

export class Load {
  private readonly sockets = new Set<WebSocket>();
  private readonly connected = new Set<WebSocket>();
  /** By the client's index: the run gives several clients the same user, so the client objects repeat. */
  private readonly states: ClientState[] = [];
  /** When each acknowledged post was acknowledged (ms since the epoch). */
  private readonly acked = new Map<string, number>();
  /** Events of posts not acknowledged (yet): how many came. Those that are acknowledged later came first: delay 0. */
  private readonly early = new Map<string, number>();
  private readonly delays = new DelayHistogram();
  private readonly memory: MemorySample[] = [];
  private reconnects = 0;
  private stopped = false;
  private sampler?: NodeJS.Timeout;
  private readonly started = Date.now();
  private readonly cpuAtStart = process.cpuUsage();

  private constructor(
    private readonly clients: LoadClient[],
    private readonly clusters: FederatedCluster[],
    private readonly handshakeTimeoutMs: number,
  ) {}

  /** Connects every client (in waves, waiting for each wave's `hello`s) and samples memory now and every `sampleMs`. */
  static async start(
    clients: LoadClient[],
    clusters: FederatedCluster[],
    sampleMs = 60_000,
    handshakeTimeoutMs = HANDSHAKE_TIMEOUT_MS,
  ): Promise<Load> {
    const load = new Load(clients, clusters, handshakeTimeoutMs);
    load.sample();
    // 500 handshakes at once on a loaded machine would time out, and each costs the cluster a session lookup.
    for (let i = 0; i < clients.length; i += CONNECT_WAVE) {
      if (i > 0) await new Promise((r) => setTimeout(r, CONNECT_WAVE_PAUSE_MS));
      await Promise.all(clients.slice(i, i + CONNECT_WAVE).map((_, j) => load.open(i + j)));
    }
    load.sampler = setInterval(() => load.sample(), sampleMs);
    return load;
  }

  /** The workload's acknowledgement of a new post. */
  acknowledged = (postId: string, at: number): void => {
    this.acked.set(postId, at);
    const early = this.early.get(postId);
    if (early === undefined) return;
    this.early.delete(postId);
    for (let i = 0; i < early; i++) this.delays.add(0);
  };

  /** A `posted` event of `postId` that arrived at `at`. */
  arrived(postId: string, at: number): void {
    const acked = this.acked.get(postId);
    // An event may come before the HTTP answer reaches the writer: that is no delay.
    if (acked !== undefined) this.delays.add(Math.max(0, at - acked));
    else this.early.set(postId, (this.early.get(postId) ?? 0) + 1);
  }

  sample(): void {
    const rss = sampleMemory(this.clusters);
    // The run itself (workload, checker and these clients) shares the machine with the clusters.
    rss['runner'] = process.memoryUsage.rss();
    this.memory.push({ at: (Date.now() - this.started) / 1000, rss, clients: this.clientStates() });
  }

  /** The clients counted by cluster and state, as `b connected`. */
  clientStates(): Record<string, number> {
    const counts: Record<string, number> = {};
    this.states.forEach((state, index) => {
      const key = `${this.clients[index].cluster.name} ${state}`;
      counts[key] = (counts[key] ?? 0) + 1;
    });
    return counts;
  }

  /**
   * Connects one client; resolves at its `hello`, its close, or after 10 s (a handshake that hangs on a cluster just
   * killed must not hold up the others). `attempt` counts the failed attempts since the client last had a `hello`.
   */
  private open(index: number, attempt = 0): Promise<void> {
    const client = this.clients[index];
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      // No compression and no UTF-8 check of frames: both cost CPU the clusters under test need more.
      const ws = new WebSocket(`${client.cluster.url.replace(/^http/, 'ws')}/api/v4/websocket`, {
        perMessageDeflate: false,
        skipUTF8Validation: true,
        handshakeTimeout: this.handshakeTimeoutMs,
      });
      this.sockets.add(ws);
      this.states[index] = 'connecting';
      let greeted = false;
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      const handshake = setTimeout(settle, WAVE_WAIT_MS);
      ws.on('open', () => {
        this.states[index] = 'authenticating';
        ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token: client.user.token } }));
      });
      ws.on('message', (frame: Buffer) => {
        if (!greeted) {
          if (frame.indexOf(HELLO_MARK) < 0) return;
          greeted = true;
          this.connected.add(ws);
          this.states[index] = 'connected';
          settle();
          return;
        }
        const postId = postedPostId(frame);
        if (postId) this.arrived(postId, Date.now());
      });
      ws.on('error', () => undefined);
      ws.on('close', () => {
        clearTimeout(handshake);
        this.sockets.delete(ws);
        this.connected.delete(ws);
        settle();
        if (this.stopped) return;
        // The cluster went away (killed, restarting): come back as a client would, after a pause that grows while
        // the cluster stays away and is spread at random so the clients of a restarted cluster do not all come at once.
        this.reconnects++;
        this.states[index] = 'waiting';
        const next = greeted ? 0 : attempt + 1;
        setTimeout(() => void this.open(index, next), reconnectDelay(next));
      });
    });
  }

  stop(): LoadReport {
    this.stopped = true;
    if (this.sampler) clearInterval(this.sampler);
    this.sample();
    const connectedAtEnd = this.connected.size;
    const clientsAtEnd = this.clientStates();
    for (const ws of this.sockets) ws.terminate();
    return {
      clients: this.clients.length,
      connectedAtEnd,
      clientsAtEnd,
      reconnects: this.reconnects,
      events: this.delays.count,
      delayP50Ms: this.delays.percentile(50),
      delayP99Ms: this.delays.percentile(99),
      delayMaxMs: this.delays.count ? this.delays.max : undefined,
      memory: this.memory,
      runnerCpuSeconds: (() => {
        const cpu = process.cpuUsage(this.cpuAtStart);
        return (cpu.user + cpu.system) / 1e6;
      })(),
      growth: memoryGrowth(this.memory),
    };
  }
}
