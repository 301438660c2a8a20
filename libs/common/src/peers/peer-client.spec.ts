import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { AppConfig } from '../config/config.schema';
import { MAX_RESPONSE_BYTES, PeerClient, PeerRequestError } from './peer-client';

/** What the local server saw of one request. */
interface Seen {
  headers: http.IncomingHttpHeaders;
  bytes: number;
  sha256: string;
  body: Buffer;
}

const MiB = 1024 * 1024;
let server: http.Server;
let base: string;
let handler: (req: http.IncomingMessage, res: http.ServerResponse, seen: Promise<Seen>) => void;

/** Never rejects: a request the client aborts resolves with what arrived. */
function collect(req: http.IncomingMessage, keep: boolean): Promise<Seen> {
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    const kept: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
      if (keep) kept.push(chunk);
    });
    const done = () => resolve({ headers: req.headers, bytes, sha256: hash.digest('hex'), body: Buffer.concat(kept) });
    req.on('end', done);
    req.on('error', done);
  });
}

beforeAll(async () => {
  server = http.createServer((req, res) => handler(req, res, collect(req, Number(req.headers['content-length']) < MiB)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const clients: PeerClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.onApplicationShutdown();
});

/** A client of a server whose SITE_URL is public, so that `auto` refuses the loopback test server. */
function client(allowPrivate: boolean | 'auto' = true): PeerClient {
  const c = new PeerClient({ siteUrl: 'https://chat.example.com', remoteCluster: { allowPrivateAddresses: allowPrivate } } as AppConfig);
  clients.push(c);
  return c;
}

/** `size` bytes generated chunk by chunk (a pattern, so the digest is meaningful), never held whole. */
function generated(size: number, chunk = 64 * 1024): { stream: Readable; sha256: string; pulled: () => number } {
  const hash = createHash('sha256');
  const block = Buffer.alloc(chunk);
  for (let i = 0; i < chunk; i++) block[i] = (i * 31) % 251;
  let left = size;
  let pulled = 0;
  for (let done = 0; done < size; done += chunk) hash.update(block.subarray(0, Math.min(chunk, size - done)));
  const stream = new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(chunk, left);
      left -= n;
      pulled += n;
      this.push(block.subarray(0, n));
    },
  });
  return { stream, sha256: hash.digest('hex'), pulled: () => pulled };
}

const target = () => ({ remoteId: 'r'.repeat(26), siteUrl: base, path: '/api/v4/remotecluster/upload/x', token: 'tok-123' });

