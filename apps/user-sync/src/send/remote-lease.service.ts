import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, leaseOwnerFor, logLeaseTakeovers } from '@fedchat/common';
import { newId } from '@fedchat/crypto';
import { returning } from '@fedchat/models';
import { DataSource } from 'typeorm';

/** A remote this replica holds: only the holder sends it users and memberships, so nothing goes twice or out of order. */
export interface ClaimedRemote {
  remote_id: string;
  /** Keyset cursor of the global user sync: (last_global_user_sync_at, last_global_user_sync_id). */
  globalCursor: { at: number; id: string };
  /** When this replica last made sure of the lease (claim, renewal, cursor move): `renewIfDue` skips a fresh one. */
  leaseCheckedAt?: number;
}

/**
 * The per-remote lease of the user-sync senders (`remote_clusters.user_sync_lease_*`), taken with
 * `FOR UPDATE SKIP LOCKED` like the sync queue's pair leases: any number of replicas may poll, each online remote is
 * worked by one of them at a time, and a replica that dies loses its remotes when the lease runs out.
 */
@Injectable()
export class RemoteLease {
  private readonly owner: string;
  private readonly logger = new Logger(RemoteLease.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.owner = leaseOwnerFor(config.instanceId);
  }

  /** Claims up to `limit` online, confirmed remotes that nobody holds. */
  async claim(limit: number): Promise<ClaimedRemote[]> {
    const now = Date.now();
    const rows = await returning<{
      remote_id: string;
      last_global_user_sync_at: string;
      last_global_user_sync_id: string;
      previous_owner: string;
    }>(
      this.dataSource,
      `UPDATE remote_clusters r SET user_sync_lease_owner = $1, user_sync_lease_until = $2
       FROM (
         SELECT remote_id, user_sync_lease_owner AS previous_owner FROM remote_clusters
         WHERE delete_at = 0 AND is_online AND plugin_id = '' AND user_sync_lease_until < $3
         ORDER BY remote_id
         LIMIT $4
         FOR UPDATE SKIP LOCKED
       ) due
       WHERE r.remote_id = due.remote_id
       RETURNING r.remote_id, r.last_global_user_sync_at, r.last_global_user_sync_id, due.previous_owner`,
      [this.owner, now + this.config.sharedChannels.leaseMs, now, limit],
    );
    logLeaseTakeovers(
      this.logger,
      'remotes (user sync)',
      this.owner,
      rows.map((r) => ({ key: r.remote_id, previousOwner: r.previous_owner })),
    );
    return rows.map((r) => ({
      remote_id: r.remote_id,
      globalCursor: { at: Number(r.last_global_user_sync_at), id: r.last_global_user_sync_id },
      leaseCheckedAt: now,
    }));
  }

  /** Renews the lease before a delivery; false when it was lost (another replica goes on from the cursors). */
  async renew(remote: ClaimedRemote): Promise<boolean> {
    const rows = await returning(
      this.dataSource,
      `UPDATE remote_clusters SET user_sync_lease_until = $3 WHERE remote_id = $1 AND user_sync_lease_owner = $2 RETURNING remote_id`,
      [remote.remote_id, this.owner, Date.now() + this.config.sharedChannels.leaseMs],
    );
    return rows.length > 0;
  }

  /**
   * `renew`, unless the lease was made sure of within the last quarter of its length: it then still has three
   * quarters to run, and only its owner's release ends it earlier (a claim takes expired leases only). Saves a
   * statement per message of a global user sync, which sends several a second.
   */
  async renewIfDue(remote: ClaimedRemote): Promise<boolean> {
    const now = Date.now();
    if (remote.leaseCheckedAt !== undefined && now - remote.leaseCheckedAt < this.config.sharedChannels.leaseMs / 4) return true;
    if (!(await this.renew(remote))) return false;
    remote.leaseCheckedAt = now;
    return true;
  }

  /**
   * Moves the global user sync cursor after a confirmed batch, renews the lease and records which version of each of
   * `sent` the remote now has (`shared_channel_users`, channel ''), all in one statement; false when the lease was
   * lost, or when the cursor was moved meanwhile (an admin restarted the full sync: the next run starts over, this
   * one must not undo that), and then nothing is written.
   */
  async advanceGlobal(
    remote: ClaimedRemote,
    cursor: { at: number; id: string },
    sent: { id: string; update_at: number }[],
  ): Promise<boolean> {
    const now = Date.now();
    const rows = await returning(
      this.dataSource,
      `WITH moved AS (
         UPDATE remote_clusters SET last_global_user_sync_at = $3, last_global_user_sync_id = $4, user_sync_lease_until = $7
         WHERE remote_id = $1 AND user_sync_lease_owner = $2 AND last_global_user_sync_at = $5 AND last_global_user_sync_id = $6
         RETURNING remote_id
       ), recorded AS (
         INSERT INTO shared_channel_users (id, user_id, channel_id, remote_id, create_at, last_sync_at)
         SELECT x.id, x.user_id, '', moved.remote_id, $8, x.at
         FROM moved, unnest($9::varchar[], $10::varchar[], $11::bigint[]) AS x(id, user_id, at)
         ON CONFLICT (user_id, channel_id, remote_id)
           DO UPDATE SET last_sync_at = GREATEST(shared_channel_users.last_sync_at, EXCLUDED.last_sync_at)
       )
       SELECT remote_id FROM moved`,
      [
        remote.remote_id,
        this.owner,
        cursor.at,
        cursor.id,
        remote.globalCursor.at,
        remote.globalCursor.id,
        now + this.config.sharedChannels.leaseMs,
        now,
        sent.map(() => newId()),
        sent.map((u) => u.id),
        sent.map((u) => u.update_at),
      ],
    );
    if (rows.length === 0) return false;
    remote.globalCursor = cursor;
    remote.leaseCheckedAt = now;
    return true;
  }

  async release(remote: ClaimedRemote): Promise<void> {
    await this.dataSource.query(
      `UPDATE remote_clusters SET user_sync_lease_owner = '', user_sync_lease_until = 0 WHERE remote_id = $1 AND user_sync_lease_owner = $2`,
      [remote.remote_id, this.owner],
    );
  }
}
