import * as fs from 'node:fs';
import * as path from 'node:path';
import { EmbeddedPostgres, isAlive, readPid } from '@fedchat/common';
import { FaultProxy, FederatedCluster, freePort, REPO_ROOT, startNats, TestNats, waitFor } from '@fedchat/testing';
import { NoticeCounter } from './notices';
import { Prng } from './prng';

/**
 * The faults of a chaos run: what each kind does, to which target, for how long, all chosen from the run's seed.
 * Cluster `a` (the hub) may run distributed (every app its own process over a nats-server and a PostgreSQL owned by
 * the run, so those can be killed too); `b` and `c` run embedded.
 */

export type FaultKind =
  | 'kill'
  | 'kill-process'
  | 'kill-nats'
  | 'pg-restart'
  | 'kill-postmaster'
  | 'partition'
  | 'latency'
  | 'bandwidth'
  | 'reset'
  | 'truncate'
  | 'http-error'
  | 'skew'
  | 'clock-step';

export const FAULT_KINDS: FaultKind[] = [
  'kill',
  'kill-process',
  'kill-nats',
  'pg-restart',
  'kill-postmaster',
  'partition',
  'latency',
  'bandwidth',
  'reset',
  'truncate',
  'http-error',
  'skew',
  'clock-step',
];

/** Kinds that hit the distributed hub's own processes and servers. */
export const DISTRIBUTED_FAULT_KINDS: FaultKind[] = ['kill-process', 'kill-nats', 'pg-restart'];

export interface FaultRecord {
  at: number;
  kind: FaultKind;
  target: string;
  detail: string;
  /** A fault whose expected effect did not show (e.g. no "sync interrupted" notice): reported as a violation. */
  problem?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The nats-server and PostgreSQL of the distributed hub, owned by the run so that faults can kill and restart them. */
export class HubServers {
  private constructor(
    readonly postgres: EmbeddedPostgres,
    readonly databaseUrl: string,
    private nats: TestNats,
    private readonly natsPort: number,
  ) {}

  static async start(dir: string): Promise<HubServers> {
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o755);
    const postgres = new EmbeddedPostgres({ dataDir: dir, database: 'fedchat' });
    const databaseUrl = await postgres.start();
    const natsPort = await freePort();
    return new HubServers(postgres, databaseUrl, await startNats({ port: natsPort }), natsPort);
  }

  get natsUrl(): string {
    return this.nats.url;
  }

  async killNats(): Promise<void> {
    await this.nats.kill();
  }

  /** Same port: the apps' clients reconnect to the address they know. */
  async startNats(): Promise<void> {
    this.nats = await startNats({ port: this.natsPort });
  }

  postmasterPid(): number | undefined {
    return readPid(path.join(this.postgres.pgDataDir, 'postmaster.pid'));
  }

  async stop(): Promise<void> {
    await this.nats.stop();
    await this.postgres.stop();
  }
}

/** Everything a fault may hit. */
export interface FaultContext {
  clusters: FederatedCluster[];
  /** The embedded clusters a `kill` or `kill-postmaster` may hit (never the hub). */
  peers: FederatedCluster[];
  hub: FederatedCluster;
  /** Set when the hub runs distributed. */
  hubServers?: HubServers;
  proxies: Map<string, FaultProxy>;
  channelIds: string[];
  /** The "sync interrupted" threshold the clusters run with; a partition lasts longer. */
  interruptedAfterMs: number;
  /** When the workload stops writing (ms since the epoch): a partition after that has nothing to interrupt. */
  writesUntil: number;
  /** Multiplies how long network faults last (the CI profile shortens them). */
  durationScale: number;
  log: (line: string) => void;
  /** Keeps the output of a process that is about to be replaced. */
  keepLog: (cluster: FederatedCluster) => void;
  /** Per cluster, the file its processes re-read their clock step from (test/chaos/clock-skew.cjs). */
  clockFiles: Map<string, string>;
}

