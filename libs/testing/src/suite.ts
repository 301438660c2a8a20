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
  stop(): Promise<void>;
}

async function waitReady(proc: SuiteProcess, port: number, probe = '/health/ready'): Promise<void> {
  await waitFor(
    `${proc.name} on port ${port}`,
    async () => {
      if (!proc.running) throw new Error(`${proc.name} exited:\n${proc.log()}`);
      const res = await fetch(`http://127.0.0.1:${port}${probe}`);
      return res.status === 200 ? true : undefined;
    },
    60_000,
    200,
  );
}

/** The default mode: one process with its own PostgreSQL under a temporary DATA_DIR. */
export async function startEmbeddedSuite(env: Record<string, string> = {}): Promise<RunningSuite> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-suite-'));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const proc = SuiteProcess.start('embedded', { PORT: String(port), DATA_DIR: path.join(dir, 'data'), ...env });
  await waitReady(proc, port);
  return {
    gateways: [`http://127.0.0.1:${port}`],
    processes: new Map([['embedded', proc]]),
    stop: async () => {
      await proc.stop('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Distributed mode: every app its own process over a real nats-server and PostgreSQL, with `gateways` gateway
 * replicas (clients of one replica must see events caused through another).
 */
export async function startDistributedSuite(options: { gateways?: number; env?: Record<string, string> } = {}): Promise<RunningSuite> {
  const nats: TestNats = await startNats();
  const databaseUrl = await createTestDatabase();
  // Shared by all processes, as the file volume is in Kubernetes.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-suite-'));
  const processes = new Map<string, SuiteProcess>();
  const gateways: string[] = [];
  const names = [...APP_NAMES.filter((a) => a !== 'gateway'), ...Array.from({ length: options.gateways ?? 1 }, () => 'gateway')];
  await Promise.all(
    names.map(async (app, i) => {
      const port = await freePort();
      const name = app === 'gateway' ? `gateway-${i}` : app;
      const proc = SuiteProcess.start(app, {
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        NATS_URL: nats.url,
        DATA_DIR: dataDir,
        HOSTNAME: name,
        ...options.env,
      });
      processes.set(name, proc);
      await waitReady(proc, port);
      if (app === 'gateway') gateways.push(`http://127.0.0.1:${port}`);
    }),
  );
  return {
    gateways,
    processes,
    stop: async () => {
      await Promise.all([...processes.values()].map((p) => p.stop('SIGTERM')));
      await nats.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
