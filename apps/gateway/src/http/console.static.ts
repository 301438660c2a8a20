import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

/** Where the gateway serves the Connected Workspaces console (apps/console, built into dist/console). */
export const CONSOLE_PATH = '/console';

/**
 * The console only loads its own files and calls its own origin's /api/v4: no inline script or style, no other
 * origin, no framing (clickjacking), no plugins.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * dist/console next to the compiled gateway (`dist/apps/gateway/src/http` → `dist/console`), or, when the gateway runs
 * from its TypeScript sources (tests), the build's dist/console.
 */
export function consoleDirectory(): string | undefined {
  const candidates = [path.resolve(__dirname, '../../../../console'), path.resolve(__dirname, '../../../../dist/console')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
}

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  next();
}

/**
 * Serves the console at /console/: hashed files under assets/ cached for a year (their names change with their
 * content), everything else (index.html) revalidated on every load so that a new build shows at once. Any other
 * path under /console/ that is not a file answers index.html: the console routes in the browser, and a reload of
 * /console/connections/… must find it.
 */
export function serveConsole(app: NestExpressApplication, dir = consoleDirectory()): void {
  app.use(CONSOLE_PATH, securityHeaders);
  if (!dir) {
    app.use(CONSOLE_PATH, (_req: Request, res: Response) => {
      res.status(404).type('text/plain').send('The console is not built: run `npm run build`.\n');
    });
    return;
  }
  const index = fs.readFileSync(path.join(dir, 'index.html'));
  app.useStaticAssets(dir, {
    prefix: CONSOLE_PATH,
    index: false,
    redirect: false,
    setHeaders: (res: Response, file: string) => {
      const hashed = path.relative(dir, file).startsWith(`assets${path.sep}`);
      res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.use(CONSOLE_PATH, (req: Request, res: Response, next: NextFunction) => {
    // A missing hashed file is a real 404 (an old page asking for a replaced build), not the page.
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path.startsWith('/assets/')) return next();
    res.status(200).setHeader('Cache-Control', 'no-cache');
    res.type('text/html; charset=utf-8').send(index);
  });
}
