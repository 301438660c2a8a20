import { DataSource, EntityManager } from 'typeorm';

/**
 * Rows of an INSERT/UPDATE/DELETE ... RETURNING. TypeORM's `query()` answers `[rows, count]` for UPDATE and DELETE
 * on PostgreSQL but plain rows for INSERT; the query runner's structured result always has the rows in `records`.
 * Runs in the manager's transaction when it has one, else on a connection of its own.
 */
export async function returning<T = unknown>(db: DataSource | EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const inTransaction = db instanceof EntityManager ? db.queryRunner : undefined;
  const runner = inTransaction ?? (db instanceof DataSource ? db : db.connection).createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    return result.records as T[];
  } finally {
    if (!inTransaction) await runner.release();
  }
}
