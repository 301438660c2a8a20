import 'reflect-metadata';
export * from './contract';
export * from './apps';
export * from './system/app-health.contract';
export * from './chat/websocket-event.contract';
export * from './remote-cluster/connection.contract';
export * from './remote-cluster/peer.contract';
export * from './shared-channel/sharing.contract';
export * from './file-transfer/file-transfer.contract';
