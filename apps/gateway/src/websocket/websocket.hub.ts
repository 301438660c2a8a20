import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ChannelAccess, WebSocketEvents, WsEvent } from '@fedchat/chat';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_CONFIG, AppConfig, counter, gauge, METRICS_PREFIX, ScheduledJobs } from '@fedchat/common';
import { isValidId, newId } from '@fedchat/crypto';
import { WebSocketEventBatch, WebSocketEventMessage } from '@fedchat/contracts';
import type { IncomingMessage, Server } from 'node:http';
import * as os from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { AuthContext, AuthService } from '../auth/auth.service';
import { websocketToken } from '../auth/token';
import { versionIdOf } from '../client-config/client-config';
import { UsersService } from '../users/users.service';

export const WEBSOCKET_PATH = '/api/v4/websocket';
/** Largest client frame; clients only send small actions. */
const MAX_FRAME_BYTES = 64 * 1024;
/** How long an unauthenticated socket may wait before sending its authentication challenge. */
const AUTH_TIMEOUT_MS = 10_000;
/**
 * Bytes queued for a socket that its client does not read fast enough. Past this the connection is dropped (as
 * Mattermost drops a connection whose send queue is full): a client that stops reading must not make the process
 * grow without bound; it reconnects and reads what it missed through the API.
 */
export const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

const connections = gauge({ name: `${METRICS_PREFIX}websocket_connections`, help: 'Authenticated websocket connections on this process' });
const eventsSent = counter({
  name: `${METRICS_PREFIX}websocket_events_sent_total`,
  help: 'Websocket events sent to clients',
  labelNames: ['event'] as const,
});
const slowDropped = counter({
  name: `${METRICS_PREFIX}websocket_slow_clients_dropped_total`,
  help: 'Websocket connections dropped because their client did not read its events',
});

interface Connection {
  id: string;
  socket: WebSocket;
  userId?: string;
  /** Sequence number of the next server event (the client checks for gaps). */
  seq: number;
  /** Client actions are handled one after another, in arrival order (a ping right after the challenge waits for it). */
  actions: Promise<void>;
  /** Whether the client showed life (a pong or a frame) since the last protocol ping. */
  alive: boolean;
}

interface ClientAction {
  seq?: number;
  action?: string;
  data?: Record<string, unknown>;
}

/**
 * Mattermost's websocket at /api/v4/websocket: token at upgrade or `authentication_challenge`, then `hello`,
 * then events in sequence. Events come from the bus (every gateway process receives every event) and are sent to
 * the sockets of the users in the event's broadcast.
 */
