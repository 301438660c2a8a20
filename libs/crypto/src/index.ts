export * from './ids';
export * from './tokens';
