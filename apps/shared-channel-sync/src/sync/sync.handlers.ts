import { MessageHandlers } from '@fedchat/common';
import {
  ConnectionStateChanged,
  ConnectionStateChangedEvent,
  PeerMessageReceived,
  PeerResponse,
  peerTopicContract,
  ChannelChanged,
  SharedChannelChangedEvent,
} from '@fedchat/contracts';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
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
  ) {}

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
