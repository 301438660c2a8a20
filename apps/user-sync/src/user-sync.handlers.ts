import { Injectable, OnModuleInit } from '@nestjs/common';
import { Bus } from '@fedchat/common';
import { ApplyChannelChanges, peerTopicContract } from '@fedchat/contracts';
import { ChannelChangesReceiver } from './receive/channel-changes.receiver';
import { GlobalUserSyncReceiver } from './receive/global-user-sync.receiver';

/** The user-sync app's requests: its peer topic, and the statuses and membership changes forwarded by the sync receiver. */
@Injectable()
export class UserSyncHandlers implements OnModuleInit {
  constructor(
    private readonly bus: Bus,
    private readonly globalUsers: GlobalUserSyncReceiver,
    private readonly channelChanges: ChannelChangesReceiver,
  ) {}

  onModuleInit(): void {
    this.bus.handle(peerTopicContract('sharedchannel_global_user_sync'), (req) => this.globalUsers.receive(req.remote_id, req.msg.payload));
    this.bus.handle(ApplyChannelChanges, (req) => this.channelChanges.apply(req));
  }
}