describe('PeerClient.postStream', () => {
  it('streams the body with the peer headers and no Authorization header', async () => {
    let seen!: Promise<Seen>;
    handler = (_req, res, s) => {
      seen = s;
      void s.then(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id":"f"}'));
    };
    const body = generated(8 * MiB + 123);
    const answer = await client().postStream({
      ...target(),
      body: body.stream,
      contentLength: 8 * MiB + 123,
      contentType: 'application/octet-stream',
      headers: { 'Content-Range': `bytes 0-${8 * MiB + 122}/${8 * MiB + 123}` },
      idleTimeoutMs: 5000,
    });
    expect(answer).toEqual({ status: 200, body: '{"id":"f"}' });
    const got = await seen;
    expect(got.bytes).toBe(8 * MiB + 123);
    expect(got.sha256).toBe(body.sha256);
    expect(got.headers['x-remotecluster-id']).toBe('r'.repeat(26));
    expect(got.headers['x-remotecluster-token']).toBe('tok-123');
    expect(got.headers['content-range']).toBe(`bytes 0-${8 * MiB + 122}/${8 * MiB + 123}`);
    expect(got.headers.authorization).toBeUndefined();
  });

  it('reads the source only as fast as the peer takes it (backpressure)', async () => {
    let request!: http.IncomingMessage;
    let reply!: http.ServerResponse;
    handler = (req, res) => {
      request = req;
      reply = res;
      req.pause(); // the peer stops reading
    };
    const body = generated(64 * MiB);
    const sending = client().postStream({
      ...target(),
      body: body.stream,
      contentLength: 64 * MiB,
      contentType: 'application/octet-stream',
      idleTimeoutMs: 30_000,
    });
    // While the peer reads nothing, only socket and stream buffers fill: far less than the file.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(body.pulled()).toBeLessThan(16 * MiB);
    request.resume();
    request.on('end', () => reply.writeHead(204).end());
    await expect(sending).resolves.toEqual({ status: 204, body: '' });
    expect(body.pulled()).toBe(64 * MiB);
  });

  it('fails with a timeout when nothing moves for the idle timeout', async () => {
    handler = (req) => req.pause();
    const body = generated(32 * MiB);
    const err = await client()
      .postStream({ ...target(), body: body.stream, contentLength: 32 * MiB, contentType: 'application/octet-stream', idleTimeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerRequestError);
    expect((err as PeerRequestError).timeout).toBe(true);
  });

  it('refuses an answer longer than 1 MiB', async () => {
    handler = (_req, res, s) => void s.then(() => res.writeHead(200).end(Buffer.alloc(MAX_RESPONSE_BYTES + 10, 0x61)));
    const body = generated(1000);
    await expect(
      client().postStream({
        ...target(),
        body: body.stream,
        contentLength: 1000,
        contentType: 'application/octet-stream',
        idleTimeoutMs: 5000,
      }),
    ).rejects.toThrow(/exceeds/);
  });

  it('refuses private addresses unless they are allowed, before sending anything', async () => {
    let called = false;
    handler = (_req, res) => {
      called = true;
      res.end();
    };
    const body = generated(1000);
    await expect(
      client(false).postStream({
        ...target(),
        body: body.stream,
        contentLength: 1000,
        contentType: 'application/octet-stream',
        idleTimeoutMs: 5000,
      }),
    ).rejects.toThrow(
      /^peer address 127\.0\.0\.1 is refused: it is a loopback address \(127\.0\.0\.0\/8\), and REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=false refuses/,
    );
    const byName = generated(1000);
    await expect(
      client(false).postStream({
        ...target(),
        siteUrl: base.replace('127.0.0.1', 'localhost'),
        body: byName.stream,
        contentLength: 1000,
        contentType: 'application/octet-stream',
        idleTimeoutMs: 5000,
      }),
    ).rejects.toThrow(
      /^peer address (127\.0\.0\.1|::1) \(of localhost\) is refused: it is .*loopback.*REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=false/,
    );
    const auto = generated(1000);
    await expect(
      client('auto').postStream({
        ...target(),
        body: auto.stream,
        contentLength: 1000,
        contentType: 'application/octet-stream',
        idleTimeoutMs: 5000,
      }),
    ).rejects.toThrow(/REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=auto allows private and loopback peers only while this server's SITE_URL/);
    expect(called).toBe(false);
  });

  it('hands back an early refusal (e.g. 413) rather than the broken pipe', async () => {
    handler = (req, res) => {
      res.writeHead(413, { Connection: 'close' }).end('{"id":"too_large"}');
      req.destroy();
    };
    const body = generated(64 * MiB);
    const answer = await client()
      .postStream({ ...target(), body: body.stream, contentLength: 64 * MiB, contentType: 'application/octet-stream', idleTimeoutMs: 5000 })
      .catch((e: unknown) => e);
    // Either the answer arrived first, or the connection broke before it could be read: never a success.
    if (answer instanceof PeerRequestError) expect(answer.message).toMatch(/socket|EPIPE|ECONNRESET|body/i);
    else expect(answer).toEqual({ status: 413, body: '{"id":"too_large"}' });
  });
});

describe('PeerClient.postMultipart', () => {
  it('sends one file part under the field name, with the exact Content-Length', async () => {
    let seen!: Promise<Seen>;
    handler = (_req, res, s) => {
      seen = s;
      void s.then(() => res.writeHead(200).end('{"status":"OK"}'));
    };
    const image = Buffer.from('\x89PNG\r\n\x1a\n-not-really-a-png-but-bytes');
    const answer = await client().postMultipart({
      ...target(),
      path: '/api/v4/remotecluster/u/image',
      field: 'image',
      filename: 'profile.png',
      fileContentType: 'image/png',
      body: Readable.from([image]),
      size: image.length,
      idleTimeoutMs: 5000,
    });
    expect(answer.status).toBe(200);
    const got = await seen;
    expect(Number(got.headers['content-length'])).toBe(got.bytes);
    const boundary = /boundary=(.+)$/.exec(String(got.headers['content-type']))![1];
    const text = got.body.toString('latin1');
    expect(text.startsWith(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="profile.png"\r\n`)).toBe(true);
    expect(text.endsWith(`\r\n--${boundary}--\r\n`)).toBe(true);
    expect(got.body.includes(image)).toBe(true);
  });
});

describe('PeerClient connections, deadlines and redirects', () => {
  const json = () => ({ ...target(), path: '/api/v4/remotecluster/msg', body: { hello: 'peer' } });
  let connections = 0;
  const countConnection = () => connections++;
  beforeAll(() => server.on('connection', countConnection));
  afterAll(() => server.off('connection', countConnection));
  beforeEach(() => {
    connections = 0;
    server.closeAllConnections();
  });

  it('keeps one connection alive per peer across requests', async () => {
    handler = (_req, res, s) => void s.then(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"OK"}'));
    const c = client();
    for (let i = 0; i < 5; i++) await expect(c.postJson({ ...json(), timeoutMs: 5000 })).resolves.toEqual({ status: 'OK' });
    const body = generated(100_000);
    await c.postStream({
      ...target(),
      body: body.stream,
      contentLength: 100_000,
      contentType: 'application/octet-stream',
      idleTimeoutMs: 5000,
    });
    expect(connections).toBe(1);
  });

  it('opens parallel connections up to its bound and reuses them', async () => {
    handler = (_req, res, s) => void s.then(() => setTimeout(() => res.writeHead(200).end('{"status":"OK"}'), 50));
    const c = client();
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 4 }, () => c.postJson({ ...json(), timeoutMs: 5000 })));
    }
    expect(connections).toBe(4);
    expect(c.openSockets(base)).toBe(4);
  });

  it('closes the connections of a peer when asked (a deleted connection)', async () => {
    handler = (_req, res, s) => void s.then(() => res.writeHead(200).end('{"status":"OK"}'));
    const c = client();
    let closed = 0;
    server.once('connection', (socket) => socket.on('close', () => closed++));
    await c.postJson({ ...json(), timeoutMs: 5000 });
    expect(c.openSockets(base)).toBe(1);
    c.closePeer(base);
    expect(c.openSockets(base)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(1);
  });

  it('sends again on a fresh connection when a kept-alive one was closed by the peer', async () => {
    let requests = 0;
    handler = (req, res, s) => {
      requests++;
      // The second request arrives on the kept-alive socket: the peer drops it as if it had timed it out.
      if (requests === 2) return void req.socket.destroy();
      void s.then(() => res.writeHead(200).end('{"status":"OK"}'));
    };
    const c = client();
    await c.postJson({ ...json(), timeoutMs: 5000 });
    await expect(c.postJson({ ...json(), timeoutMs: 5000 })).resolves.toEqual({ status: 'OK' });
    expect(requests).toBe(3);
    expect(connections).toBe(2);
  });

  /** Headers at once, then a byte every 50 ms for 3 s: never idle long enough for an idle timeout. */
  const trickle: typeof handler = (_req, res, s) =>
    void s.then(() => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"status":"OK","padding":"');
      let sentBytes = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        if (++sentBytes >= 60) {
          clearInterval(timer);
          res.end('"}');
          return;
        }
        res.write('x');
      }, 50);
    });

  it('cuts a JSON request that trickles past its deadline', async () => {
    handler = trickle;
    const started = Date.now();
    const err = await client()
      .postJson({ ...json(), timeoutMs: 600 })
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(PeerRequestError);
    expect((err as PeerRequestError).message).toMatch(/within the 600 ms deadline/);
    expect((err as PeerRequestError).timeout).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(2000);
  });

  it('cuts an upload whose answer trickles past its deadline, though it never idles', async () => {
    handler = trickle;
    const body = generated(1000);
    const started = Date.now();
    const err = await client()
      .postStream({
        ...target(),
        body: body.stream,
        contentLength: 1000,
        contentType: 'application/octet-stream',
        idleTimeoutMs: 400,
        deadlineMs: 700,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerRequestError);
    expect((err as PeerRequestError).deadline).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('does not follow a redirect: the 3xx is an error naming the status', async () => {
    let redirected = 0;
    handler = (req, res, s) => {
      if (req.url?.startsWith('/elsewhere')) {
        redirected++;
        return void res.writeHead(200).end('{"status":"OK"}');
      }
      void s.then(() => res.writeHead(302, { Location: `${base}/elsewhere` }).end());
    };
    await expect(client().postJson({ ...json(), timeoutMs: 5000 })).rejects.toThrow(
      `peer answered HTTP 302 (a redirect to ${base}/elsewhere); redirects are not followed`,
    );
    const body = generated(1000);
    const err = await client()
      .postStream({ ...target(), body: body.stream, contentLength: 1000, contentType: 'application/octet-stream', idleTimeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerRequestError);
    expect((err as PeerRequestError).status).toBe(302);
    expect(redirected).toBe(0);
  });

  it("reports a peer's Mattermost error message rather than raw JSON", async () => {
    handler = (_req, res, s) =>
      void s.then(() =>
        res
          .writeHead(400, { 'Content-Type': 'application/json' })
          .end(
            JSON.stringify({ id: 'api.remote_cluster.invalid_site_url', message: 'peer address 127.0.0.1 is refused', status_code: 400 }),
          ),
      );
    await expect(client().postJson({ ...json(), timeoutMs: 5000 })).rejects.toThrow(
      'peer answered HTTP 400: peer address 127.0.0.1 is refused',
    );
  });
});
