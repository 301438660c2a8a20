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
}

export interface LoadReport {
  clients: number;
  /** Clients connected when the load stopped. */
  connectedAtEnd: number;
  reconnects: number;
  /** Post events received for acknowledged posts, and their delay from the acknowledgement. */
  events: number;
  delayP50Ms?: number;
  delayP99Ms?: number;
  delayMaxMs?: number;
  memory: MemorySample[];
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

function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Processes whose mean RSS over the last third of the samples is over 1.25 times that over the first third. */
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
    const late = mean(samples.slice(-third), key);
    if (early && late && late > early * 1.25) grown.push(`${key} ${mb(early)} -> ${mb(late)}`);
  }
  return grown;
}

export const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

export class Load {
  private readonly sockets = new Set<WebSocket>();
  private readonly connected = new Set<WebSocket>();
  /** When each acknowledged post was acknowledged (ms since the epoch). */
  private readonly acked = new Map<string, number>();
  /** Every post event: which post, when. */
  private readonly arrivals: { postId: string; at: number }[] = [];
  private readonly memory: MemorySample[] = [];
  private reconnects = 0;
  private stopped = false;
  private sampler?: NodeJS.Timeout;
  private readonly started = Date.now();

  private constructor(
    private readonly clients: LoadClient[],
    private readonly clusters: FederatedCluster[],
  ) {}

  /** Connects every client (waiting for its `hello`) and samples memory now and every `sampleMs`. */
  static async start(clients: LoadClient[], clusters: FederatedCluster[], sampleMs = 60_000): Promise<Load> {
    const load = new Load(clients, clusters);
    load.sample();
    // A few at a time: 500 handshakes at once on a loaded machine would time out.
    for (let i = 0; i < clients.length; i += 25) await Promise.all(clients.slice(i, i + 25).map((c) => load.open(c)));
    load.sampler = setInterval(() => load.sample(), sampleMs);
    return load;
  }

  /** The workload's acknowledgement of a new post. */
  acknowledged = (postId: string, at: number): void => {
    this.acked.set(postId, at);
  };

  sample(): void {
    this.memory.push({ at: (Date.now() - this.started) / 1000, rss: sampleMemory(this.clusters) });
  }

  private open(client: LoadClient, attempt = 0): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const ws = new WebSocket(`${client.cluster.url.replace(/^http/, 'ws')}/api/v4/websocket`);
      this.sockets.add(ws);
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      ws.on('open', () => ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token: client.user.token } })));
      ws.on('message', (raw: Buffer) => {
        const at = Date.now();
        let msg: { event?: string; data?: { post?: string } };
        try {
          msg = JSON.parse(raw.toString()) as typeof msg;
        } catch {
          return;
        }
        if (msg.event === 'hello') {
          this.connected.add(ws);
          settle();
        } else if (msg.event === 'posted' && typeof msg.data?.post === 'string') {
          const id = /"id":"([a-z0-9]{26})"/.exec(msg.data.post)?.[1];
          if (id) this.arrivals.push({ postId: id, at });
        }
      });
      ws.on('error', () => undefined);
      ws.on('close', () => {
        this.sockets.delete(ws);
        this.connected.delete(ws);
        settle();
        if (this.stopped) return;
        // The cluster went away (killed, restarting): come back as a client would, after a pause.
        this.reconnects++;
        setTimeout(() => void this.open(client, attempt + 1), Math.min(5000, 500 * (attempt + 1)));
      });
      // A handshake that hangs (a cluster just killed) must not hold up the others.
      setTimeout(settle, 10_000);
    });
  }

  stop(): LoadReport {
    this.stopped = true;
    if (this.sampler) clearInterval(this.sampler);
    this.sample();
    const connectedAtEnd = this.connected.size;
    for (const ws of this.sockets) ws.terminate();
    const delays = this.arrivals
      .filter((a) => this.acked.has(a.postId))
      // An event may come before the HTTP answer reaches the writer: that is no delay.
      .map((a) => Math.max(0, a.at - this.acked.get(a.postId)!))
      .sort((x, y) => x - y);
    return {
      clients: this.clients.length,
      connectedAtEnd,
      reconnects: this.reconnects,
      events: delays.length,
      delayP50Ms: percentile(delays, 50),
      delayP99Ms: percentile(delays, 99),
      delayMaxMs: delays.length ? delays[delays.length - 1] : undefined,
      memory: this.memory,
      growth: memoryGrowth(this.memory),
    };
  }
}
