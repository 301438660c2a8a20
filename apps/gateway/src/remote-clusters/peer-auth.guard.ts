import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { AppError, ConnectionCache } from '@fedchat/common';
import { isValidId, tokenMatchesHash } from '@fedchat/crypto';
import { RemoteCluster } from '@fedchat/models';
import type { Request } from 'express';
import { Repository } from 'typeorm';

export type PeerRequest = Request & { remote?: RemoteCluster };

/** Module-wide: `@UseGuards` makes an instance of the guard apart from the provider the rate limiter gets. */
const peerOfRequest = new WeakMap<Request, Promise<RemoteCluster | undefined>>();
/**
 * Live connections with a token hash, by remote id, module-wide for the same reason: a peer's request costs no
 * statement to find its connection (`remote-cluster.connection.changed` drops an entry; see ConnectionCache).
 */
const liveConnections = new ConnectionCache<RemoteCluster>();

/**
 * Authenticates a peer cluster (protocol §3.1): `X-RemoteCluster-Id` names a live connection and
 * `X-RemoteCluster-Token` matches its stored token hash (constant-time). The token is only consulted when the
 * request carries no user credential, as in Mattermost.
 */
@Injectable()
export class PeerAuthGuard implements CanActivate {
  constructor(@InjectRepository(RemoteCluster) private readonly remotes: Repository<RemoteCluster>) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<PeerRequest>();
    const { token, remoteId } = peerCredentials(req);
    if (req.headers.authorization || !token)
      throw AppError.unauthorized('api.context.invalid_token.error', 'Invalid or missing remote cluster token.');
    if (!remoteId) throw AppError.unauthorized('api.context.remote_id_missing.app_error', 'Missing X-RemoteCluster-Id header.');
    const rc = await this.remoteOf(req);
    if (!rc) throw AppError.unauthorized('api.context.invalid_token.error', 'Invalid or missing remote cluster token.');
    req.remote = rc;
    return true;
  }

  /** The peer a request authenticates as, or undefined; looked up once per request (the rate limiter asks too). */
  remoteOf(req: Request): Promise<RemoteCluster | undefined> {
    let found = peerOfRequest.get(req);
    if (!found) {
      found = this.lookUp(req);
      peerOfRequest.set(req, found);
    }
    return found;
  }

  /** Drops this process's cached row of a connection (`remote-cluster.connection.changed` from any process). */
  forgetConnection(remoteId: string): void {
    liveConnections.forget(remoteId);
  }

  private async lookUp(req: Request): Promise<RemoteCluster | undefined> {
    const { token, remoteId } = peerCredentials(req);
    if (req.headers.authorization || !token || !remoteId || !isValidId(remoteId)) return undefined;
    const cached = liveConnections.get(remoteId);
    if (cached && tokenMatchesHash(token, cached.token_hash)) return cached;
    // Unknown here, or a token the cached row refuses: the row is read (it may have changed behind the suite's back).
    const begun = liveConnections.begin();
    const rc = await this.remotes.findOneBy({ remote_id: remoteId, delete_at: 0 });
    if (!rc || rc.token_hash === '') return undefined;
    liveConnections.put(remoteId, rc, begun);
    return tokenMatchesHash(token, rc.token_hash) ? rc : undefined;
  }
}

/**
 * Mattermost's headers, or the `X-MM-RemoteCluster-*` names its sharedchannel service README gives (accepted as
 * aliases; the real names win when both are sent). The suite itself sends the real names.
 */
function peerCredentials(req: Request): { token?: string; remoteId?: string } {
  return {
    token: req.header('x-remotecluster-token') || req.header('x-mm-remotecluster-token'),
    remoteId: req.header('x-remotecluster-id') || req.header('x-mm-remotecluster-id'),
  };
}
