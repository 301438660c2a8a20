import type { Request } from 'express';

/** A bearer token: `Authorization: Bearer|Token <t>` (Mattermost's client), else an `access_token` parameter. */
export function tokenFrom(authorization: string | undefined, accessToken: unknown): string | undefined {
  if (authorization) return /^(?:bearer|token)\s+(\S+)$/i.exec(authorization.trim())?.[1];
  return typeof accessToken === 'string' && accessToken !== '' ? accessToken : undefined;
}

export function tokenOf(req: Request): string | undefined {
  return tokenFrom(req.headers.authorization, req.query.access_token);
}
