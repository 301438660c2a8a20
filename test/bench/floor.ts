import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { AddressInfo } from 'node:net';
import { EmbeddedPostgres } from '@fedchat/common';
import { Client } from 'pg';

/**
 * The floor of this machine (issue 17, "The floor of this machine, in the same run"): what PostgreSQL, loopback HTTP
 * and the disk can do here, measured with the same embedded PostgreSQL (same binaries and settings as the embedded
 * mode: synchronous_commit on, fsync on) the benches start. Each suite figure is printed with its ratio to one of
 * these, so a slow machine or a busy run shows in both.
 */
export interface FloorOptions {
  /** Single-row INSERT transactions, one after the other. */
  commits: number;
  /** Post-sized rows inserted in batches of `batchRows`. */
  rows: number;
  batchRows: number;
  /** Loopback HTTP requests over one keep-alive connection. */
  httpRequests: number;
  /** Sequential write into the data directory, fsync at the end. */
  diskMiB: number;
}

export interface Floor {
  pgCommit: { p50: number; p99: number; perSecond: number; n: number };
  pgBatch: { rowsPerSecond: number; rows: number; batchRows: number };
  httpRoundTrip: { p50: number; p99: number; n: number };
  diskWrite: { mibPerSecond: number; mib: number };
}

export function floorOptionsFromEnv(): FloorOptions {
  return {
    commits: Number(process.env.BENCH_FLOOR_COMMITS ?? 5_000),
    rows: Number(process.env.BENCH_FLOOR_ROWS ?? 200_000),
    batchRows: Number(process.env.BENCH_FLOOR_BATCH ?? 1_000),
    httpRequests: Number(process.env.BENCH_FLOOR_HTTP ?? 5_000),
    diskMiB: Number(process.env.BENCH_FLOOR_DISK_MIB ?? 1_024),
  };
}

export function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** A post's row as the suite stores it, roughly: ids, times, a sentence of text, empty props. */
const POST_TABLE = `CREATE TABLE floor_posts (
  id varchar(26) PRIMARY KEY, create_at bigint NOT NULL, update_at bigint NOT NULL, user_id varchar(26) NOT NULL,
  channel_id varchar(26) NOT NULL, root_id varchar(26) NOT NULL DEFAULT '', message text NOT NULL, props jsonb NOT NULL DEFAULT '{}')`;
const MESSAGE = 'a message of ordinary length, as people write them in a team chat about federation';

function id26(n: number): string {
  return n.toString(36).padStart(26, '0');
}

async function measurePostgres(dataDir: string, options: FloorOptions): Promise<Pick<Floor, 'pgCommit' | 'pgBatch'>> {
  const pg = new EmbeddedPostgres({ dataDir, database: 'floor' });
  await pg.start();
  const db = new Client({ connectionString: pg.url });
  try {
    await db.connect();
    const settings = await db.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')`,
    );
    for (const s of settings.rows) {
      if (s.setting !== 'on') throw new Error(`the floor needs ${s.name}=on, the embedded PostgreSQL has ${s.setting}`);
    }
    await db.query(POST_TABLE);
    const insert = 'INSERT INTO floor_posts (id, create_at, update_at, user_id, channel_id, message) VALUES ($1, $2, $2, $3, $4, $5)';
    for (let i = 0; i < 50; i++) await db.query(insert, [id26(1e12 + i), Date.now(), id26(1), id26(2), MESSAGE]); // warm-up

    // One INSERT per transaction (autocommit): each waits for its WAL flush.
    const commits: number[] = [];
    const started = performance.now();
    for (let i = 0; i < options.commits; i++) {
      const t0 = performance.now();
      await db.query(insert, [id26(i), Date.now(), id26(1), id26(2), MESSAGE]);
      commits.push(performance.now() - t0);
    }
    const commitSeconds = (performance.now() - started) / 1000;
    commits.sort((x, y) => x - y);

    // Multi-row INSERT from arrays (unnest), one transaction per batch, as a bulk writer would.
    const batchStarted = performance.now();
    for (let done = 0; done < options.rows; done += options.batchRows) {
      const n = Math.min(options.batchRows, options.rows - done);
      const ids = Array.from({ length: n }, (_, k) => id26(2e12 + done + k));
      await db.query(
        `INSERT INTO floor_posts (id, create_at, update_at, user_id, channel_id, message)
         SELECT id, $2, $2, $3, $4, $5 || ' ' || id FROM unnest($1::varchar[]) AS id`,
        [ids, Date.now(), id26(1), id26(2), MESSAGE],
      );
    }
    const batchSeconds = (performance.now() - batchStarted) / 1000;
    return {
      pgCommit: {
        p50: percentile(commits, 0.5),
        p99: percentile(commits, 0.99),
        perSecond: options.commits / commitSeconds,
        n: options.commits,
      },
      pgBatch: { rowsPerSecond: options.rows / batchSeconds, rows: options.rows, batchRows: options.batchRows },
    };
  } finally {
    await db.end().catch(() => undefined);
    await pg.stop();
  }
}

