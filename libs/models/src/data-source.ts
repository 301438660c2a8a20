import { DataSource, DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** The one description of the database, used by every app and by the TypeORM CLI. */
export function dataSourceOptions(url: string, options: { poolSize?: number; applicationName?: string } = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    applicationName: options.applicationName,
    // bigint columns hold int64 milliseconds and counters, far below 2^53: read them as numbers everywhere, also in
    // the values TypeORM reads back after an INSERT, which skip column transformers (they came out as JSON strings).
    parseInt8: true,
    extra: { max: options.poolSize ?? 10 },
  };
}

/** Arbitrary constant naming the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK_KEY = 7_301_984_221;

/**
 * Runs pending migrations while holding a Postgres advisory lock, so that five apps (or many replicas)
 * starting at once against one database migrate it exactly once.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/** Statements that would bring the database in line with the entities: empty when migrations and entities agree. */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sqlInMemory = await dataSource.driver.createSchemaBuilder().log();
  return sqlInMemory.upQueries.map((q) => q.query);
}

/** For the TypeORM CLI: `typeorm -d dist/libs/models/src/data-source.js migration:show`. */
export default new DataSource(dataSourceOptions(process.env.DATABASE_URL ?? 'postgres://localhost/fedchat'));
