import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTestDatabase, freePort, REPO_ROOT, startNats, TestNats, waitFor } from '@fedchat/testing';

/*
 * `npm run start:<app>` must behave as `node dist/apps/<app>/src/main.js` does: SIGTERM to npm's process (what a
 * process manager sends) reaches the app, which drains and exits, and no node process is left behind. Without
 * `exec` in the script, npm's shell takes the signal and the app lives on as an orphan.
 */

const APP = 'user-sync';
let nats: TestNats;
let databaseUrl: string;
let dataDir: string;
/** Set in the app's environment, to find its process (and only its) in /proc. */
const marker = `npm-start-${randomBytes(6).toString('hex')}`;

/** Pids of live processes whose environment carries the marker (npm, its shell and the app inherit it). */
function markedProcesses(): Array<{ pid: number; command: string }> {
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (!environ.split('\0').includes(`FEDCHAT_TEST_MARKER=${marker}`)) continue;
      const command = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      // A zombie has an empty command line: it is gone, only not yet reaped.
      if (command !== '') found.push({ pid: Number(entry), command });
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}

beforeAll(async () => {
  nats = await startNats();
  databaseUrl = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-npm-start-'));
});

afterAll(async () => {
  for (const { pid } of markedProcesses()) process.kill(pid, 'SIGKILL');
  await nats?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe(`npm run start:${APP}`, () => {
  it('exits with the app on SIGTERM to npm, leaving no node process behind', async () => {
    const port = await freePort();
    const npm: ChildProcess = spawn('npm', ['run', '--silent', `start:${APP}`], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? os.tmpdir(),
        NPM_CONFIG_UPDATE_NOTIFIER: 'false',
        FEDCHAT_TEST_MARKER: marker,
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        NATS_URL: nats.url,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    npm.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
    npm.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
    const npmExit = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));

    await waitFor(
      `${APP} ready through npm`,
      async () => {
        if (npm.exitCode !== null) throw new Error(`npm exited early:\n${output.join('')}`);
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      60_000,
      200,
    );
    const app = markedProcesses().find((p) => p.command.includes(`dist/apps/${APP}/src/main.js`));
    expect(app).toBeDefined();

    npm.kill('SIGTERM');
    await npmExit;
    // The app drains first (SHUTDOWN_TIMEOUT_MS at most): give it that long to be gone.
    await waitFor(
      'every process started by npm to exit',
      async () => (markedProcesses().length === 0 ? true : undefined),
      30_000,
      200,
    ).catch(() => undefined);
    expect(markedProcesses()).toEqual([]);
  }, 120_000);
});
