import type { NextFunction, Request, Response } from 'express';

/** Mattermost sets `X-Version-Id` on every answer; the apps read the server version and notice config changes by it. */
export function versionIdHeader(versionId: string) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('X-Version-Id', versionId);
    next();
  };
}
