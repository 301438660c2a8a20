export * from './entities';
export * from './migrations';
export { dataSourceOptions, runMigrations, pendingSchemaChanges } from './data-source';
export { isUniqueViolation } from './unique-violation';
export { returning } from './returning';
