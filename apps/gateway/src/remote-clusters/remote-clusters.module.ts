import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { ConnectionLiveEventsHandlers } from './connection-live-events.handlers';
import { PeerConnectionsHandlers } from './peer-connections.handlers';
import { ConnectionLiveEvents } from './connection-live-events.service';
import { PeerAuthGuard } from './peer-auth.guard';
import { RemoteClusterAdminController } from './remote-cluster-admin.controller';
import { RemoteClusterPeerController } from './remote-cluster-peer.controller';
import { SecureConnectionCommand } from './secure-connection.command';
import { SharesOnCreate } from './shares-on-create.service';

/** Secure connections on the gateway: the admin REST API, the peer endpoints and `/secure-connection`. */
@Module({
  imports: [FilesModule],
  // The peer controller comes first so that its fixed paths (ping, msg, confirm_invite) win over `:remote_id`.
  controllers: [RemoteClusterPeerController, RemoteClusterAdminController, ConnectionLiveEventsHandlers, PeerConnectionsHandlers],
  providers: [PeerAuthGuard, SecureConnectionCommand, SharesOnCreate, ConnectionLiveEvents],
  exports: [PeerAuthGuard],
})
export class RemoteClustersModule {}
