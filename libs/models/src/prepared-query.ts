import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import type { Pool } from 'pg';

/**
 * One statement of the chat's hottest paths (every request's session, every post's access check and write), sent
 * straight to the pg pool as a named prepared statement: PostgreSQL parses and plans it once per connection instead
 * of on every call, and TypeORM's query runner (acquire, log, wrap, release) is skipped. Only for statements that run
 * outside a transaction; `name` must be unique to `text` (PostgreSQL keeps the first text prepared under a name).
 */
export async function preparedQuery<T>(dataSource: DataSource, name: string, text: string, params: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  const result = await pool.query({ name, text, values: params });
  return result.rows as T[];
}

/**
 * An entity from a row of plain SQL that selected its columns under their database names (e.g. `u.*`), converted
 * as TypeORM converts what it reads (column transformers, jsonb, numbers), or undefined when the row has no primary
 * key (a LEFT JOIN that found nothing).
 */
export function hydrate<T extends ObjectLiteral>(
  dataSource: DataSource,
  target: EntityTarget<T>,
  row: Record<string, unknown>,
): T | undefined {
  const metadata = dataSource.getMetadata(target);
  if (metadata.primaryColumns.some((column) => row[column.databaseName] == null)) return undefined;
  const entity = metadata.create() as T;
  for (const column of metadata.columns) {
    column.setEntityValue(entity, dataSource.driver.prepareHydratedValue(row[column.databaseName], column));
  }
  return entity;
}
