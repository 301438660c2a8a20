export * from './contract';
export * from './apps';
export * from './system/app-health.contract';
export * from './chat/websocket-event.contract';
