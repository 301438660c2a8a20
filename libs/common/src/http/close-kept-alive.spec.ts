import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeKeptAliveConnectionsWhen } from './close-kept-alive';

/** A client that sends its next request on the same kept-alive connection as soon as an answer ends. */
function keepSending(port: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const seen = { answers: 0, connectionClose: 0, stopped: false };
  const send = () => {
    if (seen.stopped) return;
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent }, (res) => {
      if (res.headers.connection === 'close') seen.connectionClose++;
      res.resume();
      res.on('end', () => {
        seen.answers++;
        send();
      });
    });
    req.on('error', () => undefined); // refused once the server is gone
    req.end('{}');
  };
  send();
  return { seen, stop: () => ((seen.stopped = true), agent.destroy()) };
}

/** Resolves with 'closed' when server.close() completes, or 'still open' after `ms`. */
function closeWithin(server: http.Server, ms: number): Promise<'closed' | 'still open'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still open'), ms);
    server.close(() => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
}

describe('closeKeptAliveConnectionsWhen', () => {
  let server: http.Server;
  let closing: boolean;
  let handled: number;
  let firstRequest: Promise<void>;

  beforeEach(async () => {
    closing = false;
    handled = 0;
    let arrived!: () => void;
    firstRequest = new Promise((resolve) => (arrived = resolve));
    server = http.createServer((req, res) => {
      handled++;
      arrived();
      req.resume();
      req.on('end', () => setTimeout(() => res.end('{}'), 20));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve)); // an error when a test closed it already
  });

  it('lets a close end although a client keeps sending on its kept-alive connection', async () => {
    const connections = closeKeptAliveConnectionsWhen(server, () => closing);
    const client = keepSending((server.address() as AddressInfo).port);
    try {
      await firstRequest; // the close begins while a request is being answered
      closing = true;
      connections.closeIdle();
      expect(await closeWithin(server, 3000)).toBe('closed');
      expect(handled).toBeLessThanOrEqual(2); // the one in progress, and the one sent after its answer
    } finally {
      client.stop();
    }
  });

  it('closes the kept-alive connections idle when the close begins', async () => {
    const connections = closeKeptAliveConnectionsWhen(server, () => closing);
    const agent = new http.Agent({ keepAlive: true });
    try {
      const port = (server.address() as AddressInfo).port;
      await new Promise<void>((resolve, reject) =>
        http.get({ host: '127.0.0.1', port, agent }, (res) => res.resume().on('end', resolve)).on('error', reject),
      );
      const [socket] = Object.values(agent.freeSockets).flat();
      const ended = new Promise<void>((resolve) => socket!.once('close', () => resolve()));
      closing = true;
      connections.closeIdle();
      await ended;
      expect(socket!.destroyed).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it('keeps connections alive while not closing', async () => {
    closeKeptAliveConnectionsWhen(server, () => closing);
    const client = keepSending((server.address() as AddressInfo).port);
    try {
      await firstRequest;
      await new Promise((r) => setTimeout(r, 200));
      expect(client.seen.answers).toBeGreaterThan(2);
      expect(client.seen.connectionClose).toBe(0);
    } finally {
      client.stop();
    }
  });
});
