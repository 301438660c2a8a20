import { IsInt, IsString, MaxLength } from 'class-validator';
import { AppConfig, AppError, Bus, BusError, BusTransport, InProcessTransport, loadConfig, NatsTransport } from '@fedchat/common';
import { defineEvent, defineRpc } from '@fedchat/contracts';
import { startNats, TestNats, waitFor } from '@fedchat/testing';

class EchoRequest {
  @IsString()
  @MaxLength(2_000_000)
  text: string;
}
class EchoReply {
  @IsString()
  text: string;
  @IsString()
  by: string;
}
class Tick {
  @IsInt()
  n: number;
}

const echo = defineRpc('test.echo.request', EchoRequest, EchoReply);
const work = defineEvent('test.work.queued', Tick, 'one');
const fanout = defineEvent('test.fanout.happened', Tick, 'all');

type Factory = () => Promise<BusTransport>;

let nats: TestNats;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats?.stop();
});

const transports: Array<[string, Factory]> = [
  ['in-process', async () => new InProcessTransport(1024 * 1024)],
  ['nats', async () => NatsTransport.connect(nats.url, 'bus-test')],
];

/** A "replica": its own Bus, and for NATS its own connection, as separate processes would have. */
function makeBus(transport: BusTransport, requestTimeoutMs = 2000): Bus {
  const config: AppConfig = { ...loadConfig('embedded', {}), bus: { requestTimeoutMs, maxPayload: 1024 * 1024, connectTimeoutMs: 60_000 } };
  return new Bus(transport, config);
}

