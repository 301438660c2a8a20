import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, leaseOwnerFor, logLeaseTakeovers } from '@fedchat/common';
import { returning } from '@fedchat/models';
import { DataSource } from 'typeorm';

/** A (file, remote) transfer this replica holds the lease on. */
export interface ClaimedTransfer {
  id: string;
  file_id: string;
  remote_id: string;
  channel_id: string;
  post_id: string;
  failures: number;
}

/**
 * The durable queue of attachment transfers, kept in `shared_channel_attachments`: a `pending` row per (file, remote)
 * still to send, `done` once the peer confirmed the whole file, `abandoned` when the peer refused it for good or its
 * post was deleted. Replicas claim due rows with FOR UPDATE SKIP LOCKED and a lease (renewed while a transfer runs),
 * so each file goes to each remote from one replica at a time; every write checks the lease owner. Rows are added only
 * through `queueMissingAttachments` (libs/common/src/files/attachment-queue.ts), this queue's entry for the sync sender.
 */
@Injectable()
export class TransferQueue {
  /** Unique per process start, so that a restarted replica never mistakes an old lease for its own. */
  readonly owner: string;
  private readonly logger = new Logger(TransferQueue.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.owner = leaseOwnerFor(config.instanceId);
  }

  /** Claims up to `limit` due transfers, oldest first. */
  async claim(limit: number): Promise<ClaimedTransfer[]> {
    const now = Date.now();
    const rows = await returning<ClaimedTransfer & { previous_owner: string }>(
      this.dataSource,
      `UPDATE shared_channel_attachments s SET lease_owner = $1, lease_until = $2
       FROM (
         SELECT sca.id, sca.lease_owner AS previous_owner FROM shared_channel_attachments sca
         WHERE sca.status = 'pending' AND sca.next_try_at <= $3 AND sca.lease_until < $3
         ORDER BY sca.next_try_at, sca.create_at, sca.id
         LIMIT $4
         FOR UPDATE SKIP LOCKED
       ) due
       WHERE s.id = due.id
       RETURNING s.id, s.file_id, s.remote_id, s.channel_id, s.post_id, s.failures, due.previous_owner`,
      [this.owner, now + this.config.fileTransfer.leaseMs, now, limit],
    );
    logLeaseTakeovers(
      this.logger,
      'file transfers',
      this.owner,
      rows.map((r) => ({ key: `${r.file_id}->${r.remote_id}`, previousOwner: r.previous_owner })),
    );
    return rows.map((r) => ({
      id: r.id,
      file_id: r.file_id,
      remote_id: r.remote_id,
      channel_id: r.channel_id,
      post_id: r.post_id,
      failures: r.failures,
    }));
  }

  /** Extends the lease of a running transfer; false when it was lost (another replica may have it now). */
  async renew(t: ClaimedTransfer): Promise<boolean> {
    const rows = await returning(
      this.dataSource,
      `UPDATE shared_channel_attachments SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'pending' RETURNING id`,
      [t.id, this.owner, Date.now() + this.config.fileTransfer.leaseMs],
    );
    return rows.length > 0;
  }

  /** Adds to the bytes sent for this transfer (kept across attempts, so that a resumed transfer shows what it saved). */
  async addBytes(t: ClaimedTransfer, bytes: number): Promise<void> {
    if (bytes > 0)
      await this.dataSource.query(`UPDATE shared_channel_attachments SET bytes_sent = bytes_sent + $2 WHERE id = $1`, [t.id, bytes]);
  }

  /** The peer holds the whole file. */
  async complete(t: ClaimedTransfer): Promise<boolean> {
    const now = Date.now();
    const rows = await returning(
      this.dataSource,
      `UPDATE shared_channel_attachments SET status = 'done', last_sync_at = $3, lease_owner = '', lease_until = 0, failures = 0,
         last_error = '', next_try_at = 0
       WHERE id = $1 AND lease_owner = $2 RETURNING id`,
      [t.id, this.owner, now],
    );
    return rows.length > 0;
  }

  /** A transient failure: tried again after `retryInMs`. */
  async fail(t: ClaimedTransfer, error: string, retryInMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE shared_channel_attachments SET lease_owner = '', lease_until = 0, failures = failures + 1, last_error = $3,
         next_try_at = $4
       WHERE id = $1 AND lease_owner = $2`,
      [t.id, this.owner, error.slice(0, 1000), Date.now() + retryInMs],
    );
  }

  /** Given up for good: the posts travel without this file. */
  async abandon(t: ClaimedTransfer, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE shared_channel_attachments SET status = 'abandoned', lease_owner = '', lease_until = 0, last_error = $3
       WHERE id = $1 AND lease_owner = $2`,
      [t.id, this.owner, error.slice(0, 1000)],
    );
  }

  /** Gives a transfer back without judging it (shutdown). */
  async release(t: ClaimedTransfer): Promise<void> {
    await this.dataSource.query(
      `UPDATE shared_channel_attachments SET lease_owner = '', lease_until = 0 WHERE id = $1 AND lease_owner = $2`,
      [t.id, this.owner],
    );
  }

  /** A remote came back: its transfers are due now, whatever their backoff said. */
  async wakeRemote(remoteId: string): Promise<void> {
    await this.dataSource.query(`UPDATE shared_channel_attachments SET next_try_at = 0 WHERE remote_id = $1 AND status = 'pending'`, [
      remoteId,
    ]);
  }

  /** Transfers waiting to be sent or retried to one remote (for `GET /api/v4/remotecluster/{id}/health`). */
  async pendingFor(remoteId: string): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM shared_channel_attachments WHERE remote_id = $1 AND status = 'pending'`,
      [remoteId],
    );
    return rows[0].n;
  }

  /** Transfers waiting to be sent or retried (for the gauge). */
  async pendingCount(): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM shared_channel_attachments WHERE status = 'pending'`,
    );
    return rows[0].n;
  }
}
