import type { NextFunction, Request, Response } from 'express';

/**
 * Repeated slashes in an API path (`/posts/{id}//reactions`, as a popular Python client builds them) are read as
 * one, as Mattermost's router cleans them. Mattermost redirects to the clean path; the suite routes the request
 * there directly, so that a POST stays a POST (clients turn a redirected POST into a GET). Only the path changes,
 * never the query string.
 */
export function cleanApiPath(req: Request, _res: Response, next: NextFunction): void {
  const queryAt = req.url.indexOf('?');
  const path = queryAt === -1 ? req.url : req.url.slice(0, queryAt);
  if (path.includes('//')) {
    const cleaned = path.replace(/\/{2,}/g, '/');
    if (cleaned.startsWith('/api/v4/')) req.url = cleaned + (queryAt === -1 ? '' : req.url.slice(queryAt));
  }
  next();
}
