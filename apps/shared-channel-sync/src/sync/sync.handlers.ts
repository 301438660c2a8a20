import { MessageHandlers } from '@fedchat/common';
import {
  ConnectionStateChanged,
  ConnectionStateChangedEvent,
  PeerMessageReceived,
  PeerResponse,
  peerTopicContract,
  ChannelChanged,
  SharedChannelChangedEvent,
  DiscardSyncError,
  ListSyncErrors,
  ListSyncErrorsRequest,
  RetrySyncError,
  SyncErrorJson,
  SyncErrorListReply,
  SyncErrorRequest,
  ConnectionHealthRequest,
  GetSyncHealth,
  SyncHealthReply,
} from '@fedchat/contracts';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { DeadLetters } from './dead-letters.service';
import { SyncQueue } from './sync-queue.service';
import { SyncReceiver } from './sync-receiver.service';
import { SyncWorker } from './sync-worker.service';

/** Consumer of the sync engine's doorbells (the sharing lifecycle of the same app consumes some of the same events). */
const SYNC_ENGINE = { consumer: 'shared-channel-sync' };

/** Content sync: the peer topics it answers (one replica each) and the doorbells that wake its worker. */
@MessageHandlers()
export class SyncHandlers {
  constructor(
    private readonly receiver: SyncReceiver,
    private readonly worker: SyncWorker,
    private readonly deadLetters: DeadLetters,
    private readonly queue: SyncQueue,
  ) {}

  @MessagePattern(GetSyncHealth.subject)
  health(@Payload() req: ConnectionHealthRequest): Promise<SyncHealthReply> {
    return this.queue.healthOf(req.remote_id);
  }

  @MessagePattern(ListSyncErrors.subject)
  async listErrors(@Payload() req: ListSyncErrorsRequest): Promise<SyncErrorListReply> {
    return { errors: await this.deadLetters.list(req.channel_id, req.page, req.per_page) };
  }

  @MessagePattern(RetrySyncError.subject)
  retryError(@Payload() req: SyncErrorRequest): Promise<SyncErrorJson> {
    return this.deadLetters.retry(req.channel_id, req.error_id);
  }

  @MessagePattern(DiscardSyncError.subject)
  discardError(@Payload() req: SyncErrorRequest): Promise<SyncErrorJson> {
    return this.deadLetters.discard(req.channel_id, req.error_id);
  }

  @MessagePattern(peerTopicContract('sharedchannel_sync').subject)
  sync(@Payload() req: PeerMessageReceived): Promise<PeerResponse> {
    return this.receiver.receive(req.remote_id, req.msg.payload);
  }

  /** Mattermost answers the membership topic with the same handler. */
  @MessagePattern(peerTopicContract('sharedchannel_membership').subject)
  membership(@Payload() req: PeerMessageReceived): Promise<PeerResponse> {
    return this.receiver.receive(req.remote_id, req.msg.payload);
  }

  @EventPattern(SharedChannelChangedEvent.subject, SYNC_ENGINE)
  channelChanged(@Payload() e: ChannelChanged): Promise<void> {
    return this.worker.channelChanged(e.channel_id);
  }

  @EventPattern(ConnectionStateChangedEvent.subject, SYNC_ENGINE)
  async connectionStateChanged(@Payload() e: ConnectionStateChanged): Promise<void> {
    if (e.online) await this.worker.remoteOnline(e.remote_id);
  }
}
