import { Module } from '@nestjs/common';
import { AppHealthModule } from '@fedchat/common';

/** Remote users, global user sync, membership and status sync. */
@Module({
  imports: [AppHealthModule.forApp('user-sync')],
})
export class UserSyncModule {}
