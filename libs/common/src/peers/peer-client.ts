import { Inject, Injectable } from '@nestjs/common';
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
import { refusedAddress, siteUrlProblem } from './address-policy';

/** Mattermost's limits: 15 s for ping and invite confirmation, 60 s for messages, 1 MiB read back. */
export const PING_TIMEOUT_MS = 15_000;
export const SEND_TIMEOUT_MS = 60_000;
export const MAX_RESPONSE_BYTES = 1024 * 1024;

export class PeerRequestError extends Error {
  constructor(
    message: string,
    readonly timeout = false,
    readonly status?: number,
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
  /** Fails when no byte moves either way for this long (a slow but moving transfer may take any time). */
  idleTimeoutMs: number;
}

/** A `multipart/form-data` request with one file part, streamed. */
export interface PeerMultipartPost extends PeerTarget {
  field: string;
  filename: string;
  fileContentType: string;
  body: Readable;
  size: number;
  idleTimeoutMs: number;
}

/** What a peer answered: any status, the body read up to MAX_RESPONSE_BYTES. */
export interface PeerAnswer {
  status: number;
  body: string;
}

interface RawRequest extends PeerTarget {
  headers: Record<string, string | number>;
  /** A buffer, or a stream piped with backpressure. */
  body: Buffer | Readable;
  timeoutMs: number;
}

/**
 * The one place that sends HTTP to peers: POSTs with the remote-cluster headers (never an Authorization header), no
 * redirects followed, at most 1 MiB read back, and every resolved address checked against the address policy at
 * connect time. JSON messages have a deadline; streamed file uploads an idle timeout instead, so that a 1 GiB
 * transfer may take minutes while a stalled one still fails.
 */
@Injectable()
export class PeerClient {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async postJson<T>(req: PeerPost): Promise<T> {
    sent.inc({ remote_id: req.remoteId });
    try {
      const payload = Buffer.from(JSON.stringify(req.body), 'utf8');
      const { status, body } = await this.send({
        ...req,
        headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length },
        body: payload,
      });
      if (status !== 200) throw new PeerRequestError(`peer answered HTTP ${status}: ${body.slice(0, 200)}`, false, status);
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

  /** Streams a body to the peer; answers whatever status the peer gave (the caller judges it). */
  async postStream(req: PeerStreamPost): Promise<PeerAnswer> {
    return this.send({
      ...req,
      headers: { ...req.headers, 'Content-Type': req.contentType, 'Content-Length': req.contentLength },
      timeoutMs: req.idleTimeoutMs,
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

  private send(req: RawRequest): Promise<PeerAnswer> {
    // IP literals are connected to without a lookup: siteUrlProblem checks them.
    const problem = siteUrlProblem(req.siteUrl, this.config.remoteCluster.allowPrivateAddresses);
    if (problem) return Promise.reject(new PeerRequestError(`site URL refused: ${problem}`));
    const url = new URL(req.siteUrl.replace(/\/+$/, '') + req.path);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      let answered = false;
      const request = transport.request(
        url,
        {
          method: 'POST',
          headers: { ...req.headers, 'X-RemoteCluster-Id': req.remoteId, 'X-RemoteCluster-Token': req.token },
          lookup: this.checkedLookup(),
          agent: false,
        },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              request.destroy(new PeerRequestError(`peer answer exceeds ${MAX_RESPONSE_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      request.setTimeout(req.timeoutMs, () => request.destroy(new PeerRequestError(`no progress within ${req.timeoutMs} ms`, true)));
      request.on('error', (err) => reject(err instanceof PeerRequestError ? err : new PeerRequestError(err.message)));
      if (Buffer.isBuffer(req.body)) {
        request.end(req.body);
        return;
      }
      const body = req.body;
      // A peer may answer (e.g. 413) before the body is through and close: its answer wins over the broken pipe.
      pipeline(body, request).catch((err: Error) => {
        if (!answered) request.destroy(new PeerRequestError(`sending the body failed: ${err.message}`));
      });
    });
  }
  /** DNS lookup that refuses addresses the policy forbids (checked after resolution: no rebinding past it). */
  private checkedLookup(): LookupFunction {
    const allowPrivate = this.config.remoteCluster.allowPrivateAddresses;
    return (hostname, options, callback) => {
      dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return callback(err, '', 0);
        const list = addresses as dns.LookupAddress[];
        for (const a of list) {
          const refused = refusedAddress(a.address, allowPrivate);
          if (refused) return callback(new PeerRequestError(`peer address refused: ${refused}`), '', 0);
        }
        if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
        callback(null, list[0].address, list[0].family);
      });
    };
  }
}
