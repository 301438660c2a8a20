import WebSocket from 'ws';
import { WebSocketEvents } from '@fedchat/chat';
import { waitFor } from '@fedchat/testing';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

type Frame = { event?: string; seq?: number; seq_reply?: number; status?: string; data?: any; broadcast?: any; error?: any };

/** A raw websocket client that records every frame, to check the protocol itself. */
class RawClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<number>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(d.toString())));
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }

  /** `autoPong: false` makes a client that no longer answers the server's protocol pings. */
  static async open(url: string, headers: Record<string, string> = {}, autoPong = true): Promise<RawClient> {
    const ws = new WebSocket(url, { headers, autoPong });
    // Listening before the socket opens: a server that knows the caller sends `hello` at once, and that frame can
    // arrive with the upgrade's answer, before code awaiting 'open' runs.
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(action: string, seq: number, data: unknown = {}): void {
    this.ws.send(JSON.stringify({ action, seq, data }));
  }

  async next(match: (f: Frame) => boolean, what: string): Promise<Frame> {
    return waitFor(what, async () => this.frames.find(match), 5000, 20);
  }

  events(): Frame[] {
    return this.frames.filter((f) => f.event !== undefined);
  }
}

let h: GatewayHarness;
let wsUrl: string;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
const clients: RawClient[] = [];

async function connect(user: TestUser, autoPong = true): Promise<RawClient> {
  const c = await RawClient.open(wsUrl, {}, autoPong);
  clients.push(c);
  c.send('authentication_challenge', 1, { token: user.token });
  await c.next((f) => f.event === 'hello', 'hello');
  return c;
}

/** The server's protocol ping period in this file: short, so that dead sockets go within the test's time. */
const PING_INTERVAL_MS = 200;

/** The authenticated connections gauge, read from /metrics as Prometheus would. */
async function connectionsGauge(): Promise<number> {
  const text = (await h.http.get('/metrics').expect(200)).text;
  const line = text.split('\n').find((l) => l.startsWith('fedchat_websocket_connections '));
  return Number(line?.split(' ')[1]);
}

beforeAll(async () => {
  h = await GatewayHarness.start({ WEBSOCKET_PING_INTERVAL_MS: String(PING_INTERVAL_MS) });
  wsUrl = (await h.listen()).replace('http', 'ws') + '/api/v4/websocket';
  admin = await h.signUp('admin');
  alice = await h.signUp('alice', admin);
  bob = await h.signUp('bob', admin);
});
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await h?.close();
});

