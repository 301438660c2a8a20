import type { Server } from 'node:http';

/**
 * Makes a closing HTTP server let go of kept-alive connections. `server.close()` waits for every open connection and
 * closes only those idle at the moment it is called; a client that sends its next request on a connection as soon as
 * the last answer came (a peer retrying a sync every few hundred ms) keeps that connection busy, and the close waits
 * for ever. Once `closing()` is true, every answer says `Connection: close`, so each connection ends after the
 * request it carries, and the connections idle then are closed at once.
 */
export function closeKeptAliveConnectionsWhen(server: Server, closing: () => boolean): { closeIdle(): void } {
  server.prependListener('request', (_req, res) => {
    if (closing()) res.setHeader('Connection', 'close');
  });
  return { closeIdle: () => server.closeIdleConnections() };
}
