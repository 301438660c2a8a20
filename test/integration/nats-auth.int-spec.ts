import { loadConfig, NatsLink } from '@fedchat/common';
import { startNats, TestNats, waitFor } from '@fedchat/testing';

/*
 * A nats-server that requires a user and password (as docker-compose.yml and the Kubernetes manifests run it):
 * the transport connects with NATS_USER/NATS_PASSWORD from the configuration, and refuses to start with a clear
 * error when they are wrong or missing.
 */

const AUTH = { user: 'fedchat', password: 'n4ts-s3cret' };
let nats: TestNats;

beforeAll(async () => {
  nats = await startNats({ auth: AUTH });
});
afterAll(async () => {
  await nats?.stop();
});

function config(env: Record<string, string>) {
  return loadConfig('gateway', { DATABASE_URL: 'postgres://u:p@127.0.0.1/fedchat', NATS_URL: nats.url, ...env });
}

describe('NATS with user and password', () => {
  it('connects with NATS_USER and NATS_PASSWORD and carries requests', async () => {
    const { natsUrl, natsAuth } = config({ NATS_USER: AUTH.user, NATS_PASSWORD: AUTH.password });
    const server = await NatsLink.connect(natsUrl!, 'auth-test-server', { auth: natsAuth });
    const client = await NatsLink.connect(natsUrl!, 'auth-test-client', { auth: natsAuth });
    try {
      server.subscribe('test.auth.echo', undefined, (msg) => msg.respond?.(msg.data));
      // The subscription reaches the NATS server asynchronously: a request sent before it got there finds no responders.
      const reply = await waitFor(
        'the echo subscription',
        () => client.request('test.auth.echo', new TextEncoder().encode('hello'), 5000),
        10_000,
      );
      expect(new TextDecoder().decode(reply)).toBe('hello');
      expect(client.isConnected()).toBe(true);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('fails at once with a clear error on a wrong password, without echoing it', async () => {
    const { natsUrl, natsAuth } = config({ NATS_USER: AUTH.user, NATS_PASSWORD: 'wrong-passw0rd' });
    const started = Date.now();
    const error = await NatsLink.connect(natsUrl!, 'auth-test-wrong', { auth: natsAuth }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(/NATS authentication failed .*refused user "fedchat": check NATS_USER and NATS_PASSWORD/);
    expect(error?.message).not.toContain('wrong-passw0rd');
    // Not retried for ever: bad credentials do not fix themselves.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('fails with a clear error when no credentials are set', async () => {
    const { natsUrl, natsAuth } = config({});
    expect(natsAuth).toBeUndefined();
    await expect(NatsLink.connect(natsUrl!, 'auth-test-none', { auth: natsAuth })).rejects.toThrow(
      /NATS authentication failed .*requires credentials: set NATS_USER and NATS_PASSWORD/,
    );
  });
});
