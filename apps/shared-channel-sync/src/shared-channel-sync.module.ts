import { Module } from '@nestjs/common';
import { AppHealthModule } from '@fedchat/common';

/** The sharing lifecycle and the durable sync of channel content with peers. */
@Module({
  imports: [AppHealthModule.forApp('shared-channel-sync')],
})
export class SharedChannelSyncModule {}