describe.each(transports)('Bus over %s', (kind, newTransport) => {
  const buses: Bus[] = [];
  /** The in-process bus is one per process: replicas share it. NATS replicas each have a connection. */
  let shared: BusTransport | undefined;
  const replica = async (timeout?: number) => {
    const transport = kind === 'in-process' ? (shared ??= await newTransport()) : await newTransport();
    const bus = makeBus(transport, timeout);
    buses.push(bus);
    return bus;
  };

  afterEach(async () => {
    for (const bus of buses.splice(0)) {
      await bus.beforeApplicationShutdown();
      await bus.onApplicationShutdown();
    }
    shared = undefined;
  });

  it('answers a request with a validated reply', async () => {
    const server = await replica();
    server.handle(echo, (req) => ({ text: req.text.toUpperCase(), by: 'server' }));
    const client = await replica();
    await settle(kind);
    await expect(client.request(echo, { text: 'hello' })).resolves.toEqual({ text: 'HELLO', by: 'server' });
  });

  it('spreads requests over the replicas of a queue group, each answered once', async () => {
    const answeredBy: string[] = [];
    for (const name of ['a', 'b']) {
      const server = await replica();
      server.handle(echo, (req) => {
        answeredBy.push(name);
        return { text: req.text, by: name };
      });
    }
    const client = await replica();
    await settle(kind);
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => client.request(echo, { text: String(i) })));
    expect(replies.map((r) => r.text)).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    expect(answeredBy).toHaveLength(40);
    expect(new Set(answeredBy)).toEqual(new Set(['a', 'b']));
  });

  it('delivers a work event to one replica and a broadcast event to every replica', async () => {
    const got = { work: [] as string[], fanout: [] as string[] };
    for (const name of ['a', 'b']) {
      const bus = await replica();
      bus.on(work, () => void got.work.push(name));
      bus.on(fanout, () => void got.fanout.push(name));
    }
    const producer = await replica();
    await settle(kind);
    for (let n = 0; n < 10; n++) producer.emit(work, { n });
    producer.emit(fanout, { n: 1 });
    await waitFor('deliveries', async () => (got.work.length === 10 && got.fanout.length === 2 ? true : undefined), 5000);
    await new Promise((r) => setTimeout(r, 100));
    expect(got.work).toHaveLength(10);
    expect(got.fanout.sort()).toEqual(['a', 'b']);
  });

  it('gives each consumer of a work event its own copy, shared among that consumer’s replicas', async () => {
    const got: string[] = [];
    for (const [consumer, replicaName] of [
      ['sync', 'sync-1'],
      ['sync', 'sync-2'],
      ['users', 'users-1'],
    ]) {
      const bus = await replica();
      bus.on(work, () => void got.push(`${consumer}:${replicaName}`), consumer);
    }
    const producer = await replica();
    await settle(kind);
    // NATS picks a random member of a queue group: 40 events make "all to one replica" a 1-in-10^11 event.
    for (let n = 0; n < 40; n++) producer.emit(work, { n });
    await waitFor('deliveries', async () => (got.length === 80 ? true : undefined), 5000);
    await new Promise((r) => setTimeout(r, 100));
    expect(got.filter((g) => g.startsWith('sync:'))).toHaveLength(40);
    expect(new Set(got.filter((g) => g.startsWith('sync:')))).toEqual(new Set(['sync:sync-1', 'sync:sync-2']));
    expect(got.filter((g) => g === 'users:users-1')).toHaveLength(40);
  });

  it('fails fast with no_responders when nobody handles a subject', async () => {
    const client = await replica();
    await expect(client.request(echo, { text: 'x' })).rejects.toMatchObject({ code: 'no_responders' });
  });

  it('times out when the handler does not answer in time', async () => {
    const server = await replica();
    server.handle(echo, () => new Promise((r) => setTimeout(() => r({ text: 'late', by: 's' }), 1500)));
    const client = await replica(200);
    await settle(kind);
    await expect(client.request(echo, { text: 'x' })).rejects.toMatchObject({ code: 'timeout' });
  });

  it('refuses an invalid request at the handler and never calls it', async () => {
    const server = await replica();
    const handler = jest.fn(() => ({ text: 'x', by: 's' }));
    server.handle(echo, handler);
    const client = await replica();
    await settle(kind);
    const bad = { text: 42 } as unknown as EchoRequest;
    await expect(client.request(echo, bad)).rejects.toMatchObject({ code: 'invalid_payload' });
    const extra = { text: 'ok', admin: true } as unknown as EchoRequest;
    await expect(client.request(echo, extra)).rejects.toThrow(/admin/);
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses an invalid reply at the requester', async () => {
    const server = await replica();
    server.handle(echo, () => ({ text: 'no by' }) as unknown as EchoReply);
    const client = await replica();
    await settle(kind);
    await expect(client.request(echo, { text: 'x' })).rejects.toMatchObject({ code: 'invalid_payload' });
  });

  it('turns a handler exception into an error reply', async () => {
    const server = await replica();
    server.handle(echo, () => {
      throw new Error('database on fire');
    });
    const client = await replica();
    await settle(kind);
    await expect(client.request(echo, { text: 'x' })).rejects.toMatchObject({ code: 'handler_error', message: 'database on fire' });
  });

  it('carries an AppError (id, status) back to the requester intact', async () => {
    const server = await replica();
    server.handle(echo, () => {
      throw new AppError('api.remote_cluster.get.not_found', 'Remote cluster not found.', 404);
    });
    const client = await replica();
    await settle(kind);
    const err = await client.request(echo, { text: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ errorId: 'api.remote_cluster.get.not_found', message: 'Remote cluster not found.' });
    expect(err.getStatus()).toBe(404);
  });

  it('refuses a message larger than the payload limit before sending', async () => {
    const server = await replica();
    server.handle(echo, (r) => ({ text: r.text, by: 's' }));
    const client = await replica();
    await settle(kind);
    await expect(client.request(echo, { text: 'x'.repeat(1024 * 1024 + 10) })).rejects.toBeInstanceOf(BusError);
    await expect(client.request(echo, { text: 'x'.repeat(1024 * 1024 + 10) })).rejects.toMatchObject({ code: 'payload_too_large' });
  });

  it('finishes handlers in flight before shutting down', async () => {
    const server = await replica();
    let finished = false;
    server.handle(echo, async (r) => {
      await new Promise((res) => setTimeout(res, 300));
      finished = true;
      return { text: r.text, by: 's' };
    });
    const client = await replica();
    await settle(kind);
    const pending = client.request(echo, { text: 'slow' });
    await waitFor('handler start', async () => ((await inFlight()) > 0 ? true : undefined), 2000, 10);
    await server.beforeApplicationShutdown();
    expect(finished).toBe(true);
    await expect(pending).resolves.toEqual({ text: 'slow', by: 's' });
  });
});

/** NATS subscriptions reach the server asynchronously; a flush round trip makes them effective. */
async function settle(kind: string): Promise<void> {
  if (kind === 'nats') await new Promise((r) => setTimeout(r, 100));
}

async function inFlight(): Promise<number> {
  const { metricsRegistry } = await import('@fedchat/common');
  const metric = await metricsRegistry.getSingleMetric('fedchat_bus_handlers_in_flight')?.get();
  return metric?.values[0]?.value ?? 0;
}
