import { Injectable, OnModuleInit } from '@nestjs/common';
import { Bus } from '@fedchat/common';
import { peerTopicContract } from '@fedchat/contracts';
import { UploadSessionReceiver } from './upload-session.receiver';

/** The receive side's peer topic: `sharedchannel_upload` (the bytes themselves arrive at the gateway's peer endpoint). */
@Injectable()
export class ReceivingHandlers implements OnModuleInit {
  constructor(
    private readonly bus: Bus,
    private readonly sessions: UploadSessionReceiver,
  ) {}

  onModuleInit(): void {
    this.bus.handle(peerTopicContract('sharedchannel_upload'), (req) => this.sessions.receive(req.remote_id, req.msg.payload));
  }
}
