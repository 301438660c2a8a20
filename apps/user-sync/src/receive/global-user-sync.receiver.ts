import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { insertNewRemoteUsers, RefusedItem, SyncUser, upsertRemoteUser } from '@fedchat/chat';
import { PeerResponse } from '@fedchat/contracts';
import { RemoteCluster } from '@fedchat/models';
import { DataSource, EntityManager } from 'typeorm';
import { describeZodError, GlobalUserSyncMsgSchema } from '../user-sync-message';
import { UserSyncMetrics } from '../user-sync.metrics';

/**
 * `sharedchannel_global_user_sync` (protocol §4.3, §5.9): a peer's own users, so that they can be found here (for
 * direct messages) before they ever post. Each user is created or updated in its own savepoint, with no team or
 * channel membership; only users of the sender may change, and a user the sender did not own (one relayed from
 * elsewhere, or one of ours) is refused.
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
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: remoteId, delete_at: 0 });
    if (!rc) return { status: 'FAIL', err: 'unknown connection' };

    const response = { users_last_update_at: 0, user_errors: [] as string[], users_syncd: [] as string[] };
    const done = (user: SyncUser) => {
      response.users_syncd.push(user.id);
      response.users_last_update_at = Math.max(response.users_last_update_at, user.update_at);
    };
    await this.dataSource.transaction(async (tx) => {
      const created = await this.createNewUsers(tx, rc, users);
      for (const [key, user] of users) {
        if (created.has(key)) {
          done(user);
          continue;
        }
        await tx.query('SAVEPOINT global_user');
        try {
          await this.applyUser(tx, rc, key, user);
          await tx.query('RELEASE SAVEPOINT global_user');
          done(user);
        } catch (err) {
          await tx.query('ROLLBACK TO SAVEPOINT global_user');
          if (err instanceof RefusedItem) this.log.warn({ remoteId, userId: key, reason: err.message }, 'global sync user refused');
          else this.log.error({ err, remoteId, userId: key }, 'global sync user failed');
          response.user_errors.push(key);
        }
      }
    });
    this.metrics.usersReceived.inc({ remote_id: remoteId }, response.users_syncd.length);
    if (response.user_errors.length) this.metrics.refused.inc({ remote_id: remoteId, kind: 'received' }, response.user_errors.length);
    return { status: 'OK', payload: response };
  }

  /**
   * The bulk of a first sync: users new here, well-formed and the sender's own, created with one statement. Anything
   * else (updates, refusals, name collisions) goes through `applyUser` one by one.
   */
  private async createNewUsers(tx: EntityManager, rc: RemoteCluster, users: [string, SyncUser][]): Promise<Set<string>> {
    const candidates = users.filter(([key, user]) => key === user.id && !user.remote_id).map(([, user]) => user);
    if (candidates.length === 0) return new Set();
    const known: { id: string }[] = await tx.query('SELECT id FROM users WHERE id = ANY($1)', [candidates.map((u) => u.id)]);
    const exists = new Set(known.map((r) => r.id));
    await tx.query('SAVEPOINT global_bulk');
    try {
      const created = await insertNewRemoteUsers(
        tx,
        rc,
        candidates.filter((u) => !exists.has(u.id)),
      );
      await tx.query('RELEASE SAVEPOINT global_bulk');
      return created;
    } catch (err) {
      await tx.query('ROLLBACK TO SAVEPOINT global_bulk');
      this.log.warn({ err, remoteId: rc.remote_id }, 'bulk creation of synced users failed; creating them one by one');
      return new Set();
    }
  }

  private async applyUser(tx: EntityManager, rc: RemoteCluster, key: string, user: SyncUser): Promise<void> {
    if (key !== user.id) throw new RefusedItem('user key differs from its id');
    // The sender's own users only: Mattermost never sends users it got from elsewhere in a global sync.
    if (user.remote_id) throw new RefusedItem('not a user of the sender');
    await upsertRemoteUser(tx, rc, user);
  }
}
