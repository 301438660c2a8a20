import { connect, ErrorCode, NatsConnection, NatsError } from 'nats';
import type { NatsAuth } from '../config/config.schema';
import { BusError, LinkMessage, LinkSubscription, MessageLink } from './message-link';

/** Where the transport reports connection changes (a pino logger in processes). */
export interface BusConnectionLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const SILENT: BusConnectionLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Pause between attempts to reach NATS at start-up. */
const FIRST_CONNECT_RETRY_MS = 2000;

/**
 * NATS core: queue groups for shared work, request/reply for RPC. At start-up it tries for a bounded time (an
 * operator sees each failed attempt); once connected it reconnects for ever, logging each disconnect and reconnect.
 */
export class NatsLink implements MessageLink {
  readonly kind = 'nats' as const;
  private connected = true;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly log: BusConnectionLog,
  ) {
    void this.watchStatus();
  }

  static async connect(
    url: string,
    name: string,
    startup: { timeoutMs?: number; log?: BusConnectionLog; auth?: NatsAuth } = {},
  ): Promise<NatsLink> {
    const log = startup.log ?? SILENT;
    const timeoutMs = startup.timeoutMs ?? 60_000;
    const shown = redactNatsUrls(url);
    const deadline = Date.now() + timeoutMs;
    log.info(`connecting to NATS at ${shown}${startup.auth ? ` as user "${startup.auth.user}"` : ''}`);
    for (let attempt = 1; ; attempt++) {
      try {
        const nc = await connect({
          servers: url.split(',').map((s) => s.trim()),
          name,
          user: startup.auth?.user,
          pass: startup.auth?.password,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1000,
          timeout: Math.max(1000, Math.min(10_000, deadline - Date.now())),
        });
        log.info(`connected to NATS at ${redactNatsUrls(nc.getServer())}`);
        return new NatsLink(nc, log);
      } catch (err) {
        // Wrong credentials do not get better by waiting: stop at once, naming the settings.
        const refused = authFailure(err, startup.auth);
        if (refused) throw refused;
        const reason = err instanceof Error ? err.message : String(err);
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(`could not connect to NATS at ${shown} within ${timeoutMs} ms (${attempt} attempts; last error: ${reason})`);
        }
        log.warn(`NATS at ${shown} not reachable (attempt ${attempt}: ${reason}); retrying for up to ${Math.ceil(left / 1000)} s`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(FIRST_CONNECT_RETRY_MS, left)));
      }
    }
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
      throw translate(err, subject, timeoutMs, this.isConnected());
    }
  }

  subscribe(subject: string, queue: string | undefined, handler: (msg: LinkMessage) => void): LinkSubscription {
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
      const server = redactNatsUrls(String(status.data ?? ''));
      if (status.type === 'disconnect') {
        this.connected = false;
        this.log.warn(`disconnected from NATS at ${server}; reconnecting`);
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.log.info(`reconnected to NATS at ${server}`);
      } else if (status.type === 'error') {
        this.log.error(`NATS connection error: ${server}`);
      } else if (status.type === 'ldm') {
        this.log.warn(`NATS server ${server} is shutting down (lame duck mode); the client will move to another server`);
      }
    }
  }

  private checkSize(data: Uint8Array): void {
    const max = this.maxPayload();
    if (data.byteLength > max) {
      throw new BusError('payload_too_large', `message of ${data.byteLength} bytes exceeds the ${max}-byte limit`);
    }
  }
}

/** NATS server addresses for logs: credentials (`user:password@`, `token@`) are replaced. */
export function redactNatsUrls(urls: string): string {
  return urls
    .split(',')
    .map((u) => u.trim().replace(/^([a-z]+:\/\/)?[^/@]*@/i, (_, scheme: string | undefined) => `${scheme ?? ''}[redacted]@`))
    .join(', ');
}

function translate(err: unknown, subject: string, timeoutMs: number, connected: boolean): Error {
  if (err instanceof NatsError) {
    if (err.code === ErrorCode.NoResponders) return new BusError('no_responders', `no responders for ${subject}`);
    if (err.code === ErrorCode.Timeout) {
      // The requester's own bus link is down: say so, rather than let the reader blame the app that would answer.
      const cause = connected ? '' : ' while this server was disconnected from its NATS message bus';
      return new BusError('timeout', `request on ${subject} timed out after ${timeoutMs} ms${cause}`);
    }
    if (err.code === ErrorCode.MaxPayloadExceeded) return new BusError('payload_too_large', err.message);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** NATS refuses bad credentials at once and for good: say which settings to fix (never their values). */
function authFailure(err: unknown, auth: NatsAuth | undefined): Error | undefined {
  if (!(err instanceof NatsError) || (err.code !== ErrorCode.AuthorizationViolation && err.code !== ErrorCode.AuthenticationExpired)) {
    return undefined;
  }
  const hint = auth
    ? `it refused user "${auth.user}": check NATS_USER and NATS_PASSWORD`
    : 'it requires credentials: set NATS_USER and NATS_PASSWORD';
  return new Error(`NATS authentication failed (${err.message}): ${hint}`);
}
