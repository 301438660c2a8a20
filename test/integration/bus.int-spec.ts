import { INestApplication, Inject, Module, Type } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, MaxLength } from 'class-validator';
import {
  AppError,
  Bus,
  BusContext,
  BusError,
  BusModule,
  BusServer,
  InProcessLink,
  MessageHandlers,
  MessageLink,
  metricsRegistry,
  NatsLink,
  startMessageHandlers,
} from '@fedchat/common';
import { defineEvent, defineRpc } from '@fedchat/contracts';
import { startNats, TestNats, waitFor } from '@fedchat/testing';

/*
 * The suite's Nest transport (BusServer + BusClientProxy) over both links, each "replica" a Nest app of its own with
 * `@MessagePattern` / `@EventPattern` handlers, as the apps have them. On NATS each replica has its own connection, as
 * separate processes would; in-process, replicas share the one link of a process.
 */

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

/** What a replica's handlers do, given per replica. */
interface Behaviour {
  name: string;
  echo?: (req: EchoRequest) => EchoReply | Promise<EchoReply>;
  seen?: string[];
  /** The payloads the `sync` consumer got. */
  payloads?: unknown[];
}
const BEHAVIOUR = 'BEHAVIOUR';

@MessageHandlers()
class EchoHandlers {
  constructor(@Inject(BEHAVIOUR) private readonly b: Behaviour) {}

  @MessagePattern(echo.subject)
  echo(@Payload() req: EchoRequest): EchoReply | Promise<EchoReply> {
    if (!(req instanceof EchoRequest)) throw new Error('the pipe did not build the contract class');
    return this.b.echo!(req);
  }
}

/** Two consumers of the same `one` event, as the sync engine and the user-sync app are. */
@MessageHandlers()
class SyncConsumer {
  constructor(@Inject(BEHAVIOUR) private readonly b: Behaviour) {}

  @EventPattern(work.subject, { consumer: 'sync' })
  work(@Payload() t: Tick): void {
    this.b.seen!.push(`sync:${this.b.name}`);
    this.b.payloads?.push(t);
  }

  /** Reads its context too: the pipe validates payloads, not the context. */
  @EventPattern(fanout.subject)
  fanout(@Payload() _t: Tick, @Ctx() ctx: BusContext): void {
    this.b.seen!.push(`fanout:${this.b.name}${ctx.isRequest() ? ' (request?)' : ''}@${ctx.getSubject()}`);
  }
}

@MessageHandlers()
class UsersConsumer {
  constructor(@Inject(BEHAVIOUR) private readonly b: Behaviour) {}

  @EventPattern(work.subject, { consumer: 'users' })
  work(@Payload() _t: Tick): void {
    this.b.seen!.push(`users:${this.b.name}`);
  }
}

@MessageHandlers()
class ConsumerWithoutName {
  @EventPattern(work.subject)
  work(): void {}
}

let nats: TestNats;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats?.stop();
});

const links: Array<[string, () => Promise<MessageLink>]> = [
  ['in-process', async () => new InProcessLink(1024 * 1024)],
  ['nats', async () => NatsLink.connect(nats.url, 'bus-test')],
];

