import { Injectable } from '@nestjs/common';
import { counter, gauge, perRemoteCounter } from '@fedchat/common';

const byRemote = ['remote_id'] as const;

/** What the user-sync app sends to and applies from each remote (label `remote_id`). */
@Injectable()
export class UserSyncMetrics {
  readonly usersSent = counter({
    name: 'fedchat_user_sync_users_sent_total',
    help: 'Users delivered to remotes (profile sync, global user sync, users riding with membership changes)',
    labelNames: byRemote,
  });
  readonly usersReceived = counter({
    name: 'fedchat_user_sync_users_received_total',
    help: 'Users created or updated from global user sync messages',
    labelNames: byRemote,
  });
  readonly membershipSent = counter({
    name: 'fedchat_user_sync_membership_changes_sent_total',
    help: 'Channel membership changes delivered to remotes',
    labelNames: byRemote,
  });
  readonly membershipApplied = counter({
    name: 'fedchat_user_sync_membership_changes_applied_total',
    help: 'Channel membership changes from remotes that added or removed a member here',
    labelNames: byRemote,
  });
  readonly statusesSent = counter({
    name: 'fedchat_user_sync_statuses_sent_total',
    help: 'User statuses delivered to remotes',
    labelNames: byRemote,
  });
  readonly statusesApplied = counter({
    name: 'fedchat_user_sync_statuses_applied_total',
    help: 'User statuses from remotes saved here',
    labelNames: byRemote,
  });
  readonly refused = perRemoteCounter({
    name: 'fedchat_user_sync_refused_items_total',
    help: 'Users, statuses or membership changes refused: from a remote (kind=received) or by a remote (kind=sent)',
    labelNames: ['remote_id', 'kind'] as const,
  });
  /** Read from the database on each poll: every replica reports the same number (take `max`, not `sum`). */
  readonly profilesPending = gauge({
    name: 'fedchat_user_sync_profiles_pending',
    help: 'Changed profiles not yet sent to the online remotes that know the user (the same for every replica)',
  });
  readonly sendFailures = perRemoteCounter({
    name: 'fedchat_user_sync_send_failures_total',
    help: 'Deliveries to a remote that failed (retried on the next run or attempt)',
    labelNames: byRemote,
  });
}
