import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FaultProxy, FederatedCluster, Federation, QUICK_FEDERATION_ENV, startFederation } from '@fedchat/testing';
import { check, Violation } from './checker';
import { Ledger } from './ledger';
import { Load, LoadReport, mb } from './load';
import {
  chooseSkew,
  DISTRIBUTED_FAULT_KINDS,
  FAULT_KINDS,
  FaultContext,
  FaultKind,
  FaultRecord,
  HubServers,
  inject,
  skewEnv,
} from './faults';
import { Prng } from './prng';
import { act, Actor, setUpChannels } from './workload';

export { FAULT_KINDS, FaultKind, FaultRecord } from './faults';

/**
 * The reliability run: clusters connected through fault proxies, shared channels, users on every cluster writing at
 * a steady rate while faults chosen from a seed hit the clusters and the links between them; then the faults stop,
 * the run waits (bounded) for the clusters to converge, and the checker compares every cluster with what the
 * workload was told.
 */

export interface ChaosSettings {
  seed: number;
  /** How long the workload writes. */
  seconds: number;
  clusters: number;
  /** Public channels; a private, a read-only, a DM and a GM come on top. */
  channels: number;
  usersPerCluster: number;
  /** Writes per second of each user. */
  rate: number;
  faults: FaultKind[];
  /** Mean gap between two faults. */
  faultGapSeconds: number;
  /** Longest wait for the clusters to agree once faults and writes stopped. */
  convergeSeconds: number;
  /** Websocket clients held connected across the clusters while the workload runs. */
  wsClients: number;
  /** How often the memory of every process is sampled. */
  memorySampleSeconds: number;
  /** Cluster `a` runs distributed: every app its own process (two of each sync app), over nats-server and PostgreSQL. */
  distributed: boolean;
  /** Multiplies how long latency, bandwidth, reset, truncate and http-error faults last. */
  faultScale: number;
  log: (line: string) => void;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): ChaosSettings {
  const num = (name: string, fallback: number) => {
    const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0, got "${env[name]}"`);
    return value;
  };
  const faults = (env.CHAOS_FAULTS ?? FAULT_KINDS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'none');
  for (const f of faults)
    if (!FAULT_KINDS.includes(f as FaultKind)) throw new Error(`CHAOS_FAULTS: unknown fault "${f}" (${FAULT_KINDS.join(', ')})`);
  const distributed = !['0', 'false', 'no'].includes((env.CHAOS_DISTRIBUTED ?? '1').toLowerCase());
  const needsHub = faults.filter((f) => DISTRIBUTED_FAULT_KINDS.includes(f as FaultKind));
  if (!distributed && needsHub.length) throw new Error(`CHAOS_FAULTS: ${needsHub.join(', ')} need CHAOS_DISTRIBUTED=1`);
  return {
    seed: num('CHAOS_SEED', Math.floor(Math.random() * 2 ** 31)),
    seconds: num('CHAOS_SECONDS', 60),
    clusters: Math.min(3, Math.max(2, num('CHAOS_CLUSTERS', 2))),
    channels: Math.max(1, num('CHAOS_CHANNELS', 4)),
    usersPerCluster: Math.max(1, num('CHAOS_USERS', 2)),
    rate: num('CHAOS_RATE', 2),
    faults: faults as FaultKind[],
    faultGapSeconds: num('CHAOS_FAULT_GAP_SECONDS', 8),
    convergeSeconds: num('CHAOS_CONVERGE_SECONDS', 120),
    wsClients: num('CHAOS_WS_CLIENTS', 30),
    memorySampleSeconds: Math.max(1, num('CHAOS_MEMORY_SAMPLE_SECONDS', 60)),
    distributed,
    faultScale: num('CHAOS_FAULT_SCALE', 1),
    log: (line) => process.stdout.write(`${line}\n`),
  };
}

export interface ChaosReport {
  settings: Omit<ChaosSettings, 'log'>;
  operations: Record<string, number>;
  acked: number;
  faults: FaultRecord[];
  /** Seconds from the end of faults and writes to the first clean check (undefined: never clean). */
  convergenceSeconds?: number;
  violations: Violation[];
  load?: LoadReport;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLUSTER_NAMES = ['a', 'b', 'c'];

export async function runChaos(settings: ChaosSettings): Promise<ChaosReport> {
  const { log } = settings;
  const root = new Prng(settings.seed);
  const names = CLUSTER_NAMES.slice(0, settings.clusters);
  log(
    `chaos: seed ${settings.seed}, ${settings.clusters} clusters, ${settings.channels} channels, ${settings.usersPerCluster} users per cluster, ` +
      `${settings.rate} writes/s each, ${settings.seconds} s, faults ${settings.faults.join(',') || 'none'}` +
      (settings.distributed ? ', a distributed' : ''),
  );

  // One proxy in front of every cluster: what its peers dial. A cut of a cluster's proxy cuts what comes in.
  const proxies = new Map<string, FaultProxy>();
  const faultPrng = root.fork('faults');
  let fed: Federation | undefined;
  const ledger = new Ledger();
  const faults: FaultRecord[] = [];
  /** Server logs of every cluster, killed processes' included, kept for a report with violations. */
  const serverLogs = new Map<string, string[]>();
  const interruptedAfterMs = 4000;
  let hubServers: HubServers | undefined;
  const clockFiles = new Map<string, string>();
  let clockDir: string | undefined;
  const hubDir = settings.distributed ? fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-hub-')) : undefined;
  try {
    // Clock skew is a property of a host: the chosen peer runs with its clock off for the whole run, restarts included.
    const clusterEnv: Record<string, Record<string, string>> = {};
    // A clock step changes a running cluster's clock: every cluster's processes re-read a step from a file of their own.
    if (settings.faults.includes('clock-step')) {
      clockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-clock-'));
      for (const name of names) {
        clockFiles.set(name, path.join(clockDir, `${name}.offset`));
        fs.writeFileSync(clockFiles.get(name)!, '0');
        clusterEnv[name] = skewEnv(0, clockFiles.get(name));
      }
    }
    if (settings.faults.includes('skew')) {
      const skew = chooseSkew(faultPrng, names.slice(1));
      clusterEnv[skew.target] = skewEnv(skew.offsetMs, clockFiles.get(skew.target));
      const minutes = (skew.offsetMs / 60_000).toFixed(1);
      faults.push({
        at: 0,
        kind: 'skew',
        target: skew.target,
        detail: `clock ${skew.offsetMs > 0 ? '+' : ''}${minutes} min for the whole run`,
      });
      log(`chaos: clock of ${skew.target} runs ${minutes} min off`);
    }
    if (hubDir) hubServers = await HubServers.start(hubDir);
    fed = await startFederation({
      clusters: names,
      env: {
        ...QUICK_FEDERATION_ENV,
        SHARED_CHANNELS_LEASE_MS: '2000',
        SHARED_CHANNELS_INTERRUPTED_AFTER_MS: String(interruptedAfterMs),
        // The workload's DM and GM, and the checker's membership comparison.
        MM_FEATUREFLAGS_ENABLESHAREDCHANNELSDMS: 'true',
        MM_FEATUREFLAGS_ENABLESHAREDCHANNELSMEMBERSYNC: 'true',
      },
      clusterEnv,
      // Three clusters (nine processes for a distributed hub) starting at once miss their deadlines on a loaded machine.
      oneByOne: settings.clusters > 2,
      connectTimeoutMs: 180_000,
      distributed: hubServers
        ? {
            [names[0]]: {
              replicas: { 'shared-channel-sync': 2, 'file-transfer': 2, 'user-sync': 2 },
              databaseUrl: hubServers.databaseUrl,
              natsUrl: hubServers.natsUrl,
            },
          }
        : undefined,
      siteUrl: async (name, url) => {
        const proxyPrng = root.fork(`proxy-${name}`);
        const proxy = await FaultProxy.start(Number(new URL(url).port), () => proxyPrng.next());
        proxies.set(name, proxy);
        return proxy.url;
      },
    });
    const clusters = names.map((n) => fed!.clusters[n]);
    const peers = clusters.slice(1);
    log(
      `chaos: ${names.length} clusters up: ${clusters.map((c) => `${c.name} ${c.url} (peers dial ${proxies.get(c.name)!.url})`).join(', ')}`,
    );

    const actors: Actor[] = [];
    const usernames: string[] = [];
    for (const cluster of clusters) {
      for (let i = 0; i < settings.usersPerCluster; i++) {
        const username = `${cluster.name}-user${i}`;
        usernames.push(username);
        actors.push({ cluster, user: await cluster.createUser(username), prng: root.fork(username), written: 0, channels: [] });
      }
    }

    await setUpChannels(clusters, actors, settings.channels, ledger);
    const channelIds = ledger.channels.map((c) => c.id);
    log(`chaos: ${channelIds.length} channels shared (${ledger.channels.map((c) => c.kind).join(', ')}), ${actors.length} users joined`);

    const load = await Load.start(
      Array.from({ length: settings.wsClients }, (_, i) => actors[i % actors.length]),
      clusters,
      settings.memorySampleSeconds * 1000,
    );
    log(`chaos: ${settings.wsClients} websocket clients connected`);

    // Writes and faults run side by side until the deadline.
    const started = Date.now();
    const deadline = started + settings.seconds * 1000;
    const writers = actors.map(async (actor) => {
      const gap = settings.rate > 0 ? 1000 / settings.rate : 1000;
      while (Date.now() < deadline) {
        const t = Date.now();
        await act(actor, ledger, load.acknowledged);
        await sleep(Math.max(0, gap * actor.prng.between(0.5, 1.5) - (Date.now() - t)));
      }
    });
    const faultContext: FaultContext = {
      clusters,
      peers,
      hub: clusters[0],
      hubServers,
      proxies,
      channelIds,
      interruptedAfterMs,
      writesUntil: deadline,
      durationScale: settings.faultScale,
      log,
      keepLog: (cluster) => keepLog(serverLogs, cluster),
      clockFiles,
    };
    const injected = settings.faults.filter((f) => f !== 'skew');
    const injector = (async () => {
      if (injected.length === 0) return;
      // Every kind once (in an order from the seed) before any repeats, so a short run still sees each.
      const queue = faultPrng.shuffle(injected);
      while (true) {
        await sleep(faultPrng.between(0.5, 1.5) * settings.faultGapSeconds * 1000);
        // The first round runs whole even past the writes (a slow restart must not skip a kind); later ones stop.
        if (queue.length === 0 && Date.now() > deadline - 3000) return;
        const kind = queue.length ? queue.shift()! : faultPrng.pick(injected);
        const at = (Date.now() - started) / 1000;
        faults.push(await inject(kind, faultContext, faultPrng, at));
      }
    })();
    await Promise.all([...writers, injector]);
    const loadReport = load.stop();
    // Whatever is still broken heals now: convergence is measured from here.
    for (const proxy of proxies.values()) proxy.heal();
    log(`chaos: writes and faults stopped: ${ledger.total} writes (${ledger.acked()} acknowledged), ${faults.length} faults`);

    const views = clusters.map((c) => ({
      name: c.name,
      api: c.api(),
      // The admin is no member of the DM and GM: a member reads them.
      apiFor: (channelId: string) => {
        const member = actors.find((a) => a.cluster === c && a.channels.some((ch) => ch.id === channelId));
        return member ? c.api(member.user.token) : c.api();
      },
    }));
    const calm = Date.now();
    let violations: Violation[] = [];
    let convergenceSeconds: number | undefined;
    // Files found right once are not fetched again. A pass that begins before the bound is cut there; the verdict
    // "not converged" comes only from a whole pass that began after it: a pass reads the clusters over minutes on a
    // loaded machine, and what was merely late when an early pass read it must not be reported as lost.
    const verifiedFiles = new Set<string>();
    const bound = calm + settings.convergeSeconds * 1000;
    while (true) {
      const passStarted = Date.now();
      const finalPass = passStarted > bound;
      try {
        violations = await check(views, channelIds, ledger, usernames, { verifiedFiles, deadline: finalPass ? undefined : bound });
      } catch (err) {
        violations = [{ kind: 'check-failed', detail: String(err) }];
      }
      if (violations.length === 0) {
        convergenceSeconds = (Date.now() - calm) / 1000;
        break;
      }
      if (finalPass) break;
      const kinds = [...new Set(violations.map((v) => v.kind))].join(', ');
      const failed = violations.find((v) => v.kind === 'check-failed'); // said now: a later clean pass hides it
      log(
        `chaos: +${((Date.now() - calm) / 1000).toFixed(0)} s after the faults: ${violations.length} differences left (${kinds}); ` +
          `the pass took ${((Date.now() - passStarted) / 1000).toFixed(0)} s${failed ? `; ${failed.detail}` : ''}`,
      );
      await sleep(5000);
    }
    // A fault whose expected effect did not show (no interruption notice, a process that did not notice its database
    // died) is a broken promise too.
    for (const f of faults)
      if (f.problem) violations.push({ kind: 'fault', detail: `${f.kind} ${f.target} at +${f.at.toFixed(1)} s: ${f.problem}` });
    if (violations.length > 0) {
      for (const cluster of clusters) keepLog(serverLogs, cluster);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `chaos-${settings.seed}-`));
      for (const [name, parts] of serverLogs) fs.writeFileSync(path.join(dir, `${name}.log`), parts.join(''));
      log(`chaos: server logs of every cluster (warnings and errors) are in ${dir}`);
    }
    const { log: _log, ...plain } = settings;
    void _log;
    return {
      settings: plain,
      operations: Object.fromEntries(ledger.counts),
      acked: ledger.acked(),
      faults,
      convergenceSeconds,
      violations,
      load: loadReport,
    };
  } finally {
    // A failed clean-up must not hide what ended the run.
    await fed?.stop().catch((err: unknown) => log(`chaos: clean-up failed: ${String(err)}`));
    for (const proxy of proxies.values()) await proxy.close();
    await hubServers?.stop();
    if (hubDir) fs.rmSync(hubDir, { recursive: true, force: true });
    if (clockDir) fs.rmSync(clockDir, { recursive: true, force: true });
  }
}

function keepLog(serverLogs: Map<string, string[]>, cluster: FederatedCluster): void {
  for (const [name, proc] of cluster.suite.processes) {
    const key = name === 'embedded' ? cluster.name : `${cluster.name}-${name}`;
    serverLogs.set(key, [...(serverLogs.get(key) ?? []), `--- process ${proc.pid}\n`, proc.log()]);
  }
}

/** The summary printed at the end; violations grouped by kind with a few examples each. */
export function formatReport(report: ChaosReport): string {
  const lines: string[] = [];
  const s = report.settings;
  lines.push('=== chaos report ===');
  lines.push(
    `seed ${s.seed} (rerun: CHAOS_SEED=${s.seed} CHAOS_SECONDS=${s.seconds} CHAOS_CLUSTERS=${s.clusters} CHAOS_CHANNELS=${s.channels} CHAOS_FAULTS=${s.faults.join(',') || 'none'} CHAOS_DISTRIBUTED=${s.distributed ? 1 : 0} CHAOS_FAULT_SCALE=${s.faultScale})`,
  );
  lines.push(
    `operations: ${Object.entries(report.operations)
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  lines.push(`acknowledged writes: ${report.acked}`);
  lines.push(`faults (${report.faults.length}):`);
  for (const f of report.faults) lines.push(`  +${f.at.toFixed(1)} s ${f.kind} ${f.target}: ${f.detail}`);
  lines.push(
    report.convergenceSeconds === undefined
      ? `convergence: NOT reached within ${s.convergeSeconds} s`
      : `convergence: ${report.convergenceSeconds.toFixed(1)} s`,
  );
  if (report.load) {
    const l = report.load;
    const ms = (v?: number) => (v === undefined ? '-' : `${v} ms`);
    lines.push(
      `load: ${l.clients} websocket clients (${l.connectedAtEnd} connected at the end, ${l.reconnects} reconnection attempts); ` +
        `${l.events} post events, delay from the acknowledgement p50 ${ms(l.delayP50Ms)}, p99 ${ms(l.delayP99Ms)}, max ${ms(l.delayMaxMs)}; ` +
        `the run's own process (workload, checker, clients) used ${l.runnerCpuSeconds.toFixed(0)} CPU s`,
    );
    lines.push(
      `websocket clients at the end by cluster and state: ${Object.entries(l.clientsAtEnd)
        .sort()
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    const [first, last] = [l.memory[0], l.memory[l.memory.length - 1]];
    if (first && last) {
      const keys = [...new Set([...Object.keys(first.rss), ...Object.keys(last.rss)])].sort();
      lines.push(`memory (RSS) at +${first.at.toFixed(0)} s -> +${last.at.toFixed(0)} s (${l.memory.length} samples):`);
      for (const key of keys) lines.push(`  ${key}: ${mb(first.rss[key] ?? 0)} -> ${mb(last.rss[key] ?? 0)}`);
    }
    if (l.memory.length > 2) {
      const trend = (key: string) => l.memory.map((m) => (m.rss[key] ? (m.rss[key] / 2 ** 20).toFixed(0) : '-')).join(' ');
      for (const key of Object.keys(last?.rss ?? {}).sort()) lines.push(`  trend ${key} (MB): ${trend(key)}`);
      const connected = (cluster: string) => l.memory.map((m) => m.clients?.[`${cluster} connected`] ?? 0).join(' ');
      for (const cluster of [...new Set(l.memory.flatMap((m) => Object.keys(m.clients ?? {}).map((k) => k.split(' ')[0])))].sort())
        lines.push(`  clients of ${cluster} connected at each sample: ${connected(cluster)}`);
    }
    lines.push(l.growth.length ? `memory growth: ${l.growth.join('; ')}` : 'memory growth: none flagged');
  }
  if (report.violations.length === 0) {
    lines.push('violations: none');
  } else {
    const byKind = new Map<string, Violation[]>();
    for (const v of report.violations) byKind.set(v.kind, [...(byKind.get(v.kind) ?? []), v]);
    lines.push(`violations: ${report.violations.length}`);
    for (const [kind, list] of byKind) {
      lines.push(`  ${kind}: ${list.length}`);
      for (const v of list.slice(0, 5)) lines.push(`    ${v.detail}`);
    }
  }
  return lines.join('\n');
}
