import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { APP_CONFIG, AppConfig, AppError, remoteClusterServiceEnabled } from '@fedchat/common';
import type { NextFunction, Request, Response } from 'express';

/**
 * With the remote cluster service or shared channels switched off, the federation endpoints answer 501 as
 * Mattermost does, before authentication or routing.
 */
@Injectable()
export class FederationSwitchMiddleware implements NestMiddleware {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  use(req: Request, _res: Response, next: NextFunction): void {
    const sharedChannelsRoute =
      req.originalUrl.startsWith('/api/v4/sharedchannels') || /^\/api\/v4\/channels\/[^/]+\/remotes\//.test(req.originalUrl);
    const enabled =
      remoteClusterServiceEnabled(this.config) && (!sharedChannelsRoute || this.config.connectedWorkspaces.enableSharedChannels);
    if (enabled) return next();
    throw new AppError('api.remote_cluster.service_not_enabled.app_error', 'The remote cluster service is not enabled.', 501);
  }
}
