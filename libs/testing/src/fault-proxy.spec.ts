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
beforeEach(async () => {
  proxy = await FaultProxy.start(echoPort, () => 0.5);
});
afterEach(async () => {
  await proxy.close();
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
});
