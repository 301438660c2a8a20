import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { AppError } from '@fedchat/common';
import { isValidId, tokenMatchesHash } from '@fedchat/crypto';
import { RemoteCluster } from '@fedchat/models';
import type { Request } from 'express';
import { Repository } from 'typeorm';

export type PeerRequest = Request & { remote?: RemoteCluster };

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
    const token = req.header('x-remotecluster-token');
    const remoteId = req.header('x-remotecluster-id');
    if (req.headers.authorization || !token)
      throw AppError.unauthorized('api.context.invalid_token.error', 'Invalid or missing remote cluster token.');
    if (!remoteId) throw AppError.unauthorized('api.context.remote_id_missing.app_error', 'Missing X-RemoteCluster-Id header.');
    const rc = isValidId(remoteId) ? await this.remotes.findOneBy({ remote_id: remoteId, delete_at: 0 }) : null;
    if (!rc || rc.token_hash === '' || !tokenMatchesHash(token, rc.token_hash)) {
      throw AppError.unauthorized('api.context.invalid_token.error', 'Invalid or missing remote cluster token.');
    }
    req.remote = rc;
    return true;
  }
}
