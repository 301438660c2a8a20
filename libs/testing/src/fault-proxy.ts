import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy that breaks the link it carries on demand: added latency with jitter (in order, per direction), a
 * bandwidth limit, connections reset in the middle of a request, HTTP responses cut off mid-body, the peer "answering"
 * 500/502/503 (the proxy answers instead of forwarding, as a load balancer in front of a sick peer would), and a
 * partition that either refuses connections (reset on accept) or holds them (accepts and forwards nothing, so the
 * caller waits for its own timeout). Put in front of a cluster (its SITE_URL pointing here) it stands for the network
 * between that cluster and its peers.
 */
export interface LinkFaults {
  /** Added to every chunk in both directions. */
  latencyMs: number;
  /** Up to this much more, at random, per chunk (order is kept). */
  jitterMs: number;
  /** Bytes per second each direction of each connection carries at most (0: no limit). */
  bytesPerSecond: number;
  /** Chance, per chunk from the caller, that both sides of the connection are reset. */
  resetProbability: number;
  /** Chance, per HTTP response, that it is cut off (FIN) part-way through its body. */
  truncateProbability: number;
  /** Chance, per HTTP request, that the proxy answers it with one of `errorStatuses` instead of forwarding it. */
  errorProbability: number;
  errorStatuses: number[];
  /** `refuse`: new and open connections are reset; `hold`: they stay open and carry nothing. */
  partition: 'none' | 'refuse' | 'hold';
}

export const HEALTHY_LINK: LinkFaults = {
  latencyMs: 0,
  jitterMs: 0,
  bytesPerSecond: 0,
  resetProbability: 0,
  truncateProbability: 0,
  errorProbability: 0,
  errorStatuses: [500, 502, 503],
  partition: 'none',
};

export interface FaultProxyStats {
  connections: number;
  resets: number;
  refused: number;
  truncated: number;
  /** Requests the proxy answered itself, by status. */
  answered: Record<number, number>;
}

const HTTP_REQUEST_START = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /;
const HTTP_RESPONSE_START = 'HTTP/1.';
const STATUS_TEXT: Record<number, string> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

interface Pair {
  client: Socket;
  upstream: Socket;
}

/** Resets (RST) rather than closes (FIN), as a broken network or a crashed peer would. */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  // Only on a socket open both ways: on a half-closed one Node 20 leaves the handle open for ever (the process hangs).
  if (typeof socket.resetAndDestroy === 'function' && socket.readyState === 'open') socket.resetAndDestroy();
  else socket.destroy();
}

export class FaultProxy {
  readonly stats: FaultProxyStats = { connections: 0, resets: 0, refused: 0, truncated: 0, answered: {} };
  private faults: LinkFaults = { ...HEALTHY_LINK };
  private readonly pairs = new Set<Pair>();
  /** Every caller connection still open, also those the proxy is ending itself (answered, cut off). */
  private readonly callers = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
    private readonly random: () => number,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  /** Listens on a free port of 127.0.0.1 and forwards to `targetPort` there. `random` decides every chance above. */
  static async start(targetPort: number, random: () => number = Math.random): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (!address || typeof address !== 'object') throw new Error('fault proxy: no port');
    return new FaultProxy(server, address.port, targetPort, random);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get current(): LinkFaults {
    return { ...this.faults };
  }

  /** Changes the faults for new and open connections; a `refuse` partition resets the open ones at once. */
  set(faults: Partial<LinkFaults>): void {
    this.faults = { ...this.faults, ...faults };
    if (this.faults.partition === 'refuse') {
      for (const pair of [...this.pairs]) this.resetPair(pair);
    }
  }

  heal(): void {
    this.set(HEALTHY_LINK);
    // Held connections carried nothing while partitioned; the callers have given up on them.
    for (const pair of [...this.pairs]) this.resetPair(pair);
  }

  async close(): Promise<void> {
    for (const pair of [...this.pairs]) this.resetPair(pair);
    for (const socket of this.callers) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    this.callers.add(client);
    client.once('close', () => this.callers.delete(client));
    if (this.faults.partition === 'refuse') {
      this.stats.refused++;
      reset(client);
      return;
    }
    this.stats.connections++;
    const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
    upstream.on('error', () => undefined);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const forget = () => {
      // Already taken out by the proxy on purpose (answered or cut off): what it wrote must still reach the caller.
      if (!this.pairs.delete(pair)) return;
      reset(client);
      reset(upstream);
    };
    client.once('close', forget);
    upstream.once('close', forget);
    this.pipe(pair, client, upstream, true);
    this.pipe(pair, upstream, client, false);
  }

