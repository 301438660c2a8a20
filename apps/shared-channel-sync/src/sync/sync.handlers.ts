import { Injectable, OnModuleInit } from '@nestjs/common';
import { Bus } from '@fedchat/common';
import { peerTopicContract } from '@fedchat/contracts';
import { SyncReceiver } from './sync-receiver.service';

/** The peer topics of content sync, each answered by one replica. */
@Injectable()
export class SyncHandlers implements OnModuleInit {
  constructor(
    private readonly bus: Bus,
    private readonly receiver: SyncReceiver,
  ) {}

  onModuleInit(): void {
    this.bus.handle(peerTopicContract('sharedchannel_sync'), (req) => this.receiver.receive(req.remote_id, req.msg.payload));
    // Mattermost registers the same handler for the membership topic.
    this.bus.handle(peerTopicContract('sharedchannel_membership'), (req) => this.receiver.receive(req.remote_id, req.msg.payload));
  }
}
