import * as fs from 'node:fs';
import * as path from 'node:path';
import { BenchXmppClient, RoomMessage } from './xmpp';
import { DOMAIN_A, DOMAIN_B, MUC_DOMAIN_A, ProsodyPair, startProsodyPair, tail } from './servers';

/**
 * Issue 17's federated peer as anchor: the shared-channels bench's parts 1 and 2 (test/bench/shared-channels.bench.ts)
 * on two federating Prosody servers. A post on A is a groupchat message sent by a user of A to a MUC room on A's
 * conference host; B's "posted" event is that message arriving at a user of B who joined the room over s2s.
 *  1. latency: one message at a time at a fixed rate; from sending on A to arrival on B;
 *  2. sustained: posters on A send as fast as the room takes it, each waiting for the room to reflect its message
 *     back before the next (the suite's posters wait for POST /posts to answer); A's rate is that of reflected
 *     messages, B's the messages that arrived during the window; the lag is from sending on A to arrival on B.
 */

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `done` until it holds (true) or `timeoutMs` passes (false). */
async function until(done: () => boolean, timeoutMs: number, pollMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(pollMs);
  }
  return true;
}

function roomJid(name: string): string {
  return `${name}@${MUC_DOMAIN_A}`;
}

/** Live messages of `rooms` heard by `client`, passed on with their arrival time (performance.now()). */
function listen(client: BenchXmppClient, rooms: string[], onMessage: (message: RoomMessage, at: number) => void): void {
  const wanted = new Set(rooms);
  client.onMessage((message) => {
    if (!message.delayed && wanted.has(message.room)) onMessage(message, performance.now());
  });
}

async function latencyPart(pair: ProsodyPair, opts: ProsodyAnchorOptions): Promise<ProsodyAnchorResult['latency']> {
  const room = roomJid('latency');
  const sender = await BenchXmppClient.connect({ port: pair.a.c2sPort, domain: DOMAIN_A, nick: 'latency-a' });
  const receiver = await BenchXmppClient.connect({ port: pair.b.c2sPort, domain: DOMAIN_B, nick: 'latency-b' });
  try {
    await sender.join(room);
    await receiver.join(room);
    const arrived = new Map<string, number>();
    listen(receiver, [room], (message, at) => arrived.set(message.body, at));

    // Warm-up as the suite's bench: 20 messages, then wait for the last on B.
    for (let i = 0; i < 20; i++) await sender.send(room, `warm-up ${i}`);
    if (!(await until(() => arrived.has('warm-up 19'), 60_000))) {
      throw new Error(`warm-up messages did not reach B within 60 s:\nA:\n${tail(pair.a)}\nB:\n${tail(pair.b)}`);
    }

    const total = Math.round(opts.latencyRate * opts.latencySeconds);
    const sent = new Map<string, number>();
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / opts.latencyRate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const body = `latency ${i}`;
      sent.set(body, performance.now());
      await sender.send(room, body);
    }
    await until(() => [...sent.keys()].every((b) => arrived.has(b)), 60_000, 50);
    const latencies = [...sent].flatMap(([body, at]) => (arrived.has(body) ? [arrived.get(body)! - at] : [])).sort((x, y) => x - y);
    return {
      p50: quantileOf(latencies, 0.5),
      p99: quantileOf(latencies, 0.99),
      max: latencies.length ? latencies[latencies.length - 1] : NaN,
      n: latencies.length,
      missing: total - latencies.length,
    };
  } finally {
    await Promise.all([sender.close(), receiver.close()]);
  }
}

