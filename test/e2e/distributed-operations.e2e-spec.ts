import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, freePort, startNats, SuiteProcess, TEST_PG_URL_ENV, TestNats, waitFor } from '@fedchat/testing';

/**
 * What an operator meets running the apps as processes: a NATS that cannot be reached, a NATS that goes away and
 * comes back, readiness that names what is down (the same on every app), and HOST keeping a port on one address.
 */

const started: SuiteProcess[] = [];
let nats: TestNats;
let natsPort: number;

beforeAll(async () => {
  natsPort = await freePort();
  nats = await startNats({ port: natsPort });
});

afterAll(async () => {
  for (const proc of started) await proc.stop('SIGKILL');
  await nats?.stop();
});

function start(app: string, env: Record<string, string>): SuiteProcess {
  const proc = SuiteProcess.start(app, env);
  started.push(proc);
  return proc;
}

/** The process's log as parsed JSON lines; fails the test on any line that is not JSON. */
function jsonLines(proc: SuiteProcess): Array<Record<string, unknown>> {
  return proc
    .log()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

async function waitReady(proc: SuiteProcess, port: number, host = '127.0.0.1'): Promise<void> {
  await waitFor(
    `${proc.name} ready on ${host}:${port}`,
    async () => {
      if (!proc.running) throw new Error(`${proc.name} exited:\n${proc.log()}`);
      const res = await fetch(`http://${host}:${port}/health/ready`);
      return res.status === 200 ? true : undefined;
    },
    60_000,
    200,
  );
}

describe('distributed mode operations', () => {
  it('with NATS unreachable, logs where it connects and each attempt, then exits 1 after NATS_CONNECT_TIMEOUT_MS', async () => {
    const closedPort = await freePort();
    const proc = start('remote-cluster', {
      PORT: String(await freePort()),
      // Never reached: the bus comes first.
      DATABASE_URL: 'postgres://fedchat:dbsecret@127.0.0.1:1/fedchat',
      NATS_URL: `nats://fedchat:natssecret@127.0.0.1:${closedPort}`,
      NATS_CONNECT_TIMEOUT_MS: '3000',
    });
    const exit = await proc.waitForExit();
    expect(exit).toEqual({ code: 1, signal: null });

    const lines = jsonLines(proc);
    const messages = lines.map((l) => String(l.msg));
    expect(messages).toContain(`connecting to NATS at nats://[redacted]@127.0.0.1:${closedPort}`);
    expect(messages.some((m) => /^NATS at .* not reachable \(attempt 1: /.test(m))).toBe(true);
    expect(messages.some((m) => m.includes(`could not connect to NATS at nats://[redacted]@127.0.0.1:${closedPort} within 3000 ms`))).toBe(
      true,
    );
    expect(messages).toContain('database: 127.0.0.1:1/fedchat as fedchat');
    expect(proc.log()).not.toMatch(/natssecret|dbsecret/);
  });

  it('reports every bad setting at once, as JSON, and exits 78', async () => {
    const proc = start('gateway', { PORT: 'http', LOG_LEVEL: 'loud' });
    expect(await proc.waitForExit()).toEqual({ code: 78, signal: null });
    const [line] = jsonLines(proc);
    expect(line.problems).toEqual([
      expect.stringMatching(/^LOG_LEVEL: /),
      expect.stringMatching(/^PORT: expected a port/),
      'DATABASE_URL: required when the gateway app runs on its own',
      'NATS_URL: required when the gateway app runs on its own',
    ]);
  });

  it('logs losing and regaining NATS; meanwhile readiness names the bus on every app alike', async () => {
    const databaseUrl = await createTestDatabase();
    const [gatewayPort, remoteClusterPort] = [await freePort(), await freePort()];
    const env = { DATABASE_URL: databaseUrl, NATS_URL: nats.url, HOST: '127.0.0.1' };
    const gateway = start('gateway', { ...env, PORT: String(gatewayPort) });
    const remoteCluster = start('remote-cluster', { ...env, PORT: String(remoteClusterPort) });
    await Promise.all([waitReady(gateway, gatewayPort), waitReady(remoteCluster, remoteClusterPort)]);

    const gatewayMessages = jsonLines(gateway).map((l) => String(l.msg));
    expect(gatewayMessages).toContain(`connected to NATS at 127.0.0.1:${natsPort}`);
    expect(gatewayMessages.some((m) => /^database: \S+\/t_[0-9a-f]+ as postgres$/.test(m))).toBe(true);
    expect(
      gatewayMessages.some((m) => /^migrations applied: \d+ \(/.test(m) || m === 'database schema up to date: no pending migrations'),
    ).toBe(true);
    expect(gatewayMessages).toContain(
      `gateway listening on 127.0.0.1 port ${gatewayPort} (bus: nats, site URL http://localhost:${gatewayPort})`,
    );
    // HOST keeps the port on that address: another loopback address (all of 127/8 is loopback) is refused.
    await expect(fetch(`http://127.0.0.2:${gatewayPort}/health/live`)).rejects.toThrow();

    await nats.stop();
    for (const proc of [gateway, remoteCluster]) {
      await waitFor(`${proc.name} to log the disconnect`, async () =>
        /disconnected from NATS at 127\.0\.0\.1/.test(proc.log()) ? true : undefined,
      );
    }
    const bodies = [];
    for (const port of [gatewayPort, remoteClusterPort]) {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(res.status).toBe(503);
      bodies.push(await res.json());
    }
    for (const body of bodies) {
      expect(body).toMatchObject({
        status: 'error',
        error: { bus: { status: 'down', transport: 'nats' } },
        info: { database: { status: 'up' } },
      });
    }
    expect(bodies[0]).toEqual(bodies[1]);

    nats = await startNats({ port: natsPort });
    for (const [proc, port] of [
      [gateway, gatewayPort],
      [remoteCluster, remoteClusterPort],
    ] as const) {
      await waitFor(
        `${proc.name} to log the reconnect`,
        async () => (/reconnected to NATS at 127\.0\.0\.1/.test(proc.log()) ? true : undefined),
        30_000,
      );
      await waitReady(proc, port);
    }
  });

  it('stops at once, as JSON, with advice, when the role may not create tables (no retries)', async () => {
    // Empty: the first migration is what needs to create tables.
    const databaseUrl = await createTestDatabase({ empty: true });
    const role = `t_reader_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: process.env[TEST_PG_URL_ENV] });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
    } finally {
      await admin.end();
    }
    // Since PostgreSQL 15 a role that does not own the database cannot create tables in schema public.
    const asRole = new URL(databaseUrl);
    asRole.username = role;
    const began = Date.now();
    const proc = start('user-sync', { PORT: String(await freePort()), DATABASE_URL: asRole.toString(), NATS_URL: nats.url });
    expect(await proc.waitForExit()).toEqual({ code: 1, signal: null });
    expect(Date.now() - began).toBeLessThan(15_000); // the retries of connection errors take 20 s and more
    const failure = jsonLines(proc).find((l) => String(l.msg).startsWith('start-up failed'));
    expect(failure?.msg).toMatch(/permission denied for schema public/);
    expect(failure?.msg).toMatch(/must own the database, or have CREATE on schema public/);
  });
});
