import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
// Global setup runs outside Jest's module mapping: relative imports only.
import { EmbeddedPostgres } from '../../libs/common/src/database/embedded-postgres';
import { dataSourceOptions, runMigrations } from '../../libs/models/src/data-source';
import { createTemplateDatabase, TEST_PG_URL_ENV } from '../../libs/testing/src/postgres';

/**
 * One real PostgreSQL cluster for the whole run, started by the same code as the embedded mode, with a template
 * database migrated once; each test file makes its own database on it as a copy of that template.
 */
export default async function globalSetup(): Promise<void> {
  await sweepAbandonedClusters();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-test-pg-'));
  fs.chmodSync(dataDir, 0o755);
  const pg = new EmbeddedPostgres({ dataDir, database: 'postgres' });
  const adminUrl = await pg.start();
  process.env[TEST_PG_URL_ENV] = adminUrl;
  (globalThis as { __fedchatPg?: unknown }).__fedchatPg = { pg, dataDir };
  await createTemplateDatabase(adminUrl, migrate);
}

/** The apps' own migration runner, as at start-up; its connections are closed before the template is copied. */
async function migrate(url: string): Promise<void> {
  const dataSource = await new DataSource(dataSourceOptions(url, { poolSize: 2, applicationName: 'test-template' })).initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** Clusters of earlier runs that were killed before their teardown (their owner process is gone): stop and remove. */
async function sweepAbandonedClusters(): Promise<void> {
  for (const entry of fs.readdirSync(os.tmpdir())) {
    if (!entry.startsWith('fedchat-test-pg-')) continue;
    const dataDir = path.join(os.tmpdir(), entry);
    const pg = new EmbeddedPostgres({ dataDir, database: 'postgres' });
    if (pg.heldByOtherProcess() !== undefined) continue;
    await pg.stop().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
