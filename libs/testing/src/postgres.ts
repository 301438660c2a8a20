import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Environment variable through which global setup hands the test cluster's admin URL to test files. */
export const TEST_PG_URL_ENV = 'FEDCHAT_TEST_PG_URL';

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
