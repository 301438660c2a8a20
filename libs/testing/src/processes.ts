import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root (found upwards, so this works from sources and from compiled output alike). */
export const REPO_ROOT = findRoot(__dirname);

function findRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'nest-cli.json'))) return dir;
  }
  throw new Error(`repository root not found above ${from}`);
}

/** Children still running; killed if this process exits first, so a crashed test or benchmark leaves no orphans. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Stops every suite process still running with SIGTERM, so each stops its own PostgreSQL, and waits for them: for a
 * benchmark or script that is interrupted (a SIGKILL at exit would leave their PostgreSQL servers running).
 */
export async function stopAllSuiteProcesses(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

/** A suite process started from the build output (`npm run build`), as an operator would start it. */
export class SuiteProcess {
  readonly output: string[] = [];
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => this.output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.output.push(d.toString()));
    live.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      }),
    );
  }

  /** `app` is one of the five apps or `embedded`. */
  static start(app: string, env: Record<string, string>): SuiteProcess {
    const entry = path.join(REPO_ROOT, 'dist', 'apps', app, 'src', 'main.js');
    // SUITE_NODE_ARGS: extra node options for every suite process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a benchmark.
    const nodeArgs = (process.env.SUITE_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, entry], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new SuiteProcess(app, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  log(): string {
    return this.output.join('');
  }
}

/** Pids of PostgreSQL processes serving a data directory (`-D <dir>/postgres` on their command line). */
export function postgresProcessesFor(dataDir: string): number[] {
  const pgData = path.join(dataDir, 'postgres');
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (/postgres$/.test(cmdline[0]) && cmdline.includes(pgData)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