/** The clock offset of a `skew` fault: a peer (embedded, so a preload can shift its clock) and minutes ahead or behind. */
export function chooseSkew(prng: Prng, peers: string[]): { target: string; offsetMs: number } {
  const target = prng.pick(peers);
  const offsetMs = Math.round(prng.between(60_000, 300_000)) * (prng.next() < 0.5 ? -1 : 1);
  return { target, offsetMs };
}

/**
 * Environment that runs a cluster's processes with their clock shifted (test/chaos/clock-skew.cjs): by `offsetMs`
 * for the whole run, plus what `stepFile` says at each moment.
 */
export function skewEnv(offsetMs: number, stepFile?: string): Record<string, string> {
  return {
    NODE_OPTIONS: `--require ${path.join(REPO_ROOT, 'test', 'chaos', 'clock-skew.cjs')}`,
    CHAOS_CLOCK_OFFSET_MS: String(offsetMs),
    ...(stepFile ? { CHAOS_CLOCK_OFFSET_FILE: stepFile } : {}),
  };
}

/** Applies one fault (its target chosen from `prng`), waits its duration, and undoes it; returns what was done. */
export async function inject(kind: FaultKind, ctx: FaultContext, prng: Prng, at: number): Promise<FaultRecord> {
  const record = (target: string, detail: string, problem?: string): FaultRecord => ({ at, kind, target, detail, problem });
  const announce = (target: string, what: string) => ctx.log(`chaos: +${at.toFixed(1)} s ${kind} ${target}: ${what}`);
  const scaled = (min: number, max: number) => Math.round(prng.between(min, max) * ctx.durationScale);

  if (kind === 'kill') {
    const target = prng.pick(ctx.peers);
    const downMs = Math.round(prng.between(1000, 6000));
    announce(target.name, `SIGKILL, restart after ${downMs} ms`);
    await target.suite.processes.get('embedded')!.stop('SIGKILL');
    ctx.keepLog(target);
    await sleep(downMs);
    const t = Date.now();
    await target.restart();
    return record(target.name, `SIGKILL, restart after ${downMs} ms, up again in ${seconds(t)} s`);
  }

  if (kind === 'kill-process') {
    const names = [...ctx.hub.suite.processes.keys()].sort();
    const name = prng.pick(names);
    const downMs = Math.round(prng.between(1000, 6000));
    announce(ctx.hub.name, `SIGKILL of ${name}, restart after ${downMs} ms`);
    await ctx.hub.suite.processes.get(name)!.stop('SIGKILL');
    ctx.keepLog(ctx.hub);
    await sleep(downMs);
    const t = Date.now();
    await ctx.hub.suite.restartProcess!(name);
    return record(ctx.hub.name, `SIGKILL of ${name}, restart after ${downMs} ms, up again in ${seconds(t)} s`);
  }

  if (kind === 'kill-nats') {
    const servers = ctx.hubServers!;
    const downMs = Math.round(prng.between(1000, 6000));
    announce(ctx.hub.name, `SIGKILL of nats-server, restart after ${downMs} ms`);
    await servers.killNats();
    await sleep(downMs);
    const t = Date.now();
    await servers.startNats();
    const ready = await waitHubReady(ctx.hub, 60_000);
    return record(
      ctx.hub.name,
      `SIGKILL of nats-server, restart after ${downMs} ms, every process ready again in ${seconds(t)} s`,
      ready ? undefined : 'some process not ready 60 s after nats-server came back',
    );
  }

  if (kind === 'pg-restart') {
    const servers = ctx.hubServers!;
    const mode = prng.pick(['fast', 'immediate'] as const);
    const downMs = Math.round(prng.between(1000, 6000));
    announce(ctx.hub.name, `PostgreSQL ${mode} shutdown, start after ${downMs} ms`);
    const pid = servers.postmasterPid();
    // SIGINT is PostgreSQL's fast shutdown (sessions ended, data flushed); SIGQUIT the immediate one (no flush: WAL
    // replay at the next start), as `pg_ctl stop -m fast|immediate` send them.
    if (pid !== undefined) process.kill(pid, mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    await waitFor('PostgreSQL of the hub stopped', async () => (pid === undefined || !isAlive(pid) ? true : undefined), 60_000, 50);
    await sleep(downMs);
    const t = Date.now();
    await servers.postgres.start();
    const ready = await waitHubReady(ctx.hub, 60_000);
    return record(
      ctx.hub.name,
      `PostgreSQL ${mode} shutdown, start after ${downMs} ms, every process ready again in ${seconds(t)} s`,
      ready ? undefined : 'some process not ready 60 s after PostgreSQL came back',
    );
  }

  if (kind === 'kill-postmaster') {
    const target = prng.pick(ctx.peers);
    const proc = target.suite.processes.get('embedded')!;
    const pid = readPid(path.join(target.dataDir!, 'postgres', 'postmaster.pid'));
    announce(target.name, `SIGKILL of its PostgreSQL postmaster ${pid}`);
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    // The embedded process must notice and exit (docs/reliability.md), for its supervisor (here: the run) to restart it.
    const t = Date.now();
    const exited = await Promise.race([proc.waitForExit(), sleep(30_000).then(() => undefined)]);
    const noticed = exited ? `exited (code ${exited.code}) after ${seconds(t)} s` : 'still running 30 s later: killed';
    if (!exited) await proc.stop('SIGKILL');
    ctx.keepLog(target);
    const r = Date.now();
    await target.restart();
    return record(
      target.name,
      `SIGKILL of the postmaster; the process ${noticed}; up again in ${seconds(r)} s`,
      exited ? undefined : 'the embedded process did not notice that its PostgreSQL died',
    );
  }

  if (kind === 'partition') {
    const target = prng.pick(ctx.clusters);
    const mode = prng.pick(['refuse', 'hold'] as const);
    // Longer than the interruption threshold, so that the senders post "interrupted" and then "resumed" notices.
    const ms = ctx.interruptedAfterMs + Math.round(prng.between(3000, 8000));
    const senders = ctx.clusters.filter((c) => c !== target && (c === ctx.hub || target === ctx.hub));
    const notices = new NoticeCounter(
      senders.map((s) => s.api()),
      ctx.channelIds,
    );
    const before = await notices.count();
    announce(target.name, `partition (${mode}) of what its peers send it, ${ms} ms`);
    const proxy = ctx.proxies.get(target.name)!;
    proxy.set({ partition: mode });
    const cutAt = Date.now();
    // Only a refused partition while the users write is sure to interrupt a delivery: a held one fails a delivery
    // only once the sender's request times out, and without writes there is nothing to deliver.
    const mustInterrupt = mode === 'refuse' && cutAt + ms < ctx.writesUntil;
    await sleep(ms);
    // A sender's interruption counts from its first failed delivery, which a sender starved of CPU makes seconds into
    // the cut: such a partition is held on (up to a minute more) until a sender announces it, so that the check below
    // judges the suite's rule rather than the sender's pace.
    if (mustInterrupt) {
      const holdUntil = Date.now() + 60_000;
      while ((await notices.count()).interrupted === before.interrupted && Date.now() < holdUntil) await sleep(1000);
    }
    proxy.heal();
    const held = Date.now() - cutAt;
    // The catch-up ends with a "resumed" notice for every "interrupted" one.
    let after = await notices.count();
    const deadline = Date.now() + 30_000;
    while (
      (after.interrupted === before.interrupted || after.resumed - before.resumed < after.interrupted - before.interrupted) &&
      Date.now() < deadline
    ) {
      await sleep(1000);
      after = await notices.count();
    }
    const interrupted = after.interrupted - before.interrupted;
    const resumed = after.resumed - before.resumed;
    const detail = `partition (${mode}) of what its peers send it, ${held} ms; notices on ${senders.map((s) => s.name).join(',')}: interrupted ${interrupted}, resumed ${resumed}`;
    const problem =
      interrupted === 0 && !mustInterrupt
        ? undefined
        : interrupted === 0
          ? `no "sync interrupted" notice after a ${held} ms partition`
          : resumed < interrupted
            ? `${interrupted - resumed} "sync interrupted" notices without a "resumed" one 30 s after the partition`
            : undefined;
    return record(target.name, detail, problem);
  }

  if (kind === 'clock-step') {
    // A step, not a drift: the clock of every process of one cluster jumps 1-5 min back or ahead and stays there, as
    // NTP correcting a clock or a VM restored from a snapshot does. Whatever is written after it must still arrive.
    const target = prng.pick(ctx.clusters);
    const file = ctx.clockFiles.get(target.name)!;
    const stepMs = Math.round(prng.between(60_000, 300_000)) * (prng.next() < 0.5 ? -1 : 1);
    const previous = Number(fs.readFileSync(file, 'utf8').trim() || 0);
    const detail = `clock stepped ${stepMs > 0 ? 'ahead' : 'back'} ${(Math.abs(stepMs) / 60_000).toFixed(1)} min, for the rest of the run`;
    announce(target.name, detail);
    fs.writeFileSync(file, String(previous + stepMs));
    // The processes re-read the file every 100 ms.
    await sleep(500);
    return record(target.name, detail);
  }

  // The network faults below hit what one cluster's peers send it, for a few seconds.
  const target = prng.pick(ctx.clusters);
  const proxy = ctx.proxies.get(target.name)!;
  const ms = scaled(3000, 10_000);
  let detail: string;
  if (kind === 'latency') {
    const latencyMs = Math.round(prng.between(50, 400));
    const jitterMs = Math.round(prng.between(0, 200));
    detail = `latency ${latencyMs} ms + jitter ${jitterMs} ms, ${ms} ms`;
    announce(target.name, detail);
    proxy.set({ latencyMs, jitterMs });
    await sleep(ms);
  } else if (kind === 'bandwidth') {
    const bytesPerSecond = Math.round(prng.between(2_000, 50_000));
    detail = `bandwidth ${bytesPerSecond} B/s per direction and connection, ${ms} ms`;
    announce(target.name, detail);
    proxy.set({ bytesPerSecond });
    await sleep(ms);
  } else if (kind === 'reset') {
    const resetProbability = Number(prng.between(0.05, 0.4).toFixed(2));
    const resets = proxy.stats.resets;
    announce(target.name, `connection resets p=${resetProbability}, ${ms} ms`);
    proxy.set({ resetProbability });
    await sleep(ms);
    detail = `connection resets p=${resetProbability}, ${ms} ms (${proxy.stats.resets - resets} resets)`;
  } else if (kind === 'truncate') {
    const truncateProbability = Number(prng.between(0.1, 0.5).toFixed(2));
    const truncated = proxy.stats.truncated;
    announce(target.name, `responses cut off mid-body p=${truncateProbability}, ${ms} ms`);
    proxy.set({ truncateProbability });
    await sleep(ms);
    detail = `responses cut off mid-body p=${truncateProbability}, ${ms} ms (${proxy.stats.truncated - truncated} cut)`;
  } else if (kind === 'http-error') {
    const errorProbability = Number(prng.between(0.2, 0.6).toFixed(2));
    const answered = { ...proxy.stats.answered };
    announce(target.name, `the proxy answers 500/502/503 p=${errorProbability}, ${ms} ms`);
    proxy.set({ errorProbability, errorStatuses: [500, 502, 503] });
    await sleep(ms);
    const counts = [500, 502, 503].map((s) => `${s}: ${(proxy.stats.answered[s] ?? 0) - (answered[s] ?? 0)}`).join(', ');
    detail = `the proxy answers 500/502/503 p=${errorProbability}, ${ms} ms (${counts})`;
  } else {
    throw new Error(`fault kind ${kind} is not injected at run time`);
  }
  proxy.heal();
  return record(target.name, detail);
}

/** Every process of a distributed cluster answers ready; false when not within `timeoutMs`. */
async function waitHubReady(hub: FederatedCluster, timeoutMs: number): Promise<boolean> {
  try {
    await waitFor(
      'every process of the hub ready',
      async () => {
        for (const url of hub.suite.urls.values()) {
          const res = await fetch(`${url}/health/ready`).catch(() => undefined);
          if (res?.status !== 200) return undefined;
        }
        return true;
      },
      timeoutMs,
      200,
    );
    return true;
  } catch {
    return false;
  }
}

function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(1);
}
