import { Module } from '@nestjs/common';
import { AppHealthModule } from '@fedchat/common';

/** Connections between clusters: invitations, handshake, heartbeat and outbound delivery to peers. */
@Module({
  imports: [AppHealthModule.forApp('remote-cluster')],
})
export class RemoteClusterModule {}
