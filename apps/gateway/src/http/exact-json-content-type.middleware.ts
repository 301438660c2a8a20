import type { NextFunction, Request, Response } from 'express';

/**
 * Mattermost answers JSON with `Content-Type: application/json` exactly, and Mattermost's JS client only parses
 * a body as JSON when the header is exactly that. Express always appends `; charset=utf-8`, so for API
 * responses the header is rewritten as it is set (UTF-8 is JSON's only encoding anyway).
 */
export function exactJsonContentType(_req: Request, res: Response, next: NextFunction): void {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name: string, value: number | string | readonly string[]) => {
    if (name.toLowerCase() === 'content-type' && typeof value === 'string' && /^application\/json\s*;\s*charset=utf-8$/i.test(value)) {
      return setHeader(name, 'application/json');
    }
    return setHeader(name, value);
  };
  next();
}
