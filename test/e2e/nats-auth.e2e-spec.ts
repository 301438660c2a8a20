import { createTestDatabase, freePort, startNats, SuiteProcess, TestNats, waitFor } from '@fedchat/testing';

/*
 * A distributed app started as operators start it, against a nats-server that requires a user and password:
 * it comes up with NATS_USER/NATS_PASSWORD, and a wrong password stops it at start with a clear message that never
 * shows the password.
 */

const AUTH = { user: 'fedchat', password: 'e2e-n4ts-s3cret' };
let nats: TestNats;
let databaseUrl: string;

beforeAll(async () => {
  nats = await startNats({ auth: AUTH });
  databaseUrl = await createTestDatabase();
});
afterAll(async () => {
  await nats?.stop();
});

async function startUserSync(password: string): Promise<{ proc: SuiteProcess; port: number }> {
  const port = await freePort();
  const proc = SuiteProcess.start('user-sync', {
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    NATS_URL: nats.url,
    NATS_USER: AUTH.user,
    NATS_PASSWORD: password,
  });
  return { proc, port };
}

describe('a distributed app on NATS with user and password', () => {
  it('comes up with the right credentials and exits 0 on SIGTERM', async () => {
    const { proc, port } = await startUserSync(AUTH.password);
    try {
      await waitFor(
        'user-sync ready',
        async () => {
          if (!proc.running) throw new Error(`user-sync exited:\n${proc.log()}`);
          const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
          return res?.status === 200 ? true : undefined;
        },
        60_000,
        200,
      );
    } finally {
      expect((await proc.stop('SIGTERM')).code).toBe(0);
    }
    expect(proc.log()).not.toContain(AUTH.password);
  }, 90_000);

  it('stops at start on a wrong password, naming the settings and not the password', async () => {
    const { proc } = await startUserSync('wrong-e2e-passw0rd');
    const exit = await Promise.race([proc.waitForExit(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000))]);
    if (!exit) await proc.stop('SIGKILL');
    expect(exit?.code).not.toBe(0);
    expect(exit?.code).not.toBeNull();
    expect(proc.log()).toMatch(/NATS authentication failed .*check NATS_USER and NATS_PASSWORD/);
    expect(proc.log()).not.toContain('wrong-e2e-passw0rd');
  }, 60_000);
});
