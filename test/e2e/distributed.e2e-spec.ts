import { APP_NAMES } from '@fedchat/contracts';
import { createTestDatabase, freePort, startNats, SuiteProcess, TestNats, waitFor } from '@fedchat/testing';

/**
 * The distributed mode: each app its own process, over a real nats-server and PostgreSQL, with a second
 * replica of remote-cluster to show that replicas share work through queue groups.
 */

let nats: TestNats;
let databaseUrl: string;
const procs = new Map<string, SuiteProcess>();
let gatewayPort: number;

async function startApp(name: string, app: string): Promise<SuiteProcess> {
  const port = await freePort();
  const proc = SuiteProcess.start(app, { PORT: String(port), DATABASE_URL: databaseUrl, NATS_URL: nats.url, HOSTNAME: name });
  procs.set(name, proc);
  await waitFor(
    `${name} ready`,
    async () => {
      if (!proc.running) throw new Error(`${name} exited:\n${proc.log()}`);
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      return res.status === 200 ? true : undefined;
    },
    60_000,
    200,
  );
  if (app === 'gateway') gatewayPort = port;
  return proc;
}

async function serverStatus(): Promise<{ httpStatus: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${gatewayPort}/api/v4/system/ping?get_server_status=true`);
  return { httpStatus: res.status, body: await res.json() };
}

beforeAll(async () => {
  nats = await startNats();
  // Empty, and all at once: the migration lock must make concurrent starts that all find migrations to run safe.
  databaseUrl = await createTestDatabase({ empty: true });
  await Promise.all([...APP_NAMES.map((app) => startApp(app, app)), startApp('remote-cluster-2', 'remote-cluster')]);
});

afterAll(async () => {
  for (const proc of procs.values()) await proc.stop('SIGKILL');
  await nats?.stop();
});

describe('distributed mode', () => {
  it('answers a gateway request that crosses NATS to every app', async () => {
    const { httpStatus, body } = await serverStatus();
    expect(httpStatus).toBe(200);
    expect(body.status).toBe('OK');
    expect(body.database_status).toBe('OK');
    for (const app of ['remote-cluster', 'shared-channel-sync', 'file-transfer', 'user-sync']) {
      expect(body.apps[app].status).toBe('OK');
      expect(body.apps[app].instance).toMatch(new RegExp(`^${app}@`));
    }
  });

  it('spreads requests for one app over its replicas', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add((await serverStatus()).body.apps['remote-cluster'].instance);
    expect([...seen].map((s) => s.split(':')[0]).sort()).toEqual(['remote-cluster@remote-cluster', 'remote-cluster@remote-cluster-2']);
  });

  it('keeps answering when a replica stops, and reports an app with no replica left', async () => {
    expect(await procs.get('remote-cluster-2')!.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    for (let i = 0; i < 5; i++) {
      const { body } = await serverStatus();
      expect(body.apps['remote-cluster']).toMatchObject({
        status: 'OK',
        instance: expect.stringMatching(/^remote-cluster@remote-cluster:/),
      });
    }

    expect(await procs.get('user-sync')!.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const { httpStatus, body } = await serverStatus();
    expect(httpStatus).toBe(500);
    expect(body.status).toBe('UNHEALTHY');
    expect(body.apps['user-sync']).toMatchObject({ status: 'UNAVAILABLE' });
    expect(body.apps['file-transfer'].status).toBe('OK');
  });

  it('counts bus traffic in each process’s metrics', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${gatewayPort}/metrics`)).text();
    expect(metrics).toMatch(/fedchat_bus_messages_total\{subject="file-transfer\.app\.health",role="sent",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/fedchat_bus_messages_total\{subject="user-sync\.app\.health",role="sent",outcome="no_responders"\} [1-9]/);
  });

  it('shuts every app down with exit code 0 on SIGTERM', async () => {
    for (const [name, proc] of procs) {
      if (!proc.running) continue;
      expect({ name, exit: await proc.stop('SIGTERM') }).toEqual({ name, exit: { code: 0, signal: null } });
    }
  });
});
