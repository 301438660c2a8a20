import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy that breaks the link it carries on demand: added latency with jitter (in order, per direction),
 * connections reset in the middle of a request, and a partition that either refuses connections (reset on accept)
 * or holds them (accepts and forwards nothing, so the caller waits for its own timeout). Put in front of a cluster
 * (its SITE_URL pointing here) it stands for the network between that cluster and its peers.
 */
export interface LinkFaults {
  /** Added to every chunk in both directions. */
  latencyMs: number;
  /** Up to this much more, at random, per chunk (order is kept). */
  jitterMs: number;
  /** Chance, per chunk from the caller, that both sides of the connection are reset. */
  resetProbability: number;
  /** `refuse`: new and open connections are reset; `hold`: they stay open and carry nothing. */
  partition: 'none' | 'refuse' | 'hold';
}

export const HEALTHY_LINK: LinkFaults = { latencyMs: 0, jitterMs: 0, resetProbability: 0, partition: 'none' };

export interface FaultProxyStats {
  connections: number;
  resets: number;
  refused: number;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

/** Resets (RST) rather than closes (FIN), as a broken network or a crashed peer would. */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function' && socket.readyState !== 'opening') socket.resetAndDestroy();
  else socket.destroy();
}

export class FaultProxy {
  readonly stats: FaultProxyStats = { connections: 0, resets: 0, refused: 0 };
  private faults: LinkFaults = { ...HEALTHY_LINK };
  private readonly pairs = new Set<Pair>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
    private readonly random: () => number,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  /** Listens on a free port of 127.0.0.1 and forwards to `targetPort` there. `random` decides jitter and resets. */
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
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
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
      this.pairs.delete(pair);
      reset(client);
      reset(upstream);
    };
    client.once('close', forget);
    upstream.once('close', forget);
    this.pipe(pair, client, upstream, true);
    this.pipe(pair, upstream, client, false);
  }

  /** Forwards `from` to `to` chunk by chunk, each delayed; release times never go backwards, so order is kept. */
  private pipe(pair: Pair, from: Socket, to: Socket, fromCaller: boolean): void {
    let releaseAt = 0;
    from.on('data', (chunk: Buffer) => {
      const { latencyMs, jitterMs, resetProbability, partition } = this.faults;
      if (partition === 'hold') return;
      if (fromCaller && resetProbability > 0 && this.random() < resetProbability) {
        this.resetPair(pair);
        return;
      }
      const delay = latencyMs + (jitterMs > 0 ? this.random() * jitterMs : 0);
      if (delay <= 0 && releaseAt <= Date.now()) {
        to.write(chunk);
        return;
      }
      releaseAt = Math.max(releaseAt, Date.now() + delay);
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, releaseAt - Date.now());
    });
    from.on('end', () => {
      setTimeout(() => to.end(), Math.max(0, releaseAt - Date.now()));
    });
  }

  private resetPair(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    this.stats.resets++;
    reset(pair.client);
    reset(pair.upstream);
  }
}
