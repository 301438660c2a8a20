import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { APP_NAMES } from '@fedchat/contracts';
import { startNats, TestNats } from './nats';
import { freePort, waitFor } from './ports';
import { createTestDatabase } from './postgres';
import { SuiteProcess } from './processes';

/** A running suite as the tests see it: where its gateways listen, and how to stop it. */
export interface RunningSuite {
  /** Base URLs of the gateway processes (one in embedded mode). */
  gateways: string[];
  processes: Map<string, SuiteProcess>;
  /** Base URL of each process by name. */
  urls: Map<string, string>;
  stop(): Promise<void>;
  /** Distributed suites: starts a process that exited (or was killed) again, same name, port and settings. */
  restartProcess?(name: string): Promise<void>;
}

/**
 * How long a suite process may take to become ready: generous, since nine processes starting at once on a loaded
 * 2-core machine can take minutes; SUITE_READY_TIMEOUT_MS changes it.
 */
const READY_TIMEOUT_MS = Number(process.env.SUITE_READY_TIMEOUT_MS ?? 300_000);

async function waitReady(proc: SuiteProcess, port: number, probe = '/health/ready'): Promise<void> {
  await waitFor(
    `${proc.name} on port ${port}`,
    async () => {
      if (!proc.running) throw new Error(`${proc.name} exited:\n${proc.log()}`);
      const res = await fetch(`http://127.0.0.1:${port}${probe}`);
      return res.status === 200 ? true : undefined;
    },
    READY_TIMEOUT_MS,
    200,
  );
}

/**
 * Rate limits for servers of tests and benchmarks, which drive hundreds of requests per second from 127.0.0.1 (as
 * many users and peers): the limiter runs but never refuses. The rate limits' own tests set theirs.
 */
export const HIGH_RATE_LIMITS_ENV: Record<string, string> = {
  MM_RATELIMITSETTINGS_PERSEC: '100000',
  MM_RATELIMITSETTINGS_MAXBURST: '100000',
  RATE_LIMIT_LOGIN_PER_MINUTE: '1000000',
  RATE_LIMIT_LOGIN_MAX_BURST: '100000',
  RATE_LIMIT_PEER_PER_SECOND: '100000',
  RATE_LIMIT_PEER_MAX_BURST: '100000',
};

/**
 * The default mode: one process with its own PostgreSQL under a temporary DATA_DIR. A caller that sets DATA_DIR
 * owns that directory (stop keeps it) and, with the same PORT, can start the same instance again: same data, same
 * address, as a peer that went down and came back.
 */
export async function startEmbeddedSuite(env: Record<string, string> = {}): Promise<RunningSuite> {
  const dir = env.DATA_DIR ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-suite-'));
  if (dir) fs.chmodSync(dir, 0o755);
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const proc = SuiteProcess.start('embedded', {
    ...HIGH_RATE_LIMITS_ENV,
    ...env,
    PORT: String(port),
    DATA_DIR: env.DATA_DIR ?? path.join(dir!, 'data'),
  });
  try {
    await waitReady(proc, port);
  } catch (err) {
    // A suite that did not come up in time is stopped: left running, it would keep the test runner from exiting.
    // SIGTERM first, so that it stops its PostgreSQL too; SIGKILL if it does not end.
    const kill = setTimeout(() => void proc.stop('SIGKILL'), 10_000);
    await proc.stop('SIGTERM');
    clearTimeout(kill);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    gateways: [`http://127.0.0.1:${port}`],
    processes: new Map([['embedded', proc]]),
    urls: new Map([['embedded', `http://127.0.0.1:${port}`]]),
    stop: async () => {
      await proc.stop('SIGTERM');
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Distributed mode: every app its own process over a real nats-server and PostgreSQL. `replicas` runs more than one
 * process of an app (e.g. two gateways: clients of one must see events caused through another). SITE_URL is the
 * first gateway's URL.
 */
export interface DistributedSuiteOptions {
  replicas?: Partial<Record<(typeof APP_NAMES)[number], number>>;
  env?: Record<string, string>;
  /** A database of the caller's (it outlives the suite) instead of a copy of the test template. */
  databaseUrl?: string;
  /** A nats-server of the caller's (it outlives the suite) instead of one of the suite's own. */
  natsUrl?: string;
  /** The SITE_URL peers dial, given the first gateway's address (e.g. a fault proxy in front of it). */
  siteUrl?: (gatewayUrl: string) => Promise<string>;
}

export async function startDistributedSuite(options: DistributedSuiteOptions = {}): Promise<RunningSuite> {
  const nats: TestNats | undefined = options.natsUrl ? undefined : await startNats();
  const natsUrl = options.natsUrl ?? nats!.url;
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  // Shared by all processes, as the file volume is in Kubernetes.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-suite-'));
  fs.chmodSync(dataDir, 0o755);
  const processes = new Map<string, SuiteProcess>();
  const planned = APP_NAMES.flatMap((app) =>
    Array.from({ length: options.replicas?.[app] ?? 1 }, (_, i) => ({ app, name: `${app}-${i}` })),
  );
  const ports = await Promise.all(planned.map(() => freePort()));
  const gateways = planned.flatMap((p, i) => (p.app === 'gateway' ? [`http://127.0.0.1:${ports[i]}`] : []));
  const siteUrl = options.siteUrl ? await options.siteUrl(gateways[0]) : gateways[0];
  const launch = async (index: number) => {
    const { app, name } = planned[index];
    const proc = SuiteProcess.start(app, {
      ...HIGH_RATE_LIMITS_ENV,
      PORT: String(ports[index]),
      DATABASE_URL: databaseUrl,
      NATS_URL: natsUrl,
      DATA_DIR: dataDir,
      SITE_URL: siteUrl,
      HOSTNAME: name,
      ...options.env,
    });
    processes.set(name, proc);
    await waitReady(proc, ports[index]);
  };
  const launched = await Promise.allSettled(planned.map((_, i) => launch(i)));
  const failed = launched.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    // The processes that did start would outlive the caller's error (and keep its event loop alive).
    await Promise.all([...processes.values()].map((p) => p.stop('SIGKILL')));
    await nats?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw failed.reason;
  }
  /** Base URLs of every process, by name (`remote-cluster-1`), for /metrics and /health. */
  const urls = new Map(planned.map((p, i) => [p.name, `http://127.0.0.1:${ports[i]}`]));
  return {
    gateways,
    processes,
    urls,
    stop: async () => {
      await Promise.all([...processes.values()].map((p) => p.stop('SIGTERM')));
      await nats?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    restartProcess: async (name) => {
      const index = planned.findIndex((p) => p.name === name);
      if (index < 0) throw new Error(`no process ${name} in this suite`);
      if (processes.get(name)?.running) throw new Error(`process ${name} is still running`);
      await launch(index);
    },
  };
}
