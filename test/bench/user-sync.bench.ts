import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmbeddedPostgres } from '@fedchat/common';
import { newId } from '@fedchat/crypto';
import { api, freePort, login, RunningSuite, startEmbeddedSuite, waitFor } from '@fedchat/testing';
import { Client } from 'pg';
import { recordFigures } from './report';

/**
 * `npm run bench` (part 4): global user sync between two embedded clusters on this machine. A and B are connected
 * with EnableSyncAllUsersForRemoteCluster on; then USERS local users are written straight into A's database (setup
 * speed: sign-up hashes passwords) and the time until B holds all of them (B's database) is measured, as users/s.
 */
const USERS = Number(process.env.BENCH_GLOBAL_USERS ?? 50_000);
const TIMEOUT_S = Number(process.env.BENCH_GLOBAL_TIMEOUT_S ?? 900);
const PASSWORD = 'bench-password-1';
const CONNECTION_PASSWORD = 'Bench-Connecti0n!';

const ENV = {
  LOG_LEVEL: 'warn',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  REMOTE_CLUSTER_PING_INTERVAL_MS: '1000',
  USER_SYNC_POLL_INTERVAL_MS: '500',
  MM_FEATUREFLAGS_ENABLESYNCALLUSERSFORREMOTECLUSTER: 'true',
  // Settings given to the bench (e.g. MM_CONNECTEDWORKSPACESSETTINGS_GLOBALUSERSYNCBATCHSIZE) reach both clusters.
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MM_CONNECTEDWORKSPACESSETTINGS_'))),
} as Record<string, string>;

const out = (line = '') => process.stdout.write(`${line}\n`);

interface Node {
  url: string;
  suite: RunningSuite;
  db: Client;
  token: string;
  teamId: string;
}

async function startNode(root: string, name: string): Promise<Node> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = path.join(root, name);
  const suite = await startEmbeddedSuite({ ...ENV, PORT: String(port), SITE_URL: url, DATA_DIR: dataDir });
  await api(url).post('/users', { username: 'admin', email: `admin@${name}.example.com`, password: PASSWORD });
  const admin = await login(url, 'admin', PASSWORD);
  const team = await api(url, admin.token).post<{ id: string }>('/teams', { name: `team-${name}`, display_name: name, type: 'O' });
  const db = new Client({ connectionString: new EmbeddedPostgres({ dataDir }).url });
  await db.connect();
  return { url, suite, db, token: admin.token, teamId: team.id };
}

/** Writes `count` local users into the node's database, in chunks, all updated "now". */
async function insertUsers(node: Node, count: number): Promise<void> {
  const chunk = 5_000;
  for (let done = 0; done < count; done += chunk) {
    const n = Math.min(chunk, count - done);
    const ids = Array.from({ length: n }, () => newId());
    const now = Date.now();
    await node.db.query(
      `INSERT INTO users (id, create_at, update_at, username, email, first_name, last_name, roles, locale)
       SELECT id, $2, $2, 'u' || substr(id, 1, 20), substr(id, 1, 20) || '@bench.example.com', 'First', 'Last', 'system_user', 'en'
       FROM unnest($1::varchar[]) AS id`,
      [ids, now],
    );
  }
}

async function countRemote(node: Node, remoteId: string): Promise<number> {
  const rows = await node.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE remote_id = $1', [remoteId]);
  return rows.rows[0].n;
}

async function main(): Promise<void> {
  out(`== user sync: global user sync of ${USERS} users (${os.cpus().length} cores)`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-bench-users-'));
  fs.chmodSync(root, 0o755);
  const nodes: Node[] = [];
  try {
    const a = await startNode(root, 'a');
    nodes.push(a);
    const b = await startNode(root, 'b');
    nodes.push(b);
    const created = await api(a.url, a.token).post<{ invite: string }>('/remotecluster', {
      name: 'peer-b',
      display_name: 'Peer B',
      default_team_id: a.teamId,
      password: CONNECTION_PASSWORD,
    });
    const accepted = await api(b.url, b.token).post<{ remote_id: string }>('/remotecluster/accept_invite', {
      name: 'peer-a',
      display_name: 'Peer A',
      default_team_id: b.teamId,
      invite: created.invite,
      password: CONNECTION_PASSWORD,
    });
    const rid = accepted.remote_id;
    // The connection is up and A's admin has crossed: the global user sync runs.
    await waitFor('A admin on B', async () => ((await countRemote(b, rid)) >= 1 ? true : undefined), 60_000);
    const before = await countRemote(b, rid);

    const loading = Date.now();
    await insertUsers(a, USERS);
    const start = Date.now();
    out(`   setup: ${USERS} users written into A's database in ${((start - loading) / 1000).toFixed(1)} s`);
    await waitFor(
      `${USERS} users on B`,
      async () => ((await countRemote(b, rid)) >= before + USERS ? true : undefined),
      TIMEOUT_S * 1000,
      250,
    );
    const seconds = (Date.now() - start) / 1000;
    const batch = ENV.MM_CONNECTEDWORKSPACESSETTINGS_GLOBALUSERSYNCBATCHSIZE ?? '100 (default)';
    out(`   global user sync A -> B: ${USERS} users in ${seconds.toFixed(1)} s = ${(USERS / seconds).toFixed(0)} users/s (batch ${batch})`);
    recordFigures('user-sync', { 'global user sync': { value: USERS / seconds, note: `${USERS} users, batch ${batch}` } });
    out();
  } finally {
    for (const node of nodes) {
      await node.db.end().catch(() => undefined);
      await node.suite.stop().catch(() => undefined);
    }
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
