import { Module } from '@nestjs/common';
import { DirectMessagePolicy } from './direct-message-policy.service';
import { ChannelRemotesAliasController, RemoteClusterSharingController } from './remote-cluster-sharing.controller';
import { ShareChannelCommand } from './share-channel.command';
import { SharedChannelsController } from './shared-channels.controller';

/**
 * Shared channels on the gateway: `/api/v4/sharedchannels` (with `can_dm`), the channel routes under `/api/v4/remotecluster/{id}`,
 * and `/share-channel`. The shared-channel-sync app answers the bus requests.
 */
@Module({
  controllers: [SharedChannelsController, RemoteClusterSharingController, ChannelRemotesAliasController],
  providers: [ShareChannelCommand, DirectMessagePolicy],
})
export class SharedChannelsModule {}
