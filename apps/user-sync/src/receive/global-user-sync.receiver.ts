import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { RefusedItem, SyncUser, upsertRemoteUser } from '@fedchat/chat';
import { PeerResponse } from '@fedchat/contracts';
import { DataSource } from 'typeorm';
import { describeZodError, GlobalUserSyncMsgSchema } from '../user-sync-message';
import { UserSyncMetrics } from '../user-sync.metrics';
import { applyRemoteUsersInBulk, readSenderAndUsers } from './bulk-remote-users';

/**
 * `sharedchannel_global_user_sync` (protocol §4.3, §5.9): a peer's own users, so that they can be found here (for
 * direct messages) before they ever post. No team or channel membership; only users of the sender may change, and a
 * user the sender did not own (one relayed from elsewhere, or one of ours) is refused. A message costs two
 * statements in the common case (read the connection and the stored users, then write the batch: see
 * `applyRemoteUsersInBulk`); the rest goes one by one, each user in its own savepoint.
 */
@Injectable()
export class GlobalUserSyncReceiver {
  private readonly log = new Logger('GlobalUserSyncReceiver');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: UserSyncMetrics,
  ) {}

  async receive(remoteId: string, payload: Record<string, unknown>): Promise<PeerResponse> {
    const parsed = GlobalUserSyncMsgSchema.safeParse(payload);
    if (!parsed.success) {
      const reason = `invalid global user sync message: ${describeZodError(parsed.error)}`;
      this.metrics.refused.inc({ remote_id: remoteId, kind: 'received' });
      this.log.warn({ remoteId, reason }, 'global user sync refused');
      return { status: 'FAIL', err: reason };
    }
    const users = Object.entries(parsed.data.users ?? {});
    if (users.length === 0) return { status: 'OK', payload: null };
    if (!this.config.featureFlags.enableSyncAllUsersForRemoteCluster && !this.config.connectedWorkspaces.syncUsersOnConnectionOpen) {
      return { status: 'OK', payload: null };
    }
    const { sender, stored } = await readSenderAndUsers(
      this.dataSource,
      remoteId,
      users.map(([, user]) => user.id),
    );
    if (!sender) return { status: 'FAIL', err: 'unknown connection' };

    const response = { users_last_update_at: 0, user_errors: [] as string[], users_syncd: [] as string[] };
    const done = (user: SyncUser) => {
      response.users_syncd.push(user.id);
      response.users_last_update_at = Math.max(response.users_last_update_at, user.update_at);
    };
    const refuse = (key: string, reason: string) => {
      this.log.warn({ remoteId, userId: key, reason }, 'global sync user refused');
      response.user_errors.push(key);
    };
    // The sender's own users only: Mattermost never sends users it got from elsewhere in a global sync.
    const candidates: SyncUser[] = [];
    for (const [key, user] of users) {
      if (key !== user.id) refuse(key, 'user key differs from its id');
      else if (user.remote_id) refuse(key, 'not a user of the sender');
      else candidates.push(user);
    }
    const written = await applyRemoteUsersInBulk(this.dataSource, sender, candidates, stored).catch((err: unknown) => {
      // One bad value (text PostgreSQL will not store, say) must not fail the whole batch forever: one by one, it
      // fails alone.
      this.log.warn({ err, remoteId }, 'bulk apply of synced users failed; applying them one by one');
      return new Set<string>();
    });
    const rest = candidates.filter((user) => !written.has(user.id));
    for (const user of candidates) if (written.has(user.id)) done(user);
    // Name collisions, renames, users not the sender's: one by one, each in its own savepoint.
    if (rest.length) {
      await this.dataSource.transaction(async (tx) => {
        for (const user of rest) {
          await tx.query('SAVEPOINT global_user');
          try {
            await upsertRemoteUser(tx, sender, user);
            await tx.query('RELEASE SAVEPOINT global_user');
            done(user);
          } catch (err) {
            await tx.query('ROLLBACK TO SAVEPOINT global_user');
            if (err instanceof RefusedItem) refuse(user.id, err.message);
            else {
              this.log.error({ err, remoteId, userId: user.id }, 'global sync user failed');
              response.user_errors.push(user.id);
            }
          }
        }
      });
    }
    this.metrics.usersReceived.inc({ remote_id: remoteId }, response.users_syncd.length);
    if (response.user_errors.length) this.metrics.refused.inc({ remote_id: remoteId, kind: 'received' }, response.user_errors.length);
    return { status: 'OK', payload: response };
  }
}
