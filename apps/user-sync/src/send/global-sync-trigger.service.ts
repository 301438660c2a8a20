import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, AppError } from '@fedchat/common';
import { GlobalUserSyncProgress } from '@fedchat/contracts';
import { isValidId } from '@fedchat/crypto';
import { DataSource } from 'typeorm';
import { UserSyncWorker } from './user-sync-worker.service';

/**
 * An admin's manual full global user sync with one connection: the keyset cursor goes back to the start and the
 * worker is rung, so the next run sends every local user again in batches. Progress is the share of local users at or
 * before the cursor.
 */
@Injectable()
export class GlobalSyncTrigger {
  private readonly log = new Logger('GlobalSyncTrigger');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly worker: UserSyncWorker,
  ) {}

  async restart(remoteId: string): Promise<GlobalUserSyncProgress> {
    await this.requireConnection(remoteId);
    if (!this.config.featureFlags.enableSyncAllUsersForRemoteCluster) {
      throw AppError.badRequest(
        'api.remote_cluster.sync_users_disabled.app_error',
        'Global user sync is switched off here (MM_FEATUREFLAGS_ENABLESYNCALLUSERSFORREMOTECLUSTER).',
      );
    }
    // A run holding this remote notices the moved cursor at its next batch and stops (RemoteLease.advanceGlobal).
    await this.dataSource.query(
      `UPDATE remote_clusters SET last_global_user_sync_at = 0, last_global_user_sync_id = '' WHERE remote_id = $1`,
      [remoteId],
    );
    this.log.log({ remoteId }, 'full global user sync requested');
    this.worker.ring();
    return this.progress(remoteId);
  }

  async progress(remoteId: string): Promise<GlobalUserSyncProgress> {
    await this.requireConnection(remoteId);
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS total,
              count(*) FILTER (WHERE (u.update_at, u.id) <= (r.last_global_user_sync_at, r.last_global_user_sync_id))::int AS sent
       FROM users u, remote_clusters r WHERE u.remote_id = '' AND r.remote_id = $1`,
      [remoteId],
    );
    const total = Number(row?.total ?? 0);
    const sent = Number(row?.sent ?? 0);
    return { remote_id: remoteId, users_total: total, users_sent: sent, in_progress: sent < total };
  }

  private async requireConnection(remoteId: string): Promise<void> {
    if (!isValidId(remoteId)) throw AppError.invalidParam('remote_id');
    const [rc] = await this.dataSource.query(`SELECT site_url, plugin_id FROM remote_clusters WHERE remote_id = $1 AND delete_at = 0`, [
      remoteId,
    ]);
    if (!rc) throw AppError.notFound('remote cluster', 'api.remote_cluster.get.not_found');
    if (rc.plugin_id !== '' || rc.site_url.startsWith('pending_')) {
      throw AppError.badRequest('api.remote_cluster.not_confirmed.app_error', 'The secure connection is not confirmed (or is a plugin).');
    }
  }
}