/** Round trips of a small JSON request over one keep-alive connection to a plain node http server. */
async function measureHttp(requests: number): Promise<Floor['httpRoundTrip']> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"status":"OK"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/ping', method: 'GET', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  try {
    for (let i = 0; i < 200; i++) await once(); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      await once();
      samples.push(performance.now() - t0);
    }
    samples.sort((x, y) => x - y);
    return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), n: requests };
  } finally {
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Sequential 1 MiB writes of random bytes into `dir`, timed up to and including the fsync. */
async function measureDisk(dir: string, mib: number): Promise<Floor['diskWrite']> {
  const file = path.join(dir, 'floor-disk-write.bin');
  // Random bytes, so no layer below can compress or deduplicate them; one buffer reused (the disk is measured, not RNG).
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  const fd = fs.openSync(file, 'w');
  try {
    const started = performance.now();
    for (let i = 0; i < mib; i++) {
      chunk.writeUInt32LE(i, 0);
      fs.writeSync(fd, chunk);
    }
    fs.fsyncSync(fd);
    const seconds = (performance.now() - started) / 1000;
    return { mibPerSecond: mib / seconds, mib };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

/** Measures the floor one part after the other (never two at once: they would share the two cores). */
export async function measureFloor(options: FloorOptions = floorOptionsFromEnv()): Promise<Floor> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-floor-'));
  fs.chmodSync(root, 0o755);
  try {
    const postgres = await measurePostgres(path.join(root, 'data'), options);
    const httpRoundTrip = await measureHttp(options.httpRequests);
    const diskWrite = await measureDisk(path.join(root, 'data'), options.diskMiB);
    return { ...postgres, httpRoundTrip, diskWrite };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

export function formatFloor(floor: Floor): string[] {
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  return [
    `floor of this machine (same run, ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
    `  PostgreSQL single-row commit (fsync on, synchronous_commit on), ${floor.pgCommit.n} one after the other: ` +
      `p50 ${ms(floor.pgCommit.p50)}, p99 ${ms(floor.pgCommit.p99)}, ${floor.pgCommit.perSecond.toFixed(0)} commits/s`,
    `  PostgreSQL batched insert, ${floor.pgBatch.rows} post-sized rows in batches of ${floor.pgBatch.batchRows}: ` +
      `${floor.pgBatch.rowsPerSecond.toFixed(0)} rows/s`,
    `  loopback HTTP round trip (node http, keep-alive), ${floor.httpRoundTrip.n} requests: ` +
      `p50 ${ms(floor.httpRoundTrip.p50)}, p99 ${ms(floor.httpRoundTrip.p99)}`,
    `  disk: ${floor.diskWrite.mib} MiB written sequentially into the data directory, fsync at the end: ` +
      `${floor.diskWrite.mibPerSecond.toFixed(0)} MiB/s`,
  ];
}
