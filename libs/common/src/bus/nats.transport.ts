import { connect, ErrorCode, NatsConnection, NatsError } from 'nats';
import type { NatsAuth } from '../config/config.schema';
import { BusError, BusTransport, TransportMessage, TransportSubscription } from './bus-transport';

/** NATS core: queue groups for shared work, request/reply for RPC. Reconnects for ever. */
export class NatsTransport implements BusTransport {
  readonly kind = 'nats' as const;
  private connected = true;

  private constructor(private readonly nc: NatsConnection) {
    void this.watchStatus();
  }

  static async connect(url: string, name: string, auth?: NatsAuth): Promise<NatsTransport> {
    const nc = await connect({
      servers: url.split(',').map((s) => s.trim()),
      name,
      user: auth?.user,
      pass: auth?.password,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      waitOnFirstConnect: true,
      timeout: 10_000,
    }).catch((err: unknown) => {
      throw explainAuthFailure(err, auth);
    });
    return new NatsTransport(nc);
  }

  maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  publish(subject: string, data: Uint8Array): void {
    this.checkSize(data);
    this.nc.publish(subject, data);
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    this.checkSize(data);
    try {
      const msg = await this.nc.request(subject, data, { timeout: timeoutMs });
      return msg.data;
    } catch (err) {
      throw translate(err, subject, timeoutMs);
    }
  }

  subscribe(subject: string, queue: string | undefined, handler: (msg: TransportMessage) => void): TransportSubscription {
    const sub = this.nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) return;
        handler({
          subject: msg.subject,
          data: msg.data,
          respond: msg.reply ? (reply) => msg.respond(reply) : undefined,
        });
      },
    });
    return { unsubscribe: () => sub.unsubscribe() };
  }

  isConnected(): boolean {
    return this.connected && !this.nc.isClosed();
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.connected = false;
      if (status.type === 'reconnect') this.connected = true;
    }
  }

  private checkSize(data: Uint8Array): void {
    const max = this.maxPayload();
    if (data.byteLength > max) {
      throw new BusError('payload_too_large', `message of ${data.byteLength} bytes exceeds the ${max}-byte limit`);
    }
  }
}

function translate(err: unknown, subject: string, timeoutMs: number): Error {
  if (err instanceof NatsError) {
    if (err.code === ErrorCode.NoResponders) return new BusError('no_responders', `no responders for ${subject}`);
    if (err.code === ErrorCode.Timeout) return new BusError('timeout', `request on ${subject} timed out after ${timeoutMs} ms`);
    if (err.code === ErrorCode.MaxPayloadExceeded) return new BusError('payload_too_large', err.message);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** NATS refuses bad credentials at once and for good: say which settings to fix (never their values). */
function explainAuthFailure(err: unknown, auth: NatsAuth | undefined): unknown {
  if (!(err instanceof NatsError) || (err.code !== ErrorCode.AuthorizationViolation && err.code !== ErrorCode.AuthenticationExpired)) {
    return err;
  }
  const hint = auth
    ? `it refused user "${auth.user}": check NATS_USER and NATS_PASSWORD`
    : 'it requires credentials: set NATS_USER and NATS_PASSWORD';
  return new Error(`NATS authentication failed (${err.message}): ${hint}`);
}
