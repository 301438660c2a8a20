import { startTestCluster, TEST_PG_DIR_ENV, TEST_PG_URL_ENV } from '@fedchat/testing';

/** One real PostgreSQL cluster for the whole run; each test file makes its own database on it. */
export default async function globalSetup(): Promise<void> {
  const cluster = await startTestCluster();
  process.env[TEST_PG_URL_ENV] = cluster.url;
  process.env[TEST_PG_DIR_ENV] = cluster.dataDir;
  (globalThis as { __fedchatPg?: typeof cluster }).__fedchatPg = cluster;
}
