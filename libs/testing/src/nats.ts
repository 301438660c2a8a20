import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect } from 'nats';
import { freePort, waitFor } from './ports';

export interface TestNats {
  url: string;
  stop: () => Promise<void>;
  /** SIGKILL, as a crash: no goodbye to the clients. */
  kill: () => Promise<void>;
}

export interface TestNatsOptions {
  /** Listen here instead of on a free port: a test that stops the server starts it again there, so its clients reconnect. */
  port?: number;
  /** Clients must authenticate with this user and password (nats-server `--user`/`--pass`). */
  auth?: { user: string; password: string };
}

/** A real nats-server on a free loopback port (Debian's `nats-server` package; .ci/run installs it). */
export async function startNats(options: TestNatsOptions = {}): Promise<TestNats> {
  const binary = process.env.NATS_SERVER_BIN ?? 'nats-server';
  if (spawnSync(binary, ['--version']).error) {
    throw new Error(`${binary} not found: install it (apt-get install -y nats-server) or set NATS_SERVER_BIN`);
  }
  const port = options.port ?? (await freePort());
  const authArgs = options.auth ? ['--user', options.auth.user, '--pass', options.auth.password] : [];
  const child: ChildProcess = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), ...authArgs], { stdio: 'ignore' });
  const url = `nats://127.0.0.1:${port}`;
  await waitFor(`nats-server on ${url}`, async () => {
    const nc = await connect({ servers: url, reconnect: false, timeout: 500, user: options.auth?.user, pass: options.auth?.password });
    await nc.close();
    return true;
  });
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  return { url, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}
