import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Two Prosody servers on loopback federating over server-to-server, for the anchor benchmark (docs/benchmarks.md,
 * "Anchor: Prosody"). Each runs as a child process from a config generated into a temporary directory; nothing of
 * the system's Prosody service or its /etc/prosody is used.
 *
 * Names: the two virtual hosts are `a.localhost` and `b.localhost`, with the MUC service `conference.a.localhost`
 * on A. Prosody finds a peer through DNS (SRV, then A/AAAA), which knows none of these names; a small plugin written
 * into the temporary directory (`mod_bench_static_routes`) answers s2s connection targets for these names from the
 * config instead (127.0.0.1 and the peer's s2s port), so no DNS server or /etc/hosts entry is needed.
 *
 * Federation is authenticated by dialback over plain TCP (no TLS, no certificates): the suite's own bench federates
 * over plain HTTP on loopback too.
 */

export const DOMAIN_A = 'a.localhost';
export const DOMAIN_B = 'b.localhost';
export const MUC_DOMAIN_A = `conference.${DOMAIN_A}`;

export interface ProsodyServer {
  name: string;
  domain: string;
  c2sPort: number;
  s2sPort: number;
  process: ChildProcess;
  logFile: string;
}

export interface ProsodyPair {
  a: ProsodyServer;
  b: ProsodyServer;
  dir: string;
  /** Stops both servers (SIGTERM, SIGKILL after a grace period) and removes the temporary directory. */
  stop(): Promise<void>;
}

export const PROSODY_BINARY = process.env.PROSODY_BINARY ?? '/usr/bin/prosody';

/** Replaces Prosody's DNS-based choice of an s2s connection target for the names in `bench_static_routes`. */
const STATIC_ROUTES_PLUGIN = `-- Written by fedchat's Prosody anchor benchmark (test/bench/prosody/servers.ts).
-- Outgoing s2s connections to the hosts named in bench_static_routes go to the address given there, without DNS.
local service = require "net.resolvers.service";
local manual = require "net.resolvers.manual";

local routes = module:get_option("bench_static_routes", {});
local resolve_by_dns = service.new;

service.new = function (hostname, service_name, conn_type, extra)
	local route = routes[hostname];
	if route == nil then
		return resolve_by_dns(hostname, service_name, conn_type, extra);
	end
	if service_name ~= "xmpp-server" then
		-- Direct TLS (xmpps-server) is not offered by these servers.
		return manual.new({}, conn_type, extra);
	end
	return manual.new({ { (conn_type or "tcp") .. "4", route[1], route[2], extra } }, conn_type, extra);
end

function module.unload()
	service.new = resolve_by_dns;
end
`;

/** A Lua string literal; the paths and host names written here are ASCII, where JSON's escapes are also Lua's. */
function lua(value: string): string {
  return JSON.stringify(value);
}

/**
 * Prosody's network defaults are kept (Nagle's algorithm on, like Node's sockets); BENCH_PROSODY_NODELAY=1 turns it
 * off on both servers (network_settings) and on the bench's client sockets, to see what it costs.
 */
export function noDelay(): boolean {
  return process.env.BENCH_PROSODY_NODELAY === '1';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Prosody refuses to run as root (mod_posix). When this process is root, the servers run as the `prosody` user of
 * the Debian package (or `nobody` without it); otherwise as the current user.
 */
function unprivilegedIds(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const user of ['prosody', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
      if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid };
    } catch {
      // no such user: try the next
    }
  }
  throw new Error('running as root and neither a "prosody" nor a "nobody" user exists to run Prosody as');
}

/** `setpriv --pdeathsig KILL` makes the kernel kill a server if this process dies without cleaning up (SIGKILL). */
function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function config(opts: {
  dir: string;
  domain: string;
  mucDomain?: string;
  c2sPort: number;
  s2sPort: number;
  routes: Record<string, number>;
  logLevel: string;
  nagle: boolean;
}): string {
  const routes = Object.entries(opts.routes)
    .map(([host, port]) => `  [${lua(host)}] = { "127.0.0.1", ${port} };`)
    .join('\n');
  return `-- Generated by fedchat's Prosody anchor benchmark; removed when the benchmark ends.
pidfile = ${lua(path.join(opts.dir, 'prosody.pid'))}
data_path = ${lua(path.join(opts.dir, 'data'))}
plugin_paths = { ${lua(path.join(opts.dir, '..', 'plugins'))} }
log = { { levels = { min = ${lua(opts.logLevel)} }, to = "file", filename = ${lua(path.join(opts.dir, 'prosody.log'))} } }

interfaces = { "127.0.0.1" }
c2s_ports = { ${opts.c2sPort} }
s2s_ports = { ${opts.s2sPort} }
c2s_direct_tls_ports = {}
s2s_direct_tls_ports = {}
${opts.nagle ? '' : 'network_settings = { nagle = false }\n'}
modules_enabled = { "saslauth", "disco", "dialback", "bench_static_routes" }
bench_static_routes = {
${routes}
}

-- Plain TCP, authenticated by dialback (see servers.ts).
c2s_require_encryption = false
s2s_require_encryption = false
s2s_secure_auth = false

-- Clients log in with SASL ANONYMOUS (no accounts to create); their messages must still cross to the peer.
authentication = "anonymous"
allow_anonymous_s2s = true
storage = "internal"

VirtualHost ${lua(opts.domain)}
${
  opts.mucDomain
    ? `
Component ${lua(opts.mucDomain)} "muc"
  -- A room is usable as soon as its first occupant has joined (no configuration form round trip).
  muc_room_locking = false
`
    : ''
}`;
}

