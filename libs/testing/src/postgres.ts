import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres } from '@fedchat/common';

/** Environment variable through which global setup hands the test cluster's admin URL to test files. */
export const TEST_PG_URL_ENV = 'FEDCHAT_TEST_PG_URL';
export const TEST_PG_DIR_ENV = 'FEDCHAT_TEST_PG_DIR';

/** A real PostgreSQL cluster in a temporary directory, started with the same code as the embedded mode. */
export async function startTestCluster(): Promise<{ url: string; dataDir: string; stop: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-test-pg-'));
  fs.chmodSync(dataDir, 0o755);
  const pg = new EmbeddedPostgres({ dataDir, database: 'postgres' });
  const url = await pg.start();
  return {
    url,
    dataDir,
    stop: async () => {
      await pg.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh, empty database on the test cluster, so each test file starts from nothing. */
export async function createTestDatabase(adminUrl = process.env[TEST_PG_URL_ENV]): Promise<string> {
  if (!adminUrl) throw new Error(`${TEST_PG_URL_ENV} is not set: run through the integration/e2e jest projects`);
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
