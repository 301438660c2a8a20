export * from './ports';
export * from './postgres';
export * from './nats';
export * from './processes';
export * from './suite';
export * from './federation';
export * from './s3';
export * from './files';
