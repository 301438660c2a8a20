import { MessageHandlers } from '@fedchat/common';
import { PeerMessageReceived, PeerResponse, peerTopicContract } from '@fedchat/contracts';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { UploadSessionReceiver } from './upload-session.receiver';

/** The receive side's peer topic: `sharedchannel_upload` (the bytes themselves arrive at the gateway's peer endpoint). */
@MessageHandlers()
export class ReceivingHandlers {
  constructor(private readonly sessions: UploadSessionReceiver) {}

  @MessagePattern(peerTopicContract('sharedchannel_upload').subject)
  upload(@Payload() req: PeerMessageReceived): Promise<PeerResponse> {
    return this.sessions.receive(req.remote_id, req.msg.payload);
  }
}
