import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a cluster, for fault tests of file transfer: it forwards everything, records the
 * Content-Range of each upload request, and can break uploads on purpose (cut the connection after some bytes, or
 * answer 503) while every other request goes through.
 */
export class UploadProxy {
  /** The `Content-Range` start of each upload request that reached the proxy, in order. */
  readonly uploadStarts: number[] = [];
  /** What happens to the next upload requests. */
  mode: { kind: 'pass' } | { kind: 'cut'; afterBytes: number } | { kind: 'fail' } = { kind: 'pass' };

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<UploadProxy> {
    const upstream = new URL(target);
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new UploadProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => proxy.forward(req, res, upstream));
    return proxy;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, upstream: URL): void {
    const isUpload = /\/api\/v4\/remotecluster\/upload\//.test(req.url ?? '');
    if (isUpload) {
      const range = /^bytes (\d+)-/.exec(String(req.headers['content-range'] ?? ''));
      this.uploadStarts.push(range ? Number(range[1]) : -1);
    }
    const mode = isUpload ? this.mode : { kind: 'pass' as const };
    if (mode.kind === 'fail') {
      req.resume();
      res.writeHead(503, { 'Content-Type': 'application/json', Connection: 'close' }).end('{"id":"proxy.unavailable"}');
      return;
    }
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    if (mode.kind === 'cut') {
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen >= mode.afterBytes) {
          this.mode = { kind: 'pass' };
          out.destroy();
          req.socket.destroy();
        }
      });
    }
    req.pipe(out);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
