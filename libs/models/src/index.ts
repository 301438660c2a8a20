export * from './entities';
export * from './migrations';
export { dataSourceOptions, runMigrations, pendingSchemaChanges } from './data-source';
export { isUniqueViolation } from './unique-violation';
export { isTransientDbError } from './transient-error';
export { returning } from './returning';
export { hydrate, preparedQuery } from './prepared-query';
