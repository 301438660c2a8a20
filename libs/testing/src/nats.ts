import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect } from 'nats';
import { freePort, waitFor } from './ports';

export interface TestNats {
  url: string;
  stop: () => Promise<void>;
}

/**
 * A real nats-server on a free loopback port (Debian's `nats-server` package; .ci/run installs it), or on `port`:
 * a test that stops the server starts it again there, so that its clients reconnect.
 */
export async function startNats(port?: number): Promise<TestNats> {
  const binary = process.env.NATS_SERVER_BIN ?? 'nats-server';
  if (spawnSync(binary, ['--version']).error) {
    throw new Error(`${binary} not found: install it (apt-get install -y nats-server) or set NATS_SERVER_BIN`);
  }
  port ??= await freePort();
  const child: ChildProcess = spawn(binary, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `nats://127.0.0.1:${port}`;
  await waitFor(`nats-server on ${url}`, async () => {
    const nc = await connect({ servers: url, reconnect: false, timeout: 500 });
    await nc.close();
    return true;
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