async function sustainedPart(pair: ProsodyPair, opts: ProsodyAnchorOptions): Promise<ProsodyAnchorResult['sustained']> {
  const rooms = Array.from({ length: opts.sustainedRooms }, (_, i) => roomJid(`sustained-${i}`));
  const posters = await Promise.all(
    Array.from({ length: opts.sustainedPosters }, (_, k) =>
      BenchXmppClient.connect({ port: pair.a.c2sPort, domain: DOMAIN_A, nick: `poster-${k}` }),
    ),
  );
  const receiver = await BenchXmppClient.connect({ port: pair.b.c2sPort, domain: DOMAIN_B, nick: 'sustained-b' });
  try {
    await Promise.all(posters.map((poster, k) => poster.join(rooms[k % rooms.length])));
    for (const room of rooms) await receiver.join(room);

    const sentAt = new Map<string, number>();
    const lags: number[] = [];
    let arrivedInWindow = 0;
    let windowEnd = Infinity;
    listen(receiver, rooms, (message, at) => {
      const sent = sentAt.get(message.body);
      if (sent === undefined) return;
      lags.push(at - sent);
      if (at <= windowEnd) arrivedInWindow++;
    });

    let reflected = 0;
    let failed = 0;
    const started = performance.now();
    const deadline = started + opts.sustainedSeconds * 1000;
    windowEnd = deadline;
    await Promise.all(
      posters.map(async (poster, k) => {
        const room = rooms[k % rooms.length];
        // The room reflects each message to its sender: that is this poster's "the post was accepted".
        let waiting: { body: string; resolve: () => void } | undefined;
        poster.onMessage((message) => {
          if (message.room === room && waiting && message.body === waiting.body) waiting.resolve();
        });
        for (let i = 0; performance.now() < deadline; i++) {
          const body = `sustained ${k}-${i}`;
          let timer: NodeJS.Timeout | undefined;
          const accepted = new Promise<boolean>((resolve) => {
            waiting = { body, resolve: () => resolve(true) };
            timer = setTimeout(() => resolve(false), 10_000);
          });
          sentAt.set(body, performance.now());
          await poster.send(room, body);
          const ok = await accepted;
          clearTimeout(timer);
          if (ok) reflected++;
          else failed++;
        }
      }),
    );
    const ingestSeconds = (performance.now() - started) / 1000;
    const expected = reflected + failed;
    const drainedAt = (await until(() => lags.length >= expected, 300_000, 20)) ? performance.now() : undefined;
    const sorted = [...lags].sort((x, y) => x - y);
    return {
      sentPerSec: reflected / ingestSeconds,
      receivedPerSec: arrivedInWindow / ingestSeconds,
      lagP50: quantileOf(sorted, 0.5),
      lagP99: quantileOf(sorted, 0.99),
      sent: reflected,
      received: lags.length,
      failed,
      drainedAfterSeconds: drainedAt === undefined ? undefined : (drainedAt - (started + ingestSeconds * 1000)) / 1000,
    };
  } finally {
    await Promise.all([...posters, receiver].map((c) => c.close()));
  }
}

/** Starts the two servers, runs both parts, and stops the servers whatever happens. */
export async function runProsodyAnchor(options: Partial<ProsodyAnchorOptions> = {}): Promise<ProsodyAnchorResult> {
  const opts = { ...anchorOptionsFromEnv(), ...options };
  const log = opts.log ?? (() => undefined);
  const pair = await startProsodyPair();
  try {
    log(
      `prosody in ${pair.dir}: A (${DOMAIN_A}, ${MUC_DOMAIN_A}) c2s ${pair.a.c2sPort} s2s ${pair.a.s2sPort}; B (${DOMAIN_B}) c2s ${pair.b.c2sPort} s2s ${pair.b.s2sPort}`,
    );
    const latency = await latencyPart(pair, opts);
    const sustained = await sustainedPart(pair, opts);
    const { log: _log, ...measured } = opts;
    return { latency, sustained, options: measured };
  } finally {
    await pair.stop();
  }
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
export function readSuiteFigures(
  file = process.env.BENCH_RESULTS ?? path.join(__dirname, '..', '..', '..', 'bench-results.jsonl'),
): SuiteFigures {
  if (!fs.existsSync(file)) return {};
  const latest = new Map<string, number>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const figure = JSON.parse(line) as { name?: unknown; value?: unknown };
      if (typeof figure.name === 'string' && typeof figure.value === 'number') latest.set(figure.name, figure.value);
    } catch {
      // a line being written by another process: skip it
    }
  }
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