  /**
   * Forwards `from` to `to` chunk by chunk, each delayed by latency, jitter and the bandwidth limit; release times
   * never go backwards, so order is kept. Caller chunks may reset the pair or be answered by the proxy; upstream
   * chunks that start a response may be cut off.
   */
  private pipe(pair: Pair, from: Socket, to: Socket, fromCaller: boolean): void {
    let releaseAt = 0;
    /** A response picked for truncation whose first chunk held only headers: the next chunk is cut. */
    let cutNext = false;
    let ended = false;
    const deliver = (chunk: Buffer, finish?: () => void) => {
      const { latencyMs, jitterMs, bytesPerSecond } = this.faults;
      const delay = latencyMs + (jitterMs > 0 ? this.random() * jitterMs : 0);
      const transfer = bytesPerSecond > 0 ? (chunk.length * 1000) / bytesPerSecond : 0;
      if (delay <= 0 && transfer <= 0 && releaseAt <= Date.now()) {
        to.write(chunk);
        finish?.();
        return;
      }
      // The limit spaces chunks: the next one leaves once this one has had time to cross.
      releaseAt = Math.max(releaseAt, Date.now() + delay) + transfer;
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
        finish?.();
      }, releaseAt - Date.now());
    };
    const cutOff = (chunk: Buffer) => {
      ended = true;
      this.stats.truncated++;
      // Half of what is left after the headers (or half of the chunk): the caller sees a body shorter than announced.
      const headersEnd = chunk.indexOf('\r\n\r\n');
      const bodyStart = headersEnd >= 0 ? headersEnd + 4 : 0;
      const cut = bodyStart + Math.max(1, Math.floor((chunk.length - bodyStart) / 2));
      deliver(chunk.subarray(0, Math.min(cut, chunk.length)), () => this.closePair(pair));
    };
    from.on('data', (chunk: Buffer) => {
      const { resetProbability, truncateProbability, errorProbability, errorStatuses, partition } = this.faults;
      if (partition === 'hold' || ended) return;
      if (fromCaller && resetProbability > 0 && this.random() < resetProbability) {
        this.resetPair(pair);
        return;
      }
      if (fromCaller && errorProbability > 0 && HTTP_REQUEST_START.test(chunk.toString('latin1', 0, 8))) {
        if (this.random() < errorProbability) {
          ended = true;
          this.answer(pair, errorStatuses[Math.floor(this.random() * errorStatuses.length)] ?? 503);
          return;
        }
      }
      if (!fromCaller && cutNext) {
        cutNext = false;
        cutOff(chunk);
        return;
      }
      if (!fromCaller && truncateProbability > 0 && chunk.toString('latin1', 0, 7) === HTTP_RESPONSE_START) {
        if (this.random() < truncateProbability) {
          const headersEnd = chunk.indexOf('\r\n\r\n');
          if (headersEnd >= 0 && headersEnd + 4 < chunk.length) cutOff(chunk);
          else {
            cutNext = true;
            deliver(chunk);
          }
          return;
        }
      }
      deliver(chunk);
    });
    from.on('end', () => {
      setTimeout(() => to.end(), Math.max(0, releaseAt - Date.now()));
    });
  }

  /** The proxy answers the caller's request itself (the peer is never asked) and closes the connection. */
  private answer(pair: Pair, status: number): void {
    this.stats.answered[status] = (this.stats.answered[status] ?? 0) + 1;
    const body = JSON.stringify({ id: 'fault_proxy.error', message: `injected ${status}`, status_code: status });
    this.pairs.delete(pair);
    reset(pair.upstream);
    pair.client.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  /** Ends the caller's side with a FIN (what was written still arrives) and drops the upstream side. */
  private closePair(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    reset(pair.upstream);
    pair.client.end();
  }

  private resetPair(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    this.stats.resets++;
    reset(pair.client);
    reset(pair.upstream);
  }
}
