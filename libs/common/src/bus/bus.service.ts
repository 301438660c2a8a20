import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { EventContract, PayloadClass, queueGroupFor, RpcContract, toInstance } from '@fedchat/contracts';
import { validate, ValidationError } from 'class-validator';
import { APP_CONFIG } from '../config/config.tokens';
import { AppError } from '../errors/app-error';
import type { AppConfig } from '../config/config.schema';
import { counter, gauge, histogram, METRICS_PREFIX } from '../metrics/metrics';
import { BusError, BusTransport, TransportMessage, TransportSubscription } from './bus-transport';

export const BUS_TRANSPORT = Symbol('BUS_TRANSPORT');

/** What travels back on a reply subject. */
type ReplyEnvelope =
  | { ok: true; data: unknown }
  | { ok: false; error: { code: string; message: string; app_error?: { id: string; status_code: number; detailed_error: string } } };

const messages = counter({
  name: `${METRICS_PREFIX}bus_messages_total`,
  help: 'Bus messages by subject, role (sent, received) and outcome',
  labelNames: ['subject', 'role', 'outcome'] as const,
});
const requestSeconds = histogram({
  name: `${METRICS_PREFIX}bus_request_duration_seconds`,
  help: 'Round trip of bus requests',
  labelNames: ['subject'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});
const inFlight = gauge({
  name: `${METRICS_PREFIX}bus_handlers_in_flight`,
  help: 'Bus handlers running now',
});

/**
 * Typed messaging between the apps. Producers and consumers share contract classes from
 * `@fedchat/contracts`; every payload is validated where it is received (requests by the handler's
 * side, replies by the requester's side), so a bad message is refused at the boundary.
 */
@Injectable()
export class Bus implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(Bus.name);
  private readonly subscriptions: TransportSubscription[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    @Inject(BUS_TRANSPORT) private readonly transport: BusTransport,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get transportKind(): BusTransport['kind'] {
    return this.transport.kind;
  }

  isConnected(): boolean {
    return this.transport.isConnected();
  }

  async request<Req extends object, Res extends object>(contract: RpcContract<Req, Res>, payload: Req): Promise<Res> {
    const stop = requestSeconds.startTimer({ subject: contract.subject });
    try {
      const raw = await this.transport.request(contract.subject, encode(payload), this.config.bus.requestTimeoutMs);
      const envelope = decode(raw) as ReplyEnvelope;
      if (!envelope || typeof envelope !== 'object' || typeof envelope.ok !== 'boolean') {
        throw new BusError('invalid_payload', `malformed reply on ${contract.subject}`);
      }
      if (!envelope.ok) throw errorFromEnvelope(envelope.error);
      const reply = await toValidated(contract.reply, envelope.data, `reply on ${contract.subject}`);
      messages.inc({ subject: contract.subject, role: 'sent', outcome: 'ok' });
      return reply;
    } catch (err) {
      messages.inc({
        subject: contract.subject,
        role: 'sent',
        outcome: err instanceof BusError ? err.code : err instanceof AppError ? 'app_error' : 'error',
      });
      throw err;
    } finally {
      stop();
    }
  }

  emit<E extends object>(contract: EventContract<E>, payload: E): void {
    try {
      this.transport.publish(contract.subject, encode(payload));
      messages.inc({ subject: contract.subject, role: 'sent', outcome: 'ok' });
    } catch (err) {
      messages.inc({ subject: contract.subject, role: 'sent', outcome: err instanceof BusError ? err.code : 'error' });
      throw err;
    }
  }

  /** Answers requests on a subject; one replica of the app answers each. */
  handle<Req extends object, Res extends object>(contract: RpcContract<Req, Res>, handler: (request: Req) => Promise<Res> | Res): void {
    this.listen(contract.subject, queueGroupFor(contract.subject), async (msg) => {
      const envelope = await this.answer(contract, msg, handler);
      msg.respond?.(encodeReply(envelope, this.transport.maxPayload()));
    });
  }

  /**
   * Consumes events on a subject. For `one` delivery, `consumer` names the consuming app: every consumer gets each
   * event once, and the replicas of a consumer share them.
   */
  on<E extends object>(contract: EventContract<E>, handler: (event: E) => Promise<void> | void, consumer = 'default'): void {
    const queue = contract.delivery === 'one' ? queueGroupFor(contract.subject, consumer) : undefined;
    this.listen(contract.subject, queue, async (msg) => {
      try {
        const event = await toValidated(contract.payload, decode(msg.data), `event on ${contract.subject}`);
        await handler(event);
        messages.inc({ subject: contract.subject, role: 'received', outcome: 'ok' });
      } catch (err) {
        const outcome = err instanceof BusError ? err.code : 'error';
        messages.inc({ subject: contract.subject, role: 'received', outcome });
        this.logger.error({ subject: contract.subject, err: errorMessage(err) }, 'event handler failed');
      }
    });
  }

  /** Stops taking new messages and waits for the handlers already running. */
  async beforeApplicationShutdown(): Promise<void> {
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    await Promise.allSettled([...this.running]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }

  private listen(subject: string, queue: string | undefined, work: (msg: TransportMessage) => Promise<void>): void {
    const sub = this.transport.subscribe(subject, queue, (msg) => {
      inFlight.inc();
      const job = work(msg)
        .catch((err) => this.logger.error({ subject, err: errorMessage(err) }, 'bus delivery failed'))
        .finally(() => {
          inFlight.dec();
          this.running.delete(job);
        });
      this.running.add(job);
    });
    this.subscriptions.push(sub);
  }

  private async answer<Req extends object, Res extends object>(
    contract: RpcContract<Req, Res>,
    msg: TransportMessage,
    handler: (request: Req) => Promise<Res> | Res,
  ): Promise<ReplyEnvelope> {
    try {
      const request = await toValidated(contract.request, decode(msg.data), `request on ${contract.subject}`);
      const result = await handler(request);
      messages.inc({ subject: contract.subject, role: 'received', outcome: 'ok' });
      return { ok: true, data: result };
    } catch (err) {
      if (err instanceof AppError) {
        // A refusal the caller must see as such (e.g. 404, 403): not a fault of the handler.
        messages.inc({ subject: contract.subject, role: 'received', outcome: 'app_error' });
        const app_error = { id: err.errorId, status_code: err.getStatus(), detailed_error: err.detailedError };
        return { ok: false, error: { code: 'app_error', message: err.message, app_error } };
      }
      const code = err instanceof BusError ? err.code : 'handler_error';
      messages.inc({ subject: contract.subject, role: 'received', outcome: code });
      if (code === 'handler_error') this.logger.error({ subject: contract.subject, err: errorMessage(err) }, 'request handler failed');
      return { ok: false, error: { code, message: errorMessage(err) } };
    }
  }
}

function encode(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value ?? {}), 'utf8');
}

