import { MessageHandlers } from '@fedchat/common';
import {
  AttachmentsPending,
  AttachmentsPendingEvent,
  ConnectionHealthRequest,
  ConnectionStateChanged,
  ConnectionStateChangedEvent,
  GetTransferHealth,
  TransferHealthReply,
} from '@fedchat/contracts';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { TransferQueue } from './transfer-queue.service';
import { TransferWorker } from './transfer-worker.service';

const SENDING = { consumer: 'file-transfer' };

/** The doorbells of the attachment transfers (files queued by the sync sender, a remote back online) and their backlog. */
@MessageHandlers()
export class SendingHandlers {
  constructor(
    private readonly worker: TransferWorker,
    private readonly queue: TransferQueue,
  ) {}

  @MessagePattern(GetTransferHealth.subject)
  async health(@Payload() req: ConnectionHealthRequest): Promise<TransferHealthReply> {
    return { pending: await this.queue.pendingFor(req.remote_id) };
  }

  @EventPattern(AttachmentsPendingEvent.subject, SENDING)
  attachmentsPending(@Payload() _e: AttachmentsPending): void {
    this.worker.ring();
  }

  @EventPattern(ConnectionStateChangedEvent.subject, SENDING)
  async connectionStateChanged(@Payload() e: ConnectionStateChanged): Promise<void> {
    if (e.online) await this.worker.remoteOnline(e.remote_id);
  }
}
