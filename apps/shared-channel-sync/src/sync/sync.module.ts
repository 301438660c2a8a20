import { Module } from '@nestjs/common';
import { SharingModule } from '../sharing/sharing.module';
import { DeadLetters } from './dead-letters.service';
import { ChannelChangesForwarder } from './receive/channel-changes-forwarder.service';
import { ReceivedMetadata } from './receive/received-metadata.service';
import { ReceivedPosts } from './receive/received-posts.service';
import { SyncAnnouncer } from './receive/sync-announcer.service';
import { SyncHandlers } from './sync.handlers';
import { SyncMetrics } from './sync.metrics';
import { SyncQueue } from './sync-queue.service';
import { SyncReceiver } from './sync-receiver.service';
import { SyncSender } from './sync-sender.service';
import { SyncWorker } from './sync-worker.service';

/** Content sync: the durable queue, the sender and its scheduler, and the receiver of `sharedchannel_sync`. */
@Module({
  imports: [SharingModule],
  controllers: [SyncHandlers],
  providers: [
    SyncMetrics,
    SyncQueue,
    SyncSender,
    SyncWorker,
    SyncReceiver,
    ReceivedPosts,
    ReceivedMetadata,
    SyncAnnouncer,
    ChannelChangesForwarder,
    DeadLetters,
  ],
})
export class SyncModule {}
