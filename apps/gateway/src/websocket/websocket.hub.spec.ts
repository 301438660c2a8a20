import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import type { HttpAdapterHost } from '@nestjs/core';
import type { ChannelAccess, WebSocketEvents } from '@fedchat/chat';
import { AppConfig, loadConfig, ScheduledJobs } from '@fedchat/common';
import type { AuthContext, AuthService } from '../auth/auth.service';
import type { UsersService } from '../users/users.service';
import { MAX_QUEUED_BYTES, WEBSOCKET_PATH, WebSocketHub } from './websocket.hub';

/*
 * The websocket hub's fan-out on a real HTTP server with real clients; its collaborators (sessions, statuses) are
 * stubs: what is under test is what one event costs per connection, and what a client that stops reading costs.
 */

const USER_ID = 'u'.repeat(26);
const TOKEN = 't'.repeat(26);

describe('WebSocketHub', () => {
  let server: http.Server;
  let hub: WebSocketHub;
  let url: string;
  let authentications: number;
  const clients: WebSocket[] = [];

  beforeEach(async () => {
    authentications = 0;
    server = http.createServer();
    const auth = {
      authenticate: async (token: string): Promise<AuthContext | undefined> => {
        authentications++;
        return token === TOKEN ? ({ user: { id: USER_ID }, sessionId: 's' } as AuthContext) : undefined;
      },
    } as unknown as AuthService;
    const users = { recordActivity: async () => undefined } as unknown as UsersService;
    const jobs = { start: () => undefined, stop: () => undefined } as unknown as ScheduledJobs;
    const config: AppConfig = loadConfig('embedded', {});
    const adapterHost = { httpAdapter: { getHttpServer: () => server } } as unknown as HttpAdapterHost;
    hub = new WebSocketHub(adapterHost, jobs, auth, users, {} as ChannelAccess, {} as WebSocketEvents, config);
    hub.onApplicationBootstrap();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}${WEBSOCKET_PATH}`;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    hub.beforeApplicationShutdown();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A client authenticated by challenge, as Mattermost's JS client does; resolves at its `hello`. */
  async function connect(): Promise<{ socket: WebSocket; frames: string[] }> {
    const socket = new WebSocket(url);
    clients.push(socket);
    const frames: string[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.on('open', () => socket.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token: TOKEN } })));
      socket.on('message', (raw: Buffer) => {
        frames.push(raw.toString());
        if (raw.toString().includes('"event":"hello"')) resolve();
      });
      socket.on('error', reject);
    });
    return { socket, frames };
  }

  const until = async (what: () => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!what() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return what();
  };

  it('looks a challenge token up once per connection', async () => {
    await connect();
    await connect();
    expect(authentications).toBe(2);
  });

  it('serializes an event once for all its sockets, each frame with the socket own sequence number', async () => {
    const a = await connect();
    const b = await connect();
    const c = await connect();
    let serialized = 0;
    const data = { post: '{"id":"p"}', toJSON: () => (serialized++, { post: '{"id":"p"}' }) };
    hub.deliver({ event: 'posted', data, broadcast: { channel_id: 'c'.repeat(26) } });
    expect(await until(() => [a, b, c].every((x) => x.frames.length === 3))).toBe(true);
    expect(serialized).toBe(1);
    for (const x of [a, b, c]) {
      const frame = JSON.parse(x.frames[2]) as Record<string, unknown>;
      expect(frame).toEqual({
        event: 'posted',
        data: { post: '{"id":"p"}' },
        broadcast: { omit_users: null, user_id: '', channel_id: 'c'.repeat(26), team_id: '' },
        seq: 1,
      });
    }
  });

  it('drops a connection whose client stops reading, instead of queueing for it without bound', async () => {
    const slow = await connect();
    const reader = await connect();
    // The slow client's socket reads nothing more: the kernel's buffers fill, then the hub's queue.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = 'x'.repeat(256 * 1024);
    const events = Math.ceil((3 * MAX_QUEUED_BYTES) / big.length);
    for (let i = 0; i < events; i++) {
      hub.deliver({ event: 'posted', data: { post: big }, broadcast: {} });
      // The reader keeps up; its frames drain between events.
      await new Promise((r) => setImmediate(r));
    }
    let slowClosed = false;
    slow.socket.on('close', () => (slowClosed = true));
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await until(() => slowClosed, 30_000)).toBe(true);
    expect(await until(() => reader.frames.length === events + 2, 30_000)).toBe(true);
    expect(reader.socket.readyState).toBe(WebSocket.OPEN);
  }, 120_000);
});
