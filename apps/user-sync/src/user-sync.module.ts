import { Module } from '@nestjs/common';
import { AppHealthModule } from '@fedchat/common';
import { ChatModule } from '@fedchat/chat';
import { ChannelChangesReceiver } from './receive/channel-changes.receiver';
import { GlobalUserSyncReceiver } from './receive/global-user-sync.receiver';
import { GlobalSyncTrigger } from './send/global-sync-trigger.service';
import { RemoteLease } from './send/remote-lease.service';
import { StatusSender } from './send/status-sender.service';
import { UserSyncSender } from './send/user-sync-sender.service';
import { UserSyncWorker } from './send/user-sync-worker.service';
import { UserSyncHandlers } from './user-sync.handlers';
import { UserSyncMetrics } from './user-sync.metrics';

/** Remote users, global user sync, membership and status sync (docs/user-sync.md). */
@Module({
  imports: [AppHealthModule.forApp('user-sync'), ChatModule],
  controllers: [UserSyncHandlers],
  providers: [
    UserSyncMetrics,
    GlobalUserSyncReceiver,
    ChannelChangesReceiver,
    RemoteLease,
    StatusSender,
    UserSyncSender,
    UserSyncWorker,
    GlobalSyncTrigger,
  ],
})
export class UserSyncModule {}
