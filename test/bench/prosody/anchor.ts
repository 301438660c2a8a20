import { BenchXmppClient, RoomMessage } from './xmpp';
import { cpuSecondsOf, DOMAIN_A, DOMAIN_B, MUC_DOMAIN_A, ProsodyPair, startProsodyPair, tail } from './servers';
import { anchorOptionsFromEnv, ProsodyAnchorOptions, ProsodyAnchorResult, quantileOf } from './figures';

/**
 * Issue 17's federated peer as anchor: the shared-channels bench's parts 1 and 2 (test/bench/shared-channels.bench.ts)
 * on two federating Prosody servers. A post on A is a groupchat message sent by a user of A to a MUC room on A's
 * conference host; B's "posted" event is that message arriving at a user of B who joined the room over s2s.
 *  1. latency: one message at a time at a fixed rate; from sending on A to arrival on B;
 *  2. sustained: posters on A send as fast as the room takes it, each waiting for the room to reflect its message
 *     back before the next (the suite's posters wait for POST /posts to answer); A's rate is that of reflected
 *     messages, B's the messages that arrived during the window; the lag is from sending on A to arrival on B.
 */

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
    const cpuBefore = { a: cpuSecondsOf(pair.a), b: cpuSecondsOf(pair.b), clients: process.cpuUsage() };
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
    const clientsCpu = process.cpuUsage(cpuBefore.clients);
    const cpuSeconds = {
      prosodyA: cpuSecondsOf(pair.a) - cpuBefore.a,
      prosodyB: cpuSecondsOf(pair.b) - cpuBefore.b,
      clients: (clientsCpu.user + clientsCpu.system) / 1e6,
    };
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
      cpuSeconds,
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

export { anchorOptionsFromEnv, formatProsodyAnchor, readSuiteFigures } from './figures';
export type { ProsodyAnchorOptions, ProsodyAnchorResult, SuiteFigures } from './figures';
