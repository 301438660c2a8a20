import { Module } from '@nestjs/common';
import { RemoteClusterSharingController } from './remote-cluster-sharing.controller';
import { ShareChannelCommand } from './share-channel.command';
import { SharedChannelsController } from './shared-channels.controller';

/**
 * Shared channels on the gateway: `/api/v4/sharedchannels`, the channel routes under `/api/v4/remotecluster/{id}`,
 * and `/share-channel`. The shared-channel-sync app answers the bus requests.
 */
@Module({
  controllers: [SharedChannelsController, RemoteClusterSharingController],
  providers: [ShareChannelCommand],
})
export class SharedChannelsModule {}