async function waitForPort(port: number, server: ProsodyServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.process.exitCode !== null || server.process.signalCode !== null) {
      throw new Error(
        `prosody ${server.name} exited while starting (${server.process.exitCode ?? server.process.signalCode}):\n${tail(server)}`,
      );
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`prosody ${server.name} did not listen on ${port} within ${timeoutMs} ms:\n${tail(server)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** User and system CPU seconds a server has used so far (Linux /proc; NaN elsewhere). */
export function cpuSecondsOf(server: ProsodyServer): number {
  try {
    const stat = fs.readFileSync(`/proc/${server.process.pid}/stat`, 'utf8');
    // Fields after the command name (in parentheses, which may contain spaces): utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}
/** USER_HZ, 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The end of a server's log, for error messages. */
export function tail(server: ProsodyServer, lines = 30): string {
  try {
    return fs.readFileSync(server.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const running = new Set<ChildProcess>();
const temporaryDirs = new Set<string>();

/** Last resort when the benchmark is interrupted: no Prosody is left behind (the `finally` blocks do the rest). */
function killAllSync(): void {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of temporaryDirs) fs.rmSync(dir, { recursive: true, force: true });
}
let exitHookInstalled = false;
function installExitHooks(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllSync();
      process.exit(128 + (os.constants.signals[signal] ?? 0));
    });
  }
}

async function stopServer(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    running.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  running.delete(child);
}

export async function startProsodyPair(options: { logLevel?: string } = {}): Promise<ProsodyPair> {
  if (!fs.existsSync(PROSODY_BINARY)) throw new Error(`${PROSODY_BINARY} not found: install Debian's "prosody" package`);
  installExitHooks();
  const ids = unprivilegedIds();
  const logLevel = options.logLevel ?? process.env.BENCH_PROSODY_LOG_LEVEL ?? 'warn';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-prosody-'));
  temporaryDirs.add(dir);
  const [c2sA, s2sA, c2sB, s2sB] = [await freePort(), await freePort(), await freePort(), await freePort()];

  fs.mkdirSync(path.join(dir, 'plugins'));
  fs.writeFileSync(path.join(dir, 'plugins', 'mod_bench_static_routes.lua'), STATIC_ROUTES_PLUGIN);
  const layouts: Array<{
    name: string;
    domain: string;
    mucDomain?: string;
    c2sPort: number;
    s2sPort: number;
    routes: Record<string, number>;
  }> = [
    { name: 'A', domain: DOMAIN_A, mucDomain: MUC_DOMAIN_A, c2sPort: c2sA, s2sPort: s2sA, routes: { [DOMAIN_B]: s2sB } },
    { name: 'B', domain: DOMAIN_B, c2sPort: c2sB, s2sPort: s2sB, routes: { [DOMAIN_A]: s2sA, [MUC_DOMAIN_A]: s2sA } },
  ];
  for (const layout of layouts) {
    const serverDir = path.join(dir, layout.name);
    fs.mkdirSync(path.join(serverDir, 'data'), { recursive: true });
    // Looked in at startup even without TLS; an empty one keeps an error line out of the log.
    fs.mkdirSync(path.join(serverDir, 'certs'));
    fs.writeFileSync(path.join(serverDir, 'prosody.cfg.lua'), config({ dir: serverDir, logLevel, nagle: !noDelay(), ...layout }));
  }
  if (ids) execFileSync('chown', ['-R', `${ids.uid}:${ids.gid}`, dir]);

  // BENCH_PROSODY_PDEATHSIG=0 leaves the cleanup to this process alone (the smoke test checks that it does it).
  const pdeathsig = process.env.BENCH_PROSODY_PDEATHSIG !== '0' && hasSetpriv();
  const servers: ProsodyServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => stopServer(s.process)));
    // BENCH_PROSODY_KEEP=1 leaves the configs and logs for a look at what the servers did.
    if (process.env.BENCH_PROSODY_KEEP === '1') process.stderr.write(`prosody configs and logs kept in ${dir}\n`);
    else fs.rmSync(dir, { recursive: true, force: true });
    temporaryDirs.delete(dir);
  };
  try {
    for (const layout of layouts) {
      const configFile = path.join(dir, layout.name, 'prosody.cfg.lua');
      const args = [PROSODY_BINARY, '-F', '--config', configFile];
      const [command, ...rest] = pdeathsig ? ['setpriv', '--pdeathsig', 'KILL', '--', ...args] : args;
      const child = spawn(command, rest, {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: path.join(dir, layout.name) },
        ...(ids ?? {}),
      });
      running.add(child);
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        // Prosody notes on stderr that lua-unbound is missing and it uses its own DNS resolver: not used here.
        if (process.env.BENCH_PROSODY_STDERR) process.stderr.write(`[prosody ${layout.name}] ${chunk}`);
      });
      servers.push({
        name: layout.name,
        domain: layout.domain,
        c2sPort: layout.c2sPort,
        s2sPort: layout.s2sPort,
        process: child,
        logFile: path.join(dir, layout.name, 'prosody.log'),
      });
    }
    for (const server of servers) {
      await waitForPort(server.c2sPort, server, 20_000);
      await waitForPort(server.s2sPort, server, 20_000);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { a: servers[0], b: servers[1], dir, stop };
}
