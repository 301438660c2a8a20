import * as http from 'node:http';
import { ShutdownState } from '@fedchat/common';
import { GatewayHarness } from '../support/gateway-harness';

/*
 * A closing app lets go of kept-alive connections: a peer that sends its next request as soon as an answer comes
 * (a sync retried every few hundred ms) held a cluster's close for ever (seen in sync-federation.int-spec). The
 * race itself is tested deterministically on a bare server in libs/common/src/http/close-kept-alive.spec.ts; this
 * checks that every app is wired to it.
 */

function get(port: number, path: string, agent?: http.Agent): Promise<{ status: number; connection?: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      })
      .on('error', reject);
  });
}

describe('shutdown of an app with kept-alive connections', () => {
  it('answers with Connection: close once shutdown begins, and readiness says it is stopping', async () => {
    const h = await GatewayHarness.start();
    try {
      const port = Number(new URL(await h.listen()).port);
      const before = new http.Agent({ keepAlive: true });
      expect(await get(port, '/api/v4/system/ping', before)).toEqual({ status: 200, connection: 'keep-alive' });
      const idle = Object.values(before.freeSockets).flat()[0]!;
      const idleClosed = new Promise((resolve) => idle.once('close', resolve));
      h.app.get(ShutdownState).beforeApplicationShutdown();
      await idleClosed; // the connection idle when shutdown began
      const after = new http.Agent({ keepAlive: true });
      expect(await get(port, '/api/v4/system/ping', after)).toEqual({ status: 200, connection: 'close' });
      expect((await get(port, '/health/ready')).status).toBe(503);
      before.destroy();
      after.destroy();
    } finally {
      await h.close();
    }
  });
});
