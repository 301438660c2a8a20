import { MessageHandlers } from '@fedchat/common';
import { AttachmentsPending, AttachmentsPendingEvent, ConnectionStateChanged, ConnectionStateChangedEvent } from '@fedchat/contracts';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TransferWorker } from './transfer-worker.service';

const SENDING = { consumer: 'file-transfer' };

/** The doorbells of the attachment transfers: files queued by the sync sender, a remote back online. */
@MessageHandlers()
export class SendingHandlers {
  constructor(private readonly worker: TransferWorker) {}

  @EventPattern(AttachmentsPendingEvent.subject, SENDING)
  attachmentsPending(@Payload() _e: AttachmentsPending): void {
    this.worker.ring();
  }

  @EventPattern(ConnectionStateChangedEvent.subject, SENDING)
  async connectionStateChanged(@Payload() e: ConnectionStateChanged): Promise<void> {
    if (e.online) await this.worker.remoteOnline(e.remote_id);
  }
}
