import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Environment variable through which global setup hands the test cluster's admin URL to test files. */
export const TEST_PG_URL_ENV = 'FEDCHAT_TEST_PG_URL';

/** The database global setup migrates once per run; every test database starts as a copy of it. */
export const TEST_TEMPLATE_DATABASE = 'fedchat_template';

function adminUrlOrFail(): string {
  const adminUrl = process.env[TEST_PG_URL_ENV];
  if (!adminUrl) throw new Error(`${TEST_PG_URL_ENV} is not set: run through the integration/e2e jest projects`);
  return adminUrl;
}

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function asAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * For global setup: creates the template database and lets `migrate` bring it to the current schema (with the apps'
 * own migration runner). Afterwards nobody may connect to it, because PostgreSQL refuses to copy a database while any
 * session is connected to it; copies themselves do not connect, so parallel workers can clone at the same time.
 */
export async function createTemplateDatabase(adminUrl: string, migrate: (url: string) => Promise<void>): Promise<void> {
  await asAdmin(adminUrl, `CREATE DATABASE ${TEST_TEMPLATE_DATABASE}`);
  await migrate(databaseUrl(adminUrl, TEST_TEMPLATE_DATABASE));
  await asAdmin(adminUrl, `ALTER DATABASE ${TEST_TEMPLATE_DATABASE} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
}

/**
 * A database of its own for a test file: a copy of the migrated template, so apps started on it find no pending
 * migrations. `empty` gives a database without any table instead, for tests of the migrations themselves.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<string> {
  const adminUrl = adminUrlOrFail();
  const name = `t_${randomBytes(6).toString('hex')}`;
  await asAdmin(adminUrl, options.empty ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${TEST_TEMPLATE_DATABASE}`);
  return databaseUrl(adminUrl, name);
}
