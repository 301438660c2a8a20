import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AppConfig } from '../config/config.schema';
import { APP_CONFIG } from '../config/config.tokens';
import { perRemoteCounter } from '../metrics/metrics';
import { PeerAddressPolicy, peerAddressPolicy } from './address-policy';

/**
 * Mattermost's limits (protocol §3.2): 15 s for ping and invite confirmation, 60 s for messages and for each file or
 * image upload request, 1 MiB read back. Each is a deadline for the whole request, answer included.
 */
export const PING_TIMEOUT_MS = 15_000;
export const SEND_TIMEOUT_MS = 60_000;
export const UPLOAD_TIMEOUT_MS = 60_000;
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Connections kept open per peer origin, and how long an unused one stays open. */
export const MAX_SOCKETS_PER_PEER = 32;
const MAX_FREE_SOCKETS_PER_PEER = 8;
export const IDLE_SOCKET_MS = 30_000;
/** An agent with no sockets left that has not been used for this long is dropped. */
const IDLE_AGENT_MS = 5 * 60_000;

export class PeerRequestError extends Error {
  constructor(
    message: string,
    readonly timeout = false,
    readonly status?: number,
    /** The request's overall deadline passed (as opposed to no progress for the idle timeout). */
    readonly deadline = false,
  ) {
    super(message);
    this.name = 'PeerRequestError';
  }
}

const sent = perRemoteCounter({
  name: 'mattermost_remote_cluster_msg_sent_total',
  help: 'Messages sent to remote clusters',
  labelNames: ['remote_id'] as const,
});
const errors = perRemoteCounter({
  name: 'mattermost_remote_cluster_msg_errors_total',
  help: 'Failed sends to remote clusters',
  labelNames: ['remote_id', 'timeout'] as const,
});

/** Where a peer request goes and how it authenticates (`X-RemoteCluster-Id` / `X-RemoteCluster-Token`). */
export interface PeerTarget {
  remoteId: string;
  siteUrl: string;
  /** Path under the peer's site URL, e.g. `/api/v4/remotecluster/msg`. */
  path: string;
  /** The token we present (`X-RemoteCluster-Token`). */
  token: string;
}

export interface PeerPost extends PeerTarget {
  body: unknown;
  timeoutMs: number;
}

/** A request whose body is streamed from `body` (never held whole in memory). */
export interface PeerStreamPost extends PeerTarget {
  body: Readable;
  /** Exact body length; sent as Content-Length. */
  contentLength: number;
  contentType: string;
  /** Extra headers (e.g. Content-Range). */
  headers?: Record<string, string>;
  /** Fails when no byte moves either way for this long. */
  idleTimeoutMs: number;
  /** Deadline of the whole request (default UPLOAD_TIMEOUT_MS); the caller resumes a large file from the peer's offset. */
  deadlineMs?: number;
}

/** A `multipart/form-data` request with one file part, streamed. */
export interface PeerMultipartPost extends PeerTarget {
  field: string;
  filename: string;
  fileContentType: string;
  body: Readable;
  size: number;
  idleTimeoutMs: number;
  deadlineMs?: number;
}

/** What a peer answered: any status but a redirect, the body read up to MAX_RESPONSE_BYTES. */
export interface PeerAnswer {
  status: number;
  body: string;
}

interface RawRequest extends PeerTarget {
  headers: Record<string, string | number>;
  /** A buffer, or a stream piped with backpressure. */
  body: Buffer | Readable;
  deadlineMs: number;
  idleTimeoutMs?: number;
}

interface PeerAgent {
  agent: http.Agent;
  lastUsed: number;
}

/**
 * The one place that sends HTTP to peers: POSTs with the remote-cluster headers (never an Authorization header), at
 * most 1 MiB read back, and every resolved address checked against the address policy at connect time.
 *
 * - Connections are kept alive per peer origin (one Agent each, at most MAX_SOCKETS_PER_PEER sockets; unused sockets
 *   close after IDLE_SOCKET_MS, and all of them when the connection is deleted), so a busy channel does not pay a
 *   TCP (and TLS) handshake per message.
 * - Every request has a deadline for the whole exchange, answer included: a peer that trickles bytes cannot hold a
 *   worker longer. Streamed uploads also fail sooner when nothing moves for their idle timeout.
 * - Redirects are never followed: a 3xx is an error naming the status and the location, so a peer cannot bounce our
 *   authenticated request (with its token) to another host.
 */
