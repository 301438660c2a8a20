import { MessageHandlers } from '@fedchat/common';
import {
  ApplyChannelChanges,
  ApplyChannelChangesReply,
  ApplyChannelChangesRequest,
  ChannelMembersChanged,
  ChannelMembersChangedEvent,
  ConnectionStateChanged,
  ConnectionStateChangedEvent,
  GetGlobalUserSyncProgress,
  GlobalUserSyncProgress,
  GlobalUserSyncRequest,
  PeerMessageReceived,
  PeerResponse,
  peerTopicContract,
  RestartGlobalUserSync,
  UserChanged,
  UserProfileChangedEvent,
  UserStatus,
  UserStatusChangedEvent,
} from '@fedchat/contracts';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ChannelChangesReceiver } from './receive/channel-changes.receiver';
import { GlobalUserSyncReceiver } from './receive/global-user-sync.receiver';
import { GlobalSyncTrigger } from './send/global-sync-trigger.service';
import { StatusSender } from './send/status-sender.service';
import { UserSyncWorker } from './send/user-sync-worker.service';

const USER_SYNC = { consumer: 'user-sync' };

/**
 * The user-sync app: its peer topic, the statuses and membership changes forwarded by the sync receiver, and the
 * doorbells of its senders (profiles, memberships and statuses changed here, a remote came online).
 */
@MessageHandlers()
export class UserSyncHandlers {
  constructor(
    private readonly globalUsers: GlobalUserSyncReceiver,
    private readonly channelChanges: ChannelChangesReceiver,
    private readonly worker: UserSyncWorker,
    private readonly statuses: StatusSender,
    private readonly globalSync: GlobalSyncTrigger,
  ) {}

  @MessagePattern(RestartGlobalUserSync.subject)
  restartGlobalUserSync(@Payload() req: GlobalUserSyncRequest): Promise<GlobalUserSyncProgress> {
    return this.globalSync.restart(req.remote_id);
  }

  @MessagePattern(GetGlobalUserSyncProgress.subject)
  globalUserSyncProgress(@Payload() req: GlobalUserSyncRequest): Promise<GlobalUserSyncProgress> {
    return this.globalSync.progress(req.remote_id);
  }

  @MessagePattern(peerTopicContract('sharedchannel_global_user_sync').subject)
  globalUserSync(@Payload() req: PeerMessageReceived): Promise<PeerResponse> {
    return this.globalUsers.receive(req.remote_id, req.msg.payload);
  }

  @MessagePattern(ApplyChannelChanges.subject)
  applyChannelChanges(@Payload() req: ApplyChannelChangesRequest): Promise<ApplyChannelChangesReply> {
    return this.channelChanges.apply(req);
  }

  @EventPattern(UserProfileChangedEvent.subject, USER_SYNC)
  profileChanged(@Payload() _e: UserChanged): void {
    this.worker.ring();
  }

  @EventPattern(ChannelMembersChangedEvent.subject, USER_SYNC)
  membersChanged(@Payload() _e: ChannelMembersChanged): void {
    this.worker.ring();
  }

  @EventPattern(UserStatusChangedEvent.subject, USER_SYNC)
  statusChanged(@Payload() status: UserStatus): void {
    return this.statuses.statusChanged(status);
  }

  @EventPattern(ConnectionStateChangedEvent.subject, USER_SYNC)
  async connectionStateChanged(@Payload() e: ConnectionStateChanged): Promise<void> {
    if (e.online) await this.worker.cameOnline(e.remote_id);
  }
}
