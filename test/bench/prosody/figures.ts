import { readResults, resultsFile } from '../report';

/** The Prosody anchor's options and figures, and their printing side by side with the suite's (no XMPP here). */
export interface ProsodyAnchorOptions {
  /** Messages per second in part 1 (the suite's BENCH_LATENCY_RATE). */
  latencyRate: number;
  latencySeconds: number;
  sustainedSeconds: number;
  /** Concurrent posters on A in part 2 and the rooms they are spread over (the suite's posters and channels). */
  sustainedPosters: number;
  sustainedRooms: number;
  log?: (line: string) => void;
}

export interface ProsodyAnchorResult {
  latency: { p50: number; p99: number; max: number; n: number; missing: number };
  sustained: {
    sentPerSec: number;
    receivedPerSec: number;
    lagP50: number;
    lagP99: number;
    sent: number;
    received: number;
    /** Messages the room did not reflect to their poster in time (counted as failed posts). */
    failed: number;
    /** Seconds from the end of the window until B had every message; undefined when B never had them all. */
    drainedAfterSeconds?: number;
    /**
     * CPU seconds used during the window by each Prosody and by this process (the XMPP clients): who is busy, so
     * that a client-bound figure is not read as Prosody's.
     */
    cpuSeconds: { prosodyA: number; prosodyB: number; clients: number };
  };
  options: Omit<ProsodyAnchorOptions, 'log'>;
}

/** The suite's sizes (shared-channels.bench.ts reads the same variables), or a few seconds with BENCH_TINY=1. */
export function anchorOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ProsodyAnchorOptions {
  const tiny = env.BENCH_TINY === '1';
  const num = (name: string, normal: number, small: number) => Number(env[name] ?? (tiny ? small : normal));
  return {
    latencyRate: num('BENCH_LATENCY_RATE', 20, 20),
    latencySeconds: num('BENCH_LATENCY_SECONDS', 30, 2),
    sustainedSeconds: num('BENCH_SUSTAINED_SECONDS', 60, 2),
    sustainedPosters: num('BENCH_SUSTAINED_POSTERS', 16, 4),
    sustainedRooms: num('BENCH_SUSTAINED_CHANNELS', 4, 2),
  };
}

export function quantileOf(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The suite's figures of the same scenarios, as the shared-channels bench records them (when it ran first). */
export interface SuiteFigures {
  latencyP50?: number;
  latencyP99?: number;
  sentPerSec?: number;
  receivedPerSec?: number;
  lagP50?: number;
  lagP99?: number;
}

const SUITE_FIGURE_NAMES: Record<Exclude<keyof SuiteFigures, 'sentPerSec'>, string> = {
  latencyP50: 'propagation p50 at 20 posts/s',
  latencyP99: 'propagation p99 at 20 posts/s',
  receivedPerSec: 'sustained replication, rate on B',
  lagP50: 'sustained replication, lag p50',
  lagP99: 'sustained replication, lag p99',
};
/** The suite records B's rate and its share of A's ingest; A's rate is derived from the two. */
const SUITE_SHARE_NAME = "sustained replication, share of A's ingest";

/**
 * Reads the suite's figures from the bench results file (one JSON object a line with `name` and `value`; BENCH_RESULTS,
 * default dist-bench/bench-results.jsonl), the latest of each name; empty when no bench has written it.
 */
export function readSuiteFigures(file = resultsFile()): SuiteFigures {
  const latest = new Map(readResults(file).map((figure) => [figure.name as string, figure.value]));
  const figures: SuiteFigures = {};
  for (const [key, name] of Object.entries(SUITE_FIGURE_NAMES) as Array<[keyof SuiteFigures, string]>) {
    const value = latest.get(name);
    if (value !== undefined) figures[key] = value;
  }
  const share = latest.get(SUITE_SHARE_NAME);
  if (figures.receivedPerSec !== undefined && share !== undefined && share > 0) figures.sentPerSec = figures.receivedPerSec / (share / 100);
  return figures;
}

/**
 * The anchor's figures as a plain text block; with the suite's figures, side by side with the ratio suite / Prosody
 * (for times above 1 means the suite is slower, for rates above 1 means it is faster).
 */
export function formatProsodyAnchor(result: ProsodyAnchorResult, suite: SuiteFigures = {}): string {
  const { latency, sustained, options } = result;
  const rows: Array<[string, number, number | undefined, string]> = [
    ['latency p50', latency.p50, suite.latencyP50, 'ms'],
    ['latency p99', latency.p99, suite.latencyP99, 'ms'],
    ["sustained, A's rate", sustained.sentPerSec, suite.sentPerSec, 'msg/s'],
    ['sustained, rate on B', sustained.receivedPerSec, suite.receivedPerSec, 'msg/s'],
    ['sustained, lag p50', sustained.lagP50, suite.lagP50, 'ms'],
    ['sustained, lag p99', sustained.lagP99, suite.lagP99, 'ms'],
  ];
  const fmt = (v: number | undefined, unit: string) =>
    v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(unit === 'ms' ? 1 : 0)} ${unit}`;
  const lines = [
    'Prosody anchor (two Prosody servers on loopback, s2s with dialback, no TLS; MUC room on A joined from B)',
    `1. latency, groupchat message sent on A -> arrival on B, ${options.latencyRate} msg/s for ${options.latencySeconds} s`,
    `   n=${latency.n} p50 ${fmt(latency.p50, 'ms')}, p99 ${fmt(latency.p99, 'ms')}, max ${fmt(latency.max, 'ms')}; missing on B: ${latency.missing}`,
    `2. sustained, ${options.sustainedPosters} posters on A over ${options.sustainedRooms} rooms for ${options.sustainedSeconds} s`,
    `   A: ${sustained.sent} messages reflected = ${fmt(sustained.sentPerSec, 'msg/s')} (${sustained.failed} not reflected within 10 s)`,
    `   B: ${fmt(sustained.receivedPerSec, 'msg/s')} during the window (${((100 * sustained.receivedPerSec) / Math.max(1e-9, sustained.sentPerSec)).toFixed(1)}% of A's rate); ` +
      (sustained.drainedAfterSeconds === undefined
        ? `B did not receive every message: ${sustained.received} of ${sustained.sent + sustained.failed}`
        : `all ${sustained.received} on B ${sustained.drainedAfterSeconds.toFixed(2)} s after the window`),
    `   lag, sent on A -> arrival on B: p50 ${fmt(sustained.lagP50, 'ms')}, p99 ${fmt(sustained.lagP99, 'ms')}`,
    `   CPU during the window: Prosody A ${sustained.cpuSeconds.prosodyA.toFixed(1)} s, Prosody B ${sustained.cpuSeconds.prosodyB.toFixed(1)} s, ` +
      `the XMPP clients (this process) ${sustained.cpuSeconds.clients.toFixed(1)} s of ${options.sustainedSeconds} s`,
  ];
  if (Object.keys(suite).length > 0) {
    lines.push('', '   figure                    fedchat        Prosody        fedchat/Prosody');
    for (const [name, prosody, ours, unit] of rows) {
      const ratio = ours !== undefined && Number.isFinite(prosody) && prosody > 0 ? `${(ours / prosody).toFixed(2)}x` : '-';
      lines.push(`   ${name.padEnd(26)}${fmt(ours, unit).padEnd(15)}${fmt(prosody, unit).padEnd(15)}${ratio}`);
    }
  }
  return lines.join('\n');
}
