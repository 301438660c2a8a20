import { Module } from '@nestjs/common';
import { FileStoreModule, PeerClient } from '@fedchat/common';
import { AttachmentSender } from './attachment-sender.service';
import { TransferQueue } from './transfer-queue.service';
import { TransferWorker } from './transfer-worker.service';
import { TransferMetrics } from './transfer.metrics';
import { SendingHandlers } from './sending.handlers';

/** Attachments of shared-channel posts, streamed to remotes ahead of their posts (the durable transfer queue). */
@Module({
  imports: [FileStoreModule],
  controllers: [SendingHandlers],
  providers: [PeerClient, TransferMetrics, TransferQueue, AttachmentSender, TransferWorker],
  exports: [TransferMetrics],
})
export class SendingModule {}
