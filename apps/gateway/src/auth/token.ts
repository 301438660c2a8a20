import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Request } from 'express';

/** Mattermost's session cookies: the token (HttpOnly), the user id and the CSRF token the webapp echoes in a header. */
export const SESSION_COOKIE_TOKEN = 'MMAUTHTOKEN';
export const SESSION_COOKIE_USER = 'MMUSERID';
export const SESSION_COOKIE_CSRF = 'MMCSRF';

/** Where a request's token came from; a cookie is sent by the browser on its own, so it needs a CSRF check. */
export type TokenLocation = 'header' | 'cookie' | 'query';

/** A bearer token: `Authorization: Bearer|Token <t>` (Mattermost's client), else an `access_token` parameter. */
export function tokenFrom(authorization: string | undefined, accessToken: unknown): string | undefined {
  if (authorization) return /^(?:bearer|token)\s+(\S+)$/i.exec(authorization.trim())?.[1];
  return typeof accessToken === 'string' && accessToken !== '' ? accessToken : undefined;
}

/** One cookie's value from the `Cookie` header, undefined when absent or not decodable. */
export function cookieValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const part of (headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    try {
      const value = decodeURIComponent(part.slice(eq + 1).trim());
      return value === '' ? undefined : value;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** In Mattermost's order: the Authorization header, then the session cookie, then `access_token`. */
export function locateToken(req: Request): { token: string; location: TokenLocation } | undefined {
  const authorization = req.headers.authorization;
  if (authorization) {
    const token = tokenFrom(authorization, undefined);
    return token ? { token, location: 'header' } : undefined;
  }
  const cookie = cookieValue(req.headers, SESSION_COOKIE_TOKEN);
  if (cookie) return { token: cookie, location: 'cookie' };
  const query = tokenFrom(undefined, req.query.access_token);
  return query ? { token: query, location: 'query' } : undefined;
}

export function tokenOf(req: Request): string | undefined {
  return locateToken(req)?.token;
}

/**
 * The token of a websocket upgrade: header or `access_token`, else the session cookie, but the cookie only from a
 * page of this site (the `Origin` is the site's or the request's own host, or absent for non-browser clients): a
 * browser sends the cookie with any site's websocket, and a socket reads everything the user may read.
 */
export function websocketToken(req: IncomingMessage, siteUrl: string): string | undefined {
  const explicit = tokenFrom(req.headers.authorization, new URL(req.url ?? '/', 'http://x').searchParams.get('access_token'));
  if (explicit) return explicit;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return undefined;
    }
    if (host !== req.headers.host && origin !== new URL(siteUrl).origin) return undefined;
  }
  return cookieValue(req.headers, SESSION_COOKIE_TOKEN);
}
