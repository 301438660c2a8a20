import * as http from 'node:http';
import { createConnection, createServer, Server, Socket } from 'node:net';
import { FaultProxy } from './fault-proxy';

/* The chaos suite's TCP fault proxy in front of an echo server on loopback. */

let echo: Server;
let echoPort: number;
let proxy: FaultProxy;

beforeAll(async () => {
  echo = createServer((s) => {
    s.on('error', () => undefined); // the proxy resets it on purpose
    s.pipe(s);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

/** Connects through the proxy; resolves with what came back (all of it, or what came within `waitMs`) and any error. */
function exchange(text: string, waitMs = 2000): Promise<{ echoed: string; error?: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let echoed = '';
    let error: string | undefined;
    let firstMs = -1;
    const socket: Socket = createConnection({ host: '127.0.0.1', port: proxy.port }, () => socket.write(text));
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ echoed, error, ms: firstMs });
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (d) => {
      echoed += d.toString();
      if (firstMs < 0) firstMs = Date.now() - started;
      if (echoed.length >= text.length) done();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
      done();
    });
  });
}

describe('FaultProxy', () => {
  beforeEach(async () => {
    proxy = await FaultProxy.start(echoPort, () => 0.5);
  });
  afterEach(async () => {
    await proxy.close();
  });

  it('forwards both ways when healthy', async () => {
    expect((await exchange('hello')).echoed).toBe('hello');
  });

  it('adds latency and jitter to each direction', async () => {
    proxy.set({ latencyMs: 100, jitterMs: 100 });
    const { echoed, ms } = await exchange('slow');
    expect(echoed).toBe('slow');
    // 100 ms + half of the jitter (the generator always says 0.5), twice (there and back).
    expect(ms).toBeGreaterThanOrEqual(290);
  });

  it('refuses connections while partitioned (refuse), and forwards again once healed', async () => {
    proxy.set({ partition: 'refuse' });
    const cut = await exchange('lost');
    expect(cut.echoed).toBe('');
    expect(cut.error).toBe('ECONNRESET');
    expect(proxy.stats.refused).toBe(1);
    proxy.heal();
    expect((await exchange('back')).echoed).toBe('back');
  });

  it('holds connections without forwarding (hold)', async () => {
    proxy.set({ partition: 'hold' });
    const held = await exchange('held', 500);
    expect(held).toMatchObject({ echoed: '', error: undefined });
  });

  it('resets connections mid-request at the set probability', async () => {
    proxy.set({ resetProbability: 0.6 });
    const reset = await exchange('reset me');
    expect(reset.echoed).toBe('');
    expect(reset.error).toBe('ECONNRESET');
    proxy.set({ resetProbability: 0.4 });
    expect((await exchange('kept')).echoed).toBe('kept');
  });

  it('limits the bandwidth of each direction', async () => {
    proxy.set({ bytesPerSecond: 4000 });
    const text = 'x'.repeat(2000);
    const started = Date.now();
    const { echoed } = await exchange(text, 5000);
    // 2000 bytes at 4000 B/s is 500 ms each way.
    expect(echoed).toBe(text);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });
});

/* The HTTP faults, with a small HTTP server behind the proxy. */
describe('FaultProxy in front of an HTTP server', () => {
  let server: http.Server;
  let requests = 0;
  const body = 'y'.repeat(10_000);

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(body.length) });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(async () => {
    requests = 0;
    proxy = await FaultProxy.start((server.address() as { port: number }).port, () => 0.5);
  });
  afterEach(async () => {
    await proxy.close();
  });

  /** One GET through the proxy: status, announced length, bytes received, and whether the body ended early. */
  function get(): Promise<{ status: number; announced: number; received: number; aborted: boolean }> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: proxy.port, path: '/', agent: false }, (res) => {
        let received = 0;
        let aborted = false;
        res.on('data', (d: Buffer) => (received += d.length));
        res.on('aborted', () => (aborted = true));
        res.on('error', () => (aborted = true));
        res.on('close', () =>
          resolve({
            status: res.statusCode ?? 0,
            announced: Number(res.headers['content-length']),
            received,
            aborted: aborted || !res.complete,
          }),
        );
      });
      req.on('error', reject);
    });
  }

  it('forwards requests and responses whole when healthy', async () => {
    expect(await get()).toEqual({ status: 200, announced: body.length, received: body.length, aborted: false });
  });

  it('cuts a response off part-way through its body', async () => {
    proxy.set({ truncateProbability: 0.6 });
    const cut = await get();
    expect(cut.status).toBe(200);
    expect(cut.aborted).toBe(true);
    expect(cut.received).toBeGreaterThan(0);
    expect(cut.received).toBeLessThan(body.length);
    expect(proxy.stats.truncated).toBe(1);
  });

  it('answers a request itself with an error status, without asking the server', async () => {
    proxy.set({ errorProbability: 0.6, errorStatuses: [502] });
    const answered = await get();
    expect(answered).toMatchObject({ status: 502, aborted: false });
    expect(requests).toBe(0);
    expect(proxy.stats.answered).toEqual({ 502: 1 });
    proxy.heal();
    expect((await get()).status).toBe(200);
    expect(requests).toBe(1);
  });
});
