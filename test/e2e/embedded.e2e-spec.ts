import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, postgresProcessesFor, SuiteProcess, waitFor } from '@fedchat/testing';

/**
 * The embedded mode as a user runs it: `node dist/apps/embedded/src/main.js` with only PORT and DATA_DIR,
 * starting and stopping its own PostgreSQL.
 */

const started: SuiteProcess[] = [];
const dirs: string[] = [];

function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-e2e-'));
  fs.chmodSync(dir, 0o755);
  dirs.push(dir);
  return path.join(dir, 'data');
}

async function startEmbedded(port: number, dataDir: string, env: Record<string, string> = {}): Promise<SuiteProcess> {
  const proc = SuiteProcess.start('embedded', { PORT: String(port), DATA_DIR: dataDir, ...env });
  started.push(proc);
  await waitFor(
    `embedded instance on port ${port}`,
    async () => {
      if (!proc.running) throw new Error(`exited early:\n${proc.log()}`);
      const res = await fetch(`http://127.0.0.1:${port}/api/v4/system/ping`);
      return res.status === 200 ? true : undefined;
    },
    60_000,
    200,
  );
  return proc;
}

afterAll(async () => {
  for (const proc of started) await proc.stop('SIGKILL');
  for (const dir of dirs) {
    for (const pid of postgresProcessesFor(path.join(dir, 'data'))) process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('embedded mode', () => {
  it('runs two instances side by side, each with its own port, data and PostgreSQL', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const [dirA, dirB] = [tempDataDir(), tempDataDir()];
    const [a, b] = await Promise.all([startEmbedded(portA, dirA), startEmbedded(portB, dirB, { SITE_URL: 'http://b.example.test' })]);

    for (const port of [portA, portB]) {
      const res = await fetch(`http://127.0.0.1:${port}/api/v4/system/ping?get_server_status=true`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      const body = (await res.json()) as { database_status: string; apps: Record<string, { status: string }> };
      expect(body.database_status).toBe('OK');
      expect(Object.values<{ status: string }>(body.apps).map((s) => s.status)).toEqual(['OK', 'OK', 'OK', 'OK']);
    }
    expect(postgresProcessesFor(dirA)).toHaveLength(1);
    expect(postgresProcessesFor(dirB)).toHaveLength(1);
    expect(b.log()).toContain('site URL http://b.example.test');

    // A third instance on A's data directory must refuse rather than share (and corrupt) it.
    const intruder = SuiteProcess.start('embedded', { PORT: String(await freePort()), DATA_DIR: dirA });
    started.push(intruder);
    const { code } = await intruder.waitForExit();
    expect(code).not.toBe(0);
    expect(intruder.log()).toMatch(/in use by process/);
    expect((await fetch(`http://127.0.0.1:${portA}/api/v4/system/ping`)).status).toBe(200);

    for (const [proc, dir] of [
      [a, dirA],
      [b, dirB],
    ] as const) {
      const exit = await proc.stop('SIGTERM');
      expect(exit).toEqual({ code: 0, signal: null });
      expect(postgresProcessesFor(dir)).toEqual([]);
      expect(fs.existsSync(path.join(dir, 'postgres', 'postmaster.pid'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'suite.pid'))).toBe(false);
    }
  });

  it('restarts cleanly after SIGTERM and after SIGKILL, keeping its data', async () => {
    const port = await freePort();
    const dir = tempDataDir();

    const first = await startEmbedded(port, dir);
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(postgresProcessesFor(dir)).toEqual([]);

    const second = await startEmbedded(port, dir);
    expect(second.log()).not.toMatch(/initialising PostgreSQL cluster/);
    await second.stop('SIGKILL');
    // SIGKILL gives the process no chance to stop its PostgreSQL: it is left behind, holding the data directory.
    expect(postgresProcessesFor(dir)).toHaveLength(1);

    const third = await startEmbedded(port, dir);
    expect(third.log()).toMatch(/left behind by a previous run/);
    expect(postgresProcessesFor(dir)).toHaveLength(1);
    const res = await fetch(`http://127.0.0.1:${port}/api/v4/system/ping?get_server_status=true`);
    expect(res.status).toBe(200);
    expect(await third.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(postgresProcessesFor(dir)).toEqual([]);
  });

  it('exits when its PostgreSQL dies under it, and starts again on the same data', async () => {
    const port = await freePort();
    const dir = tempDataDir();
    const first = await startEmbedded(port, dir);
    const created = await fetch(`http://127.0.0.1:${port}/api/v4/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'survivor', email: 'survivor@example.com', password: 'survivor-password-1' }),
    });
    expect(created.status).toBe(201);

    const [postmaster] = postgresProcessesFor(dir);
    process.kill(postmaster, 'SIGKILL');
    // Unhealthy within its watch interval: it says why and exits, for its supervisor to restart it.
    const exited = await Promise.race([first.waitForExit(), new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
    expect(exited).toEqual({ code: 69, signal: null });
    expect(first.log()).toMatch(/embedded PostgreSQL \(postmaster \d+\) is gone/);

    const second = await startEmbedded(port, dir);
    const login = await fetch(`http://127.0.0.1:${port}/api/v4/users/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login_id: 'survivor', password: 'survivor-password-1' }),
    });
    expect(login.status).toBe(200);
    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('stops at start with a message naming a bad setting', async () => {
    const proc = SuiteProcess.start('embedded', { PORT: 'http', DATA_DIR: tempDataDir(), MM_FILESETTINGS_MAXFILESIZE: '-1' });
    started.push(proc);
    const { code } = await proc.waitForExit();
    expect(code).toBe(78);
    expect(proc.log()).toMatch(/PORT: expected a port/);
    expect(proc.log()).toMatch(/MM_FILESETTINGS_MAXFILESIZE: expected an integer/);
  });
});