function decode(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    throw new BusError('invalid_payload', 'message is not JSON');
  }
}

/** A reply too large for the transport becomes an error reply rather than silence and a timeout. */
function encodeReply(envelope: ReplyEnvelope, maxPayload: number): Uint8Array {
  const data = encode(envelope);
  if (data.byteLength <= maxPayload) return data;
  return encode({ ok: false, error: { code: 'payload_too_large', message: `reply of ${data.byteLength} bytes exceeds ${maxPayload}` } });
}

async function toValidated<T extends object>(cls: PayloadClass<T>, plain: unknown, what: string): Promise<T> {
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    throw new BusError('invalid_payload', `${what}: expected a JSON object`);
  }
  const instance = toInstance(cls, plain);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
  if (errors.length > 0) {
    const detail = flatten(errors).map(([path, problems]) => `${path}: ${problems}`);
    throw new BusError('invalid_payload', `${what}: ${detail.join('; ')}`);
  }
  return instance;
}

/** Validation errors as `path: problems`, nested properties included (`remote_cluster.create_at: ...`). */
function flatten(errors: ValidationError[], prefix = ''): [string, string][] {
  return errors.flatMap((e) => {
    const path = `${prefix}${e.property}`;
    const own: [string, string][] = e.constraints ? [[path, Object.values(e.constraints).join(', ')]] : [];
    return [...own, ...flatten(e.children ?? [], `${path}.`)];
  });
}

function errorFromEnvelope(
  error: { code?: string; message?: string; app_error?: { id: string; status_code: number; detailed_error: string } } | undefined,
): Error {
  if (error?.code === 'app_error' && error.app_error) {
    return new AppError(error.app_error.id, error.message ?? '', error.app_error.status_code, error.app_error.detailed_error ?? '');
  }
  return new BusError(asErrorCode(error?.code), error?.message ?? 'error');
}

const ERROR_CODES: BusError['code'][] = ['no_responders', 'timeout', 'payload_too_large', 'invalid_payload', 'handler_error', 'closed'];

function asErrorCode(code: unknown): BusError['code'] {
  return ERROR_CODES.includes(code as BusError['code']) ? (code as BusError['code']) : 'handler_error';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