@Injectable()
export class PeerClient implements OnApplicationShutdown {
  private readonly policy: PeerAddressPolicy;
  private readonly agents = new Map<string, PeerAgent>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.policy = peerAddressPolicy(config);
  }

  onApplicationShutdown(): void {
    for (const origin of [...this.agents.keys()]) this.closePeer(origin);
  }

  /** Closes every connection kept open to the peer at this site URL (a deleted connection). */
  closePeer(siteUrl: string): void {
    let origin: string;
    try {
      origin = new URL(siteUrl).origin;
    } catch {
      return;
    }
    const entry = this.agents.get(origin);
    if (!entry) return;
    this.agents.delete(origin);
    entry.agent.destroy();
  }

  /** Sockets open to a peer origin (for tests and diagnostics). */
  openSockets(siteUrl: string): number {
    const entry = this.agents.get(new URL(siteUrl).origin);
    if (!entry) return 0;
    const count = (sockets: NodeJS.ReadOnlyDict<unknown[]>) => Object.values(sockets).reduce((n, list) => n + (list?.length ?? 0), 0);
    return count(entry.agent.sockets) + count(entry.agent.freeSockets);
  }

  async postJson<T>(req: PeerPost): Promise<T> {
    sent.inc({ remote_id: req.remoteId });
    try {
      const payload = Buffer.from(JSON.stringify(req.body), 'utf8');
      const { status, body } = await this.send({
        ...req,
        headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length },
        body: payload,
        deadlineMs: req.timeoutMs,
      });
      if (status !== 200) throw new PeerRequestError(`peer answered HTTP ${status}: ${describeAnswer(body)}`, false, status);
      try {
        return JSON.parse(body) as T;
      } catch {
        throw new PeerRequestError('peer answered with invalid JSON');
      }
    } catch (err) {
      const timeout = err instanceof PeerRequestError && err.timeout;
      errors.inc({ remote_id: req.remoteId, timeout: String(timeout) });
      throw err instanceof PeerRequestError ? err : new PeerRequestError(err instanceof Error ? err.message : String(err));
    }
  }

  /** Streams a body to the peer; answers whatever non-redirect status the peer gave (the caller judges it). */
  async postStream(req: PeerStreamPost): Promise<PeerAnswer> {
    return this.send({
      ...req,
      headers: { ...req.headers, 'Content-Type': req.contentType, 'Content-Length': req.contentLength },
      deadlineMs: req.deadlineMs ?? UPLOAD_TIMEOUT_MS,
    });
  }

  /** One file part under `field`, streamed between the multipart boundaries. */
  async postMultipart(req: PeerMultipartPost): Promise<PeerAnswer> {
    const boundary = `----fedchat${randomBytes(12).toString('hex')}`;
    const quoted = (v: string) => v.replace(/["\\\r\n]/g, '_');
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(req.field)}"; filename="${quoted(req.filename)}"\r\n` +
        `Content-Type: ${req.fileContentType}\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const source = req.body;
    async function* parts(): AsyncGenerator<Buffer> {
      yield head;
      for await (const chunk of source) yield chunk as Buffer;
      yield tail;
    }
    return this.postStream({
      ...req,
      body: Readable.from(parts(), { objectMode: false }),
      contentLength: head.length + req.size + tail.length,
      contentType: `multipart/form-data; boundary=${boundary}`,
    });
  }

  private async send(req: RawRequest): Promise<PeerAnswer> {
    // IP literals are connected to without a lookup: siteUrlProblem checks them.
    const problem = this.policy.siteUrlProblem(req.siteUrl);
    if (problem) throw new PeerRequestError(problem);
    const url = new URL(req.siteUrl.replace(/\/+$/, '') + req.path);
    try {
      return await this.attempt(req, url);
    } catch (err) {
      // A kept-alive socket the peer closed while idle fails at once, before the peer saw the request: a buffered
      // body is sent again on a fresh socket (a stream cannot be replayed; its caller resumes from the peer's offset).
      if (err instanceof StaleSocketError && Buffer.isBuffer(req.body)) return this.attempt(req, url);
      throw err instanceof StaleSocketError ? err.failure : err;
    }
  }

  private attempt(req: RawRequest, url: URL): Promise<PeerAnswer> {
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      let answered = false;
      let settled = false;
      // Why we cut the request ourselves: it wins over the socket errors the cut causes, whichever is reported first.
      let cut: PeerRequestError | undefined;
      const cutWith = (err: PeerRequestError) => {
        cut ??= err;
        request.destroy(err);
      };
      const finish = (err: Error | undefined, answer?: PeerAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (err) reject(cut ?? err);
        else resolve(answer!);
      };
      const request = transport.request(
        url,
        {
          method: 'POST',
          headers: { ...req.headers, 'X-RemoteCluster-Id': req.remoteId, 'X-RemoteCluster-Token': req.token },
          lookup: this.checkedLookup(),
          agent: this.agentFor(url),
        },
        (res) => {
          answered = true;
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400) {
            const location = res.headers.location ? ` to ${String(res.headers.location).slice(0, 200)}` : '';
            res.resume();
            request.destroy();
            finish(new PeerRequestError(`peer answered HTTP ${status} (a redirect${location}); redirects are not followed`, false, status));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              cutWith(new PeerRequestError(`peer answer exceeds ${MAX_RESPONSE_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => finish(undefined, { status, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (err) => finish(err instanceof PeerRequestError ? err : new PeerRequestError(err.message)));
          res.on('close', () => {
            if (!res.complete) finish(new PeerRequestError('the connection closed in the middle of the answer'));
          });
        },
      );
      // The deadline runs from now to the last byte of the answer, whatever trickles in between.
      const deadline = setTimeout(
        () => cutWith(new PeerRequestError(`no complete answer within the ${req.deadlineMs} ms deadline`, true, undefined, true)),
        req.deadlineMs,
      );
      if (req.idleTimeoutMs !== undefined) {
        const idle = req.idleTimeoutMs;
        request.setTimeout(idle, () => cutWith(new PeerRequestError(`no progress within ${idle} ms`, true)));
      }
      request.on('error', (err: Error & { code?: string }) => {
        const failure = err instanceof PeerRequestError ? err : new PeerRequestError(err.message);
        const stale = request.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        finish(stale ? new StaleSocketError(failure) : failure);
      });
      request.on('close', () => {
        if (!answered) finish(new PeerRequestError('the connection closed before the peer answered'));
      });
      if (Buffer.isBuffer(req.body)) {
        request.end(req.body);
        return;
      }
      const body = req.body;
      // A peer may answer (e.g. 413) before the body is through and close: its answer wins over the broken pipe.
      pipeline(body, request).catch((err: Error) => {
        if (!answered) cutWith(new PeerRequestError(`sending the body failed: ${err.message}`));
      });
    });
  }

  /** The keep-alive agent of a peer origin; agents left without sockets for long are dropped on the way. */
  private agentFor(url: URL): http.Agent {
    const now = Date.now();
    for (const [origin, entry] of this.agents) {
      if (now - entry.lastUsed > IDLE_AGENT_MS && this.openSockets(origin) === 0) {
        this.agents.delete(origin);
        entry.agent.destroy();
      }
    }
    let entry = this.agents.get(url.origin);
    if (!entry) {
      const options: http.AgentOptions = {
        keepAlive: true,
        maxSockets: MAX_SOCKETS_PER_PEER,
        maxFreeSockets: MAX_FREE_SOCKETS_PER_PEER,
        // On a free socket: closes it after this long unused (requests set their own timeouts while they run).
        timeout: IDLE_SOCKET_MS,
        scheduling: 'lifo',
      };
      entry = { agent: url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options), lastUsed: now };
      this.agents.set(url.origin, entry);
    }
    entry.lastUsed = now;
    return entry.agent;
  }

  /** DNS lookup that refuses addresses the policy forbids (checked after resolution: no rebinding past it). */
  private checkedLookup(): LookupFunction {
    return (hostname, options, callback) => {
      dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return callback(err, '', 0);
        const list = addresses as dns.LookupAddress[];
        for (const a of list) {
          const refused = this.policy.refusal(a.address, hostname);
          if (refused) return callback(new PeerRequestError(refused), '', 0);
        }
        if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
        callback(null, list[0].address, list[0].family);
      });
    };
  }
}

/** A failure on a reused keep-alive socket before any answer: the peer had closed it while idle. */
class StaleSocketError extends Error {
  constructor(readonly failure: PeerRequestError) {
    super(failure.message);
  }
}

/** The `message` of a Mattermost error answer, else the start of the body. */
function describeAnswer(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (parsed && typeof parsed.message === 'string' && parsed.message !== '') return parsed.message.slice(0, 500);
  } catch {
    // not JSON: the raw text below
  }
  return body.slice(0, 200);
}
