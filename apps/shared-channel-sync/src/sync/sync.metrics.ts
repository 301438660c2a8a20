import { Injectable } from '@nestjs/common';
import { counter, gauge, histogram, perRemoteCounter } from '@fedchat/common';

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Mattermost's shared-channel metrics (protocol §9), plus what this engine adds (receive side, failures, lag). */
@Injectable()
export class SyncMetrics {
  readonly syncCount = counter({
    name: 'mattermost_shared_channels_sync_count',
    help: 'Sync runs completed for a (channel, remote) pair',
    labelNames: ['remote_id'] as const,
  });
  readonly queueSize = gauge({
    name: 'mattermost_shared_channels_task_queue_size',
    // Counted in the shared database, so every replica reports the same global number.
    help: '(channel, remote) pairs with changes not yet delivered, across all replicas: every replica reports the same global value, aggregate with max (not sum)',
  });
  readonly inQueue = histogram({
    name: 'mattermost_shared_channels_task_in_queue_duration_seconds',
    help: 'From the oldest undelivered change of a pair to the start of its sync',
    buckets: SECONDS,
  });
  readonly collection = histogram({
    name: 'mattermost_shared_channels_sync_collection_duration_seconds',
    help: 'Time to collect one batch (posts, users, reactions, acknowledgements)',
    labelNames: ['remote_id'] as const,
    buckets: SECONDS,
  });
  readonly send = histogram({
    name: 'mattermost_shared_channels_sync_send_duration_seconds',
    help: 'Time to deliver one batch to the remote',
    labelNames: ['remote_id'] as const,
    buckets: SECONDS,
  });
  readonly itemsSent = counter({
    name: 'fedchat_shared_channels_posts_sent_total',
    help: 'Posts (new, edited or deleted) delivered to remotes',
    labelNames: ['remote_id'] as const,
  });
  readonly sendFailures = perRemoteCounter({
    name: 'fedchat_shared_channels_sync_failures_total',
    help: 'Sync runs that failed (the pair is retried with backoff)',
    labelNames: ['remote_id'] as const,
  });
  readonly refusedByPeer = perRemoteCounter({
    name: 'fedchat_shared_channels_items_refused_by_peer_total',
    help: 'Items a remote refused (SyncResponse error lists)',
    labelNames: ['remote_id'] as const,
  });
  readonly deadLetters = gauge({
    name: 'fedchat_shared_channels_refused_posts',
    help: 'Posts remotes refused, kept for re-sending (state retrying) or for an admin (state failed); global, aggregate with max',
    labelNames: ['state'] as const,
  });
  readonly itemsReceived = counter({
    name: 'fedchat_shared_channels_posts_received_total',
    help: 'Posts created, edited or deleted from remotes',
    labelNames: ['remote_id'] as const,
  });
  readonly receiveErrors = perRemoteCounter({
    name: 'fedchat_shared_channels_receive_errors_total',
    help: 'Sync messages or items refused from remotes',
    labelNames: ['remote_id'] as const,
  });
  readonly receiveDuration = histogram({
    name: 'fedchat_shared_channels_receive_duration_seconds',
    help: 'Time to apply one received sync message',
    labelNames: ['remote_id'] as const,
    buckets: SECONDS,
  });
}
