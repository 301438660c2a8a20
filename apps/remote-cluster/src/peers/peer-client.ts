import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig, counter } from '@fedchat/common';
import * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
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

const sent = counter({
  name: 'mattermost_remote_cluster_msg_sent_total',
  help: 'Messages sent to remote clusters',
  labelNames: ['remote_id'] as const,
});
const errors = counter({
  name: 'mattermost_remote_cluster_msg_errors_total',
  help: 'Failed sends to remote clusters',
  labelNames: ['remote_id', 'timeout'] as const,
});

export interface PeerPost {
  remoteId: string;
  siteUrl: string;
  /** Path under the peer's site URL, e.g. `/api/v4/remotecluster/msg`. */
  path: string;
  /** The token we present (`X-RemoteCluster-Token`). */
  token: string;
  body: unknown;
  timeoutMs: number;
}

/**
 * The one place that sends HTTP to peers: JSON POST with the remote-cluster headers (never an Authorization
 * header), a deadline for the whole exchange, no redirects followed, at most 1 MiB read back, and every
 * resolved address checked against the address policy at connect time.
 */
@Injectable()
export class PeerClient {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async postJson<T>(req: PeerPost): Promise<T> {
    sent.inc({ remote_id: req.remoteId });
    try {
      const { status, body } = await this.send(req);
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

  private send(req: PeerPost): Promise<{ status: number; body: string }> {
    // IP literals are connected to without a lookup: siteUrlProblem checks them.
    const problem = siteUrlProblem(req.siteUrl, this.config.remoteCluster.allowPrivateAddresses);
    if (problem) return Promise.reject(new PeerRequestError(`site URL refused: ${problem}`));
    const url = new URL(req.siteUrl.replace(/\/+$/, '') + req.path);
    const payload = Buffer.from(JSON.stringify(req.body), 'utf8');
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(
        url,
        {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': payload.length,
            'X-RemoteCluster-Id': req.remoteId,
            'X-RemoteCluster-Token': req.token,
          },
          lookup: this.checkedLookup(),
          agent: false,
        },
        (res) => {
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
      request.setTimeout(req.timeoutMs, () => request.destroy(new PeerRequestError(`no answer within ${req.timeoutMs} ms`, true)));
      request.on('error', reject);
      request.end(payload);
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
