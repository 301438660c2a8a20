import { Module } from '@nestjs/common';
import { AppHealthModule } from '@fedchat/common';
import { SyncModule } from './sync/sync.module';
import { ChatModule } from '@fedchat/chat';
import { SharingModule } from './sharing/sharing.module';

/** The sharing lifecycle and the durable sync of channel content with peers. */
@Module({
  imports: [AppHealthModule.forApp('shared-channel-sync'), ChatModule, SyncModule, SharingModule],
})
export class SharedChannelSyncModule {}
