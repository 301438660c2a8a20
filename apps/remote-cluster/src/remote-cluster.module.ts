import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppHealthModule, PeerClient } from '@fedchat/common';
import { RemoteCluster, SharedChannelRemote, Team } from '@fedchat/models';
import { ConnectionsService } from './connections/connections.service';
import { HeartbeatService } from './heartbeat/heartbeat.service';
import { MessageSender } from './peers/message-sender.service';
import { RemoteClusterHandlers } from './remote-cluster.handlers';

/** Connections between clusters: invitations, handshake, heartbeat and outbound delivery to peers. */
@Module({
  imports: [AppHealthModule.forApp('remote-cluster'), TypeOrmModule.forFeature([RemoteCluster, SharedChannelRemote, Team])],
  controllers: [RemoteClusterHandlers],
  providers: [PeerClient, ConnectionsService, HeartbeatService, MessageSender],
})
export class RemoteClusterModule {}