describe.each(links)('the Nest bus transport over %s', (kind, newLink) => {
  const apps: INestApplication[] = [];
  let shared: MessageLink | undefined;

  /** A replica: a Nest app with the given handler classes, serving them on its link. */
  const replica = async (controllers: Type[] = [], behaviour: Partial<Behaviour> = {}, requestTimeoutMs = 2000) => {
    const link = kind === 'in-process' ? (shared ??= await newLink()) : await newLink();
    @Module({
      imports: [BusModule.forRoot(link, { requestTimeoutMs })],
      controllers,
      providers: [{ provide: BEHAVIOUR, useValue: { name: 'replica', seen: [], ...behaviour } }],
    })
    class ReplicaModule {}
    const moduleRef = await Test.createTestingModule({ imports: [ReplicaModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    // Listed before it starts: a replica that fails to start must still be closed, or its NATS link reconnects for ever.
    apps.push(app);
    await startMessageHandlers(app);
    await settle(kind);
    return { app, bus: app.get(Bus), server: app.get(BusServer) };
  };

  afterEach(async () => {
    // Replicas sharing the in-process link close it once, with the last of them.
    for (const app of apps.splice(0).reverse()) await app.close();
    shared = undefined;
  });

  it('answers a request with a validated reply', async () => {
    await replica([EchoHandlers], { echo: (req) => ({ text: req.text.toUpperCase(), by: 'server' }) });
    const { bus } = await replica();
    await expect(bus.request(echo, { text: 'hello' })).resolves.toEqual({ text: 'HELLO', by: 'server' });
  });

  it('spreads requests over the replicas of a queue group, each answered once', async () => {
    const answeredBy: string[] = [];
    for (const name of ['a', 'b']) {
      await replica([EchoHandlers], {
        echo: (req) => {
          answeredBy.push(name);
          return { text: req.text, by: name };
        },
      });
    }
    const { bus } = await replica();
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => bus.request(echo, { text: String(i) })));
    expect(replies.map((r) => r.text)).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    expect(answeredBy).toHaveLength(40);
    expect(new Set(answeredBy)).toEqual(new Set(['a', 'b']));
  });

  it('gives each consumer of a `one` event its own copy, shared among its replicas, and an `all` event to every replica', async () => {
    const seen: string[] = [];
    // Replica 1 holds both consumers in one process, as the embedded app does: they must stay two queue groups.
    await replica([SyncConsumer, UsersConsumer], { name: 'r1', seen });
    await replica([SyncConsumer], { name: 'r2', seen });
    const { bus } = await replica();
    // NATS picks a random member of a queue group: 40 events make "all to one replica" a 1-in-10^11 event.
    for (let n = 0; n < 40; n++) bus.emit(work, { n });
    bus.emit(fanout, { n: 1 });
    await waitFor('deliveries', async () => (seen.length === 82 ? true : undefined), 5000);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.filter((s) => s.startsWith('sync:'))).toHaveLength(40);
    expect(new Set(seen.filter((s) => s.startsWith('sync:')))).toEqual(new Set(['sync:r1', 'sync:r2']));
    expect(seen.filter((s) => s === 'users:r1')).toHaveLength(40);
    expect(seen.filter((s) => s.startsWith('fanout:')).sort()).toEqual([`fanout:r1@${fanout.subject}`, `fanout:r2@${fanout.subject}`]);
  });

  it('refuses to start a `one` event handler that names no consumer', async () => {
    await expect(replica([ConsumerWithoutName])).rejects.toThrow(/needs \{ consumer \}/);
  });

  it('fails fast with no_responders when nobody handles a subject', async () => {
    const { bus } = await replica();
    const started = Date.now();
    await expect(bus.request(echo, { text: 'x' })).rejects.toMatchObject({ code: 'no_responders' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('times out when the handler does not answer in time', async () => {
    await replica([EchoHandlers], { echo: () => new Promise((r) => setTimeout(() => r({ text: 'late', by: 's' }), 1500)) });
    const { bus } = await replica([], {}, 200);
    await expect(bus.request(echo, { text: 'x' })).rejects.toMatchObject({ code: 'timeout' });
  });

  it('refuses an invalid request in the pipe and never calls the handler', async () => {
    const handler = jest.fn(() => ({ text: 'x', by: 's' }));
    await replica([EchoHandlers], { echo: handler });
    const { bus } = await replica();
    await expect(bus.request(echo, { text: 42 } as unknown as EchoRequest)).rejects.toMatchObject({ code: 'invalid_payload' });
    await expect(bus.request(echo, { text: 'ok', admin: true } as unknown as EchoRequest)).rejects.toThrow(/admin/);
    expect(handler).not.toHaveBeenCalled();
  });

  it(
    kind === 'nats'
      ? 'refuses an invalid event in the pipe and never calls the handler'
      : "hands an event to its handler as emitted, without the pipe's validation (only this process's code emits in process)",
    async () => {
      const payloads: unknown[] = [];
      await replica([SyncConsumer], { payloads });
      const { bus } = await replica();
      bus.emit(work, { n: 'seven' } as unknown as Tick);
      bus.emit(work, { n: 7, extra: 1 } as unknown as Tick);
      bus.emit(work, { n: 8 });
      await waitFor('the valid event', async () => (payloads.some((p) => (p as Tick).n === 8) ? true : undefined), 5000);
      await new Promise((r) => setTimeout(r, 100));
      if (kind === 'nats') {
        expect(payloads).toEqual([{ n: 8 }]);
        expect(payloads[0]).toBeInstanceOf(Tick);
      } else {
        expect(payloads).toEqual([{ n: 'seven' }, { n: 7, extra: 1 }, { n: 8 }]);
      }
    },
  );

  it('refuses an invalid reply at the requester', async () => {
    await replica([EchoHandlers], { echo: () => ({ text: 'no by' }) as unknown as EchoReply });
    const { bus } = await replica();
    await expect(bus.request(echo, { text: 'x' })).rejects.toMatchObject({ code: 'invalid_payload' });
  });

  it('turns a handler exception into an error reply', async () => {
    await replica([EchoHandlers], {
      echo: () => {
        throw new Error('database on fire');
      },
    });
    const { bus } = await replica();
    await expect(bus.request(echo, { text: 'x' })).rejects.toMatchObject({ code: 'handler_error', message: 'database on fire' });
  });

  it('carries an AppError (id, status) back to the requester intact', async () => {
    await replica([EchoHandlers], {
      echo: () => {
        throw new AppError('api.remote_cluster.get.not_found', 'Remote cluster not found.', 404);
      },
    });
    const { bus } = await replica();
    const err = await bus.request(echo, { text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ errorId: 'api.remote_cluster.get.not_found', message: 'Remote cluster not found.' });
    expect((err as AppError).getStatus()).toBe(404);
  });

  it('refuses a message larger than the payload limit before sending', async () => {
    await replica([EchoHandlers], { echo: (r) => ({ text: r.text, by: 's' }) });
    const { bus } = await replica();
    const err = await bus.request(echo, { text: 'x'.repeat(1024 * 1024 + 10) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusError);
    expect(err).toMatchObject({ code: 'payload_too_large' });
  });

  it('counts messages per subject and outcome', async () => {
    await replica([EchoHandlers], { echo: (r) => ({ text: r.text, by: 's' }) });
    const { bus } = await replica();
    const before = await count(echo.subject, 'received', 'ok');
    await bus.request(echo, { text: 'counted' });
    await bus.request(echo, { text: 1 } as unknown as EchoRequest).catch(() => undefined);
    expect(await count(echo.subject, 'received', 'ok')).toBe(before + 1);
    expect(await count(echo.subject, 'received', 'invalid_payload')).toBeGreaterThanOrEqual(1);
  });

  it('finishes handlers in flight before shutting down', async () => {
    let finished = false;
    const { app: server } = await replica([EchoHandlers], {
      echo: async (r) => {
        await new Promise((res) => setTimeout(res, 300));
        finished = true;
        return { text: r.text, by: 's' };
      },
    });
    const { bus } = await replica();
    const pending = bus.request(echo, { text: 'slow' });
    await waitFor('handler start', async () => ((await inFlight()) > 0 ? true : undefined), 2000, 10);
    await server.get(BusServer).beforeApplicationShutdown();
    expect(finished).toBe(true);
    await expect(pending).resolves.toEqual({ text: 'slow', by: 's' });
    // Stopped: a new request finds nobody.
    await settle(kind);
    await expect(bus.request(echo, { text: 'late' })).rejects.toMatchObject({ code: 'no_responders' });
  });
});

/** NATS subscriptions reach the server asynchronously; a short wait makes them effective. */
async function settle(kind: string): Promise<void> {
  if (kind === 'nats') await new Promise((r) => setTimeout(r, 100));
}

async function inFlight(): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('fedchat_bus_handlers_in_flight')?.get();
  return metric?.values[0]?.value ?? 0;
}

async function count(subject: string, role: string, outcome: string): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('fedchat_bus_messages_total')?.get();
  const value = metric?.values.find((v) => v.labels.subject === subject && v.labels.role === role && v.labels.outcome === outcome);
  return value?.value ?? 0;
}
