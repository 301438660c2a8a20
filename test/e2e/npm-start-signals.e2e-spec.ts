import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, postgresProcessesFor, REPO_ROOT, waitFor } from '@fedchat/testing';

/**
 * `npm start` stopped the way a terminal stops it: Ctrl-C sends SIGINT to the whole foreground process group, so
 * npm and node both get it, and npm forwards it to node once more. However many signals arrive, the embedded
 * PostgreSQL must not outlive the suite, and it must shut down cleanly (its log says so).
 */

interface NpmStart {
  child: ChildProcess;
  output: string[];
  dataDir: string;
  exited: Promise<void>;
}

const dirs: string[] = [];
const started: NpmStart[] = [];

async function startWithNpm(): Promise<NpmStart> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-npm-'));
  fs.chmodSync(dir, 0o755);
  dirs.push(dir);
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  // Its own process group (detached), as a shell gives a foreground job: the group is what a terminal signals.
  const child = spawn('npm', ['start'], {
    cwd: REPO_ROOT,
    detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const run = { child, output, dataDir, exited };
  started.push(run);
  await waitFor(
    `npm start on port ${port}`,
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`npm start exited early:\n${output.join('')}`);
      const res = await fetch(`http://127.0.0.1:${port}/api/v4/system/ping`);
      return res.status === 200 ? true : undefined;
    },
    240_000, // includes the build that npm start runs first
    250,
  );
  return run;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** PostgreSQL's own log, from its last start: does it end with a completed shutdown? */
function shutDownCleanly(dataDir: string): boolean {
  const log = fs.readFileSync(path.join(dataDir, 'postgres', 'postgres.log'), 'utf8');
  const lastStart = log.lastIndexOf('database system is ready to accept connections');
  return lastStart !== -1 && log.indexOf('database system is shut down', lastStart) !== -1;
}

async function signalGroupAndWait(run: NpmStart, signals: NodeJS.Signals[]): Promise<void> {
  const pgid = run.child.pid!;
  expect(postgresProcessesFor(run.dataDir).length).toBeGreaterThan(0);
  for (const [i, signal] of signals.entries()) {
    // Apart, so that the kernel does not merge them into one pending signal, as it does with signals sent at once.
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      process.kill(-pgid, signal);
    } catch {
      // the group is already gone
    }
  }
  await waitFor(`process group ${pgid} to end`, async () => (groupAlive(pgid) ? undefined : true), 90_000, 100);
  await run.exited;
}

afterAll(() => {
  for (const run of started) {
    if (run.child.pid && groupAlive(run.child.pid)) process.kill(-run.child.pid, 'SIGKILL');
  }
  for (const dir of dirs) {
    for (const pid of postgresProcessesFor(path.join(dir, 'data'))) process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('npm start stopped through its process group', () => {
  it.each<[string, NodeJS.Signals]>([
    ['Ctrl-C (SIGINT)', 'SIGINT'],
    ['SIGTERM', 'SIGTERM'],
  ])('%s to the group stops the suite and its PostgreSQL cleanly', async (_, signal) => {
    const run = await startWithNpm();
    await signalGroupAndWait(run, [signal]);

    // The suite waits for PostgreSQL before it exits: nothing may be left the moment the group is gone.
    expect(postgresProcessesFor(run.dataDir)).toEqual([]);
    expect(shutDownCleanly(run.dataDir)).toBe(true);
    expect(run.output.join('')).toMatch(/"msg":"stopped"/);
    expect(fs.existsSync(path.join(run.dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  });

  // Each group signal reaches node twice (from the terminal and forwarded by npm): two presses may already count as
  // three signals. Either way the suite ends, and PostgreSQL, asked for a fast shutdown, ends cleanly on its own.
  it.each([2, 3])('%i Ctrl-Cs in a row end the suite, and PostgreSQL still gets its fast shutdown', async (presses) => {
    const run = await startWithNpm();
    await signalGroupAndWait(run, Array<NodeJS.Signals>(presses).fill('SIGINT'));

    await waitFor('PostgreSQL to stop', async () => (postgresProcessesFor(run.dataDir).length === 0 ? true : undefined), 30_000, 100);
    expect(shutDownCleanly(run.dataDir)).toBe(true);
    if (presses === 3) expect(run.output.join('')).toMatch(/received \d times: exiting without finishing in-flight work/);
  });
});
