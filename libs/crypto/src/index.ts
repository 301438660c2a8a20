export * from './ids';
export * from './tokens';
export * from './invite-codec';
export * from './invite-password';