describe('websocket /api/v4/websocket', () => {
  it('authenticates by challenge, answers it, then says hello with sequence 0', async () => {
    const c = await RawClient.open(wsUrl);
    clients.push(c);
    c.send('authentication_challenge', 1, { token: alice.token });
    const reply = await c.next((f) => f.seq_reply === 1, 'challenge reply');
    expect(reply.status).toBe('OK');
    const hello = await c.next((f) => f.event === 'hello', 'hello');
    expect(hello.seq).toBe(0);
    expect(hello.data.connection_id).toMatch(/^[a-z0-9]{26}$/);
    expect(c.frames.indexOf(reply)).toBeLessThan(c.frames.indexOf(hello));
  });

  it('handles actions in arrival order: a ping right after the challenge is answered as authenticated', async () => {
    const c = await RawClient.open(wsUrl);
    clients.push(c);
    c.send('authentication_challenge', 1, { token: alice.token });
    c.send('ping', 2);
    expect((await c.next((f) => f.seq_reply === 2, 'pong')).status).toBe('OK');
  });

  it('accepts the token at upgrade time', async () => {
    const c = await RawClient.open(wsUrl, { Authorization: `Bearer ${alice.token}` });
    clients.push(c);
    const hello = await c.next((f) => f.event === 'hello', 'hello');
    expect(hello.seq).toBe(0);
  });

  it('refuses a bad token and closes the socket', async () => {
    const c = await RawClient.open(wsUrl);
    c.send('authentication_challenge', 1, { token: 'aaaaaaaaaaaaaaaaaaaaaaaaaa' });
    const reply = await c.next((f) => f.seq_reply === 1, 'challenge reply');
    expect(reply.status).toBe('FAIL');
    expect(await c.closed).toBe(1008);
    expect(c.events()).toEqual([]);
  });

  it('refuses actions before authentication, unknown actions and bad JSON', async () => {
    const c = await RawClient.open(wsUrl);
    clients.push(c);
    c.send('ping', 5);
    expect((await c.next((f) => f.seq_reply === 5, 'reply')).status).toBe('FAIL');
    c.send('authentication_challenge', 6, { token: alice.token });
    await c.next((f) => f.event === 'hello', 'hello');
    c.send('make_coffee', 7);
    expect((await c.next((f) => f.seq_reply === 7, 'reply')).error.id).toBe('api.web_socket_router.bad_action.app_error');
    c.ws.send('{not json');
    await c.next((f) => f.error?.id === 'api.web_socket_router.bad_json.app_error', 'bad json reply');
    c.send('ping', 8);
    expect((await c.next((f) => f.seq_reply === 8, 'pong')).data.text).toBe('pong');
  });

  it('closes the socket on an oversized frame', async () => {
    const c = await connect(alice);
    c.ws.send('x'.repeat(70 * 1024));
    expect(await c.closed).toBe(1009);
  });

  it('delivers typing to the other channel members only, in sequence', async () => {
    const { channelId } = await h.channelWith([alice, bob]);
    const a = await connect(alice);
    const b = await connect(bob);
    const outsider = await connect(admin);
    a.send('user_typing', 2, { channel_id: channelId, parent_id: '' });
    expect((await a.next((f) => f.seq_reply === 2, 'reply')).status).toBe('OK');
    const typing = await b.next((f) => f.event === 'typing', 'typing');
    expect(typing.data).toEqual({ parent_id: '', user_id: alice.id });
    expect(typing.broadcast.channel_id).toBe(channelId);
    await new Promise((r) => setTimeout(r, 200));
    expect(a.events().some((f) => f.event === 'typing')).toBe(false);
    expect(outsider.events().some((f) => f.event === 'typing')).toBe(false);
    const seqs = b.events().map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    outsider.send('user_typing', 3, { channel_id: channelId });
    expect((await outsider.next((f) => f.seq_reply === 3, 'reply')).status).toBe('FAIL');
  });

  it('delivers a batch of channel events (one bus message) to the members, in order, each with its own sequence', async () => {
    const { channelId } = await h.channelWith([alice, bob]);
    const b = await connect(bob);
    const outsider = await connect(admin);
    const events = [1, 2, 3].map((n) => ({ event: 'posted', data: { post: JSON.stringify({ id: `p${n}` }), n } }));
    await h.app.get(WebSocketEvents).toChannelMany(channelId, events);
    await waitFor(
      'three posted events',
      async () => (b.events().filter((f) => f.event === 'posted').length === 3 ? true : undefined),
      5000,
      20,
    );
    const posted = b.events().filter((f) => f.event === 'posted');
    expect(posted.map((f) => f.data.n)).toEqual([1, 2, 3]);
    expect(posted.map((f) => f.broadcast.channel_id)).toEqual([channelId, channelId, channelId]);
    const seqs = b.events().map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    await new Promise((r) => setTimeout(r, 200));
    expect(outsider.events().some((f) => f.event === 'posted')).toBe(false);
  });

  it('broadcasts status changes', async () => {
    const b = await connect(bob);
    await h.as(alice).put(`/api/v4/users/${alice.id}/status`).send({ user_id: alice.id, status: 'away' }).expect(200);
    const change = await b.next(
      (f) => f.event === 'status_change' && f.data.user_id === alice.id && f.data.status === 'away',
      'status_change',
    );
    expect(change.data).toEqual({ status: 'away', user_id: alice.id });
  });

  it('runs slash commands and pushes the ephemeral answer to the caller', async () => {
    const { channelId } = await h.channelWith([alice, bob]);
    const a = await connect(alice);
    const res = await h
      .as(alice)
      .post('/api/v4/commands/execute')
      .send({ channel_id: channelId, command: '/echo "hello there"' })
      .expect(200);
    expect(res.body).toEqual({ response_type: 'ephemeral', text: 'hello there' });
    const eph = await a.next((f) => f.event === 'ephemeral_message', 'ephemeral_message');
    expect(JSON.parse(eph.data.post)).toMatchObject({ channel_id: channelId, message: 'hello there', type: 'system_ephemeral' });
    const away = await h.as(alice).post('/api/v4/commands/execute').send({ channel_id: channelId, command: '/away' }).expect(200);
    expect(away.body.text).toBe('You are now away');
    const unknown = await h.as(alice).post('/api/v4/commands/execute').send({ channel_id: channelId, command: '/nope' }).expect(404);
    expect(unknown.body.id).toBe('api.command.execute_command.not_found.app_error');
    await h.as(alice).post('/api/v4/commands/execute').send({ channel_id: channelId, command: 'no slash' }).expect(400);
    await h.as(admin).post('/api/v4/commands/execute').send({ channel_id: channelId, command: '/echo hi' }).expect(403);
    const list = await h.as(alice).get('/api/v4/commands').expect(200);
    expect(list.body.map((c: { trigger: string }) => c.trigger)).toEqual(
      expect.arrayContaining(['echo', 'away', 'online', 'dnd', 'offline']),
    );
  });

  describe('dead sockets (protocol pings every WEBSOCKET_PING_INTERVAL_MS)', () => {
    it('terminates a client that stops answering pings, and the gauge returns to its true value', async () => {
      const base = await connectionsGauge();
      const responsive = await connect(alice);
      const silent = await connect(bob, false);
      expect(await connectionsGauge()).toBe(base + 2);
      const silentSince = Date.now();
      const closed = await Promise.race([silent.closed, new Promise((r) => setTimeout(() => r('still open'), 5000))]);
      expect(closed).toBe(1006); // terminated: no close frame
      expect(Date.now() - silentSince).toBeLessThan(10 * PING_INTERVAL_MS);
      await waitFor('the gauge to drop', async () => ((await connectionsGauge()) === base + 1 ? true : undefined), 5000, 50);
      // The client that answers pings stays, many intervals later.
      await new Promise((r) => setTimeout(r, 4 * PING_INTERVAL_MS));
      expect(responsive.ws.readyState).toBe(WebSocket.OPEN);
      responsive.send('ping', 9);
      expect((await responsive.next((f) => f.seq_reply === 9, 'pong')).data.text).toBe('pong');
      expect(await connectionsGauge()).toBe(base + 1);
    });

    it('terminates a socket that stopped reading (paused at TCP level, no close frame, no FIN seen)', async () => {
      const base = await connectionsGauge();
      const stalled = await connect(alice);
      expect(await connectionsGauge()).toBe(base + 1);
      stalled.ws.pause();
      const stalledSince = Date.now();
      await waitFor('the gauge to drop', async () => ((await connectionsGauge()) === base ? true : undefined), 5000, 50);
      expect(Date.now() - stalledSince).toBeLessThan(10 * PING_INTERVAL_MS);
    });
  });
});