@Injectable()
export class WebSocketHub implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebSocketHub.name);
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly open = new Set<Connection>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly jobs: ScheduledJobs,
    private readonly auth: AuthService,
    private readonly users: UsersService,
    private readonly access: ChannelAccess,
    private readonly events: WebSocketEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `hello` and `ping` carry the server version as `X-Version-Id` does. */
  private get serverVersion(): string {
    return versionIdOf(this.config);
  }

  onApplicationBootstrap(): void {
    const http: Server | undefined = this.adapterHost.httpAdapter?.getHttpServer();
    http?.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== WEBSOCKET_PATH) {
        socket.destroy();
        return;
      }
      this.server.handleUpgrade(req, socket, head, (ws) => void this.accept(ws, req));
    });
    this.jobs.start('gateway.websocket-ping', () => this.pingAll());
  }

  /**
   * A client that vanished without a close frame (network gone, laptop asleep, a socket nobody reads) would stay
   * counted forever: every interval each socket gets a protocol ping, which browsers and Mattermost's apps answer by
   * themselves, and one that has not answered the previous ping is terminated.
   */
  private pingAll(): void {
    for (const conn of this.open) {
      if (!conn.alive) {
        conn.socket.terminate();
        continue;
      }
      conn.alive = false;
      conn.socket.ping();
    }
  }

  beforeApplicationShutdown(): void {
    this.jobs.stop('gateway.websocket-ping');
    if (this.open.size > 0) this.logger.log(`closing ${this.open.size} websocket connections`);
    for (const conn of this.open) conn.socket.close(1001, 'server shutting down');
  }

  private async accept(socket: WebSocket, req: IncomingMessage): Promise<void> {
    const conn: Connection = { id: newId(), socket, seq: 0, actions: Promise.resolve(), alive: true };
    this.open.add(conn);
    socket.on('pong', () => (conn.alive = true));
    socket.on('close', () => {
      this.open.delete(conn);
      if (conn.userId) connections.dec();
    });
    socket.on('error', () => socket.terminate());
    socket.on('message', (raw, isBinary) => {
      conn.alive = true;
      conn.actions = conn.actions.then(() => this.onMessage(conn, raw.toString(), isBinary)).catch(() => undefined);
    });
    // Authenticated at upgrade (Authorization header, access_token, or the browser's session cookie) or, as the JS
    // client does, by challenge.
    const token = websocketToken(req, this.config.siteUrl);
    if (token && (await this.authenticate(conn, token))) return;
    setTimeout(() => {
      if (!conn.userId && socket.readyState === WebSocket.OPEN) socket.close(1008, 'authentication required');
    }, AUTH_TIMEOUT_MS).unref();
  }

  private async authenticate(conn: Connection, token: string): Promise<boolean> {
    const auth = await this.auth.authenticate(token);
    if (!auth) return false;
    await this.greet(conn, auth);
    return true;
  }

  /** The connection belongs to `auth`'s user from now on: `hello`, and the user counts as online. */
  private async greet(conn: Connection, auth: AuthContext): Promise<void> {
    conn.userId = auth.user.id;
    connections.inc();
    this.send(conn, {
      event: 'hello',
      data: { connection_id: conn.id, server_version: this.serverVersion, server_hostname: os.hostname() },
      broadcast: { user_id: auth.user.id },
    });
    await this.users.recordActivity(auth.user.id, 'online').catch(() => undefined);
  }

  private async onMessage(conn: Connection, raw: string, isBinary: boolean): Promise<void> {
    let msg: ClientAction;
    try {
      msg = isBinary ? {} : (JSON.parse(raw) as ClientAction);
    } catch {
      return this.reply(conn, undefined, 'FAIL', undefined, 'api.web_socket_router.bad_json.app_error');
    }
    const seq = typeof msg.seq === 'number' ? msg.seq : undefined;
    if (msg.action === 'authentication_challenge') {
      const token = typeof msg.data?.token === 'string' ? msg.data.token : '';
      if (conn.userId) return this.reply(conn, seq, 'OK');
      // The reply precedes hello, as in Mattermost, so that hello carries sequence number 0.
      const auth = await this.auth.authenticate(token);
      if (!auth) {
        this.reply(conn, seq, 'FAIL', undefined, 'api.web_socket_router.not_authenticated.app_error');
        conn.socket.close(1008, 'authentication failed');
        return;
      }
      this.reply(conn, seq, 'OK');
      await this.greet(conn, auth);
      return;
    }
    if (!conn.userId) return this.reply(conn, seq, 'FAIL', undefined, 'api.web_socket_router.not_authenticated.app_error');
    switch (msg.action) {
      case 'ping':
        return this.reply(conn, seq, 'OK', { text: 'pong', version: this.serverVersion, server_time: Date.now(), node_id: '' });
      case 'user_typing':
        return this.typing(conn, seq, msg.data ?? {});
      case 'get_statuses': {
        const statuses = await this.users.getStatuses([conn.userId]).catch(() => []);
        return this.reply(conn, seq, 'OK', Object.fromEntries(statuses.map((s) => [s.user_id, s.status])));
      }
      default:
        return this.reply(conn, seq, 'FAIL', undefined, 'api.web_socket_router.bad_action.app_error');
    }
  }

  private async typing(conn: Connection, seq: number | undefined, data: Record<string, unknown>): Promise<void> {
    const channelId = data.channel_id;
    const parentId = typeof data.parent_id === 'string' ? data.parent_id : '';
    if (!isValidId(channelId) || !(await this.access.isMember(conn.userId!, channelId))) {
      return this.reply(conn, seq, 'FAIL', undefined, 'api.websocket_handler.invalid_param.app_error');
    }
    await this.events.toChannel(channelId, WsEvent.Typing, { parent_id: parentId, user_id: conn.userId }, [conn.userId!]);
    this.reply(conn, seq, 'OK');
  }

  /** Sends a bus event to this process's sockets of the users it is for. */
  /** The events of a batch, in order, each as if published alone. */
  deliverBatch(batch: WebSocketEventBatch): void {
    for (const { event, data } of batch.events) this.deliver({ event, data, broadcast: batch.broadcast });
  }

  deliver(event: WebSocketEventMessage): void {
    const { user_ids: userIds, omit_users: omit = [], ...broadcast } = event.broadcast;
    const wanted = userIds ? new Set(userIds) : undefined;
    // Serialized once for all its sockets (only `seq` differs): with hundreds of connections the per-socket
    // JSON.stringify of a post was most of the fan-out's CPU.
    let head: string | undefined;
    let sent = 0;
    for (const conn of this.open) {
      if (!conn.userId || (wanted && !wanted.has(conn.userId)) || omit.includes(conn.userId)) continue;
      head ??= serializedHead({
        event: event.event,
        data: event.data,
        broadcast: { omit_users: omit.length ? omit : null, user_id: '', channel_id: '', team_id: '', ...broadcast },
      });
      if (this.sendFrame(conn, head)) sent++;
    }
    if (sent > 0) eventsSent.inc({ event: event.event }, sent);
  }

  private send(conn: Connection, message: { event: string; data: unknown; broadcast: unknown }): void {
    if (this.sendFrame(conn, serializedHead(message))) eventsSent.inc({ event: message.event });
  }

  /** Sends an event serialized up to its `seq`; false if the socket is closed or was dropped as too slow. */
  private sendFrame(conn: Connection, head: string): boolean {
    if (conn.socket.readyState !== WebSocket.OPEN) return false;
    if (conn.socket.bufferedAmount > MAX_QUEUED_BYTES) {
      this.logger.warn(`dropping websocket ${conn.id} of user ${conn.userId}: ${conn.socket.bufferedAmount} bytes unread`);
      slowDropped.inc();
      conn.socket.terminate();
      return false;
    }
    conn.socket.send(`${head}${conn.seq++}}`);
    return true;
  }

  private reply(conn: Connection, seq: number | undefined, status: 'OK' | 'FAIL', data?: unknown, errorId?: string): void {
    if (conn.socket.readyState !== WebSocket.OPEN) return;
    const body: Record<string, unknown> = { status, seq_reply: seq };
    if (data !== undefined) body.data = data;
    if (errorId) body.error = { id: errorId, message: errorId, status_code: 400 };
    conn.socket.send(JSON.stringify(body));
  }
}

/** An event as JSON without its closing brace, ending in `"seq":`; the socket's sequence number and `}` complete it. */
function serializedHead(message: { event: string; data: unknown; broadcast: unknown }): string {
  const json = JSON.stringify({ event: message.event, data: message.data, broadcast: message.broadcast });
  return `${json.slice(0, -1)},"seq":`;
}
