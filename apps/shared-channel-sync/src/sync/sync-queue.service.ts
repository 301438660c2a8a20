import { Post, returning } from '@fedchat/models';
import type { SyncHealthReply } from '@fedchat/contracts';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, leaseOwnerFor, logLeaseTakeovers } from '@fedchat/common';
import { DataSource } from 'typeorm';

/** A (channel, remote) pair this replica holds the lease on, with its cursor and health as claimed. */
export interface ClaimedPair {
  id: string;
  channel_id: string;
  remote_id: string;
  cursor: Cursor;
  failures: number;
  interrupted_since: number;
  interruption_notified: boolean;
  /** The channel metadata stamp the remote has confirmed (home side). */
  metadata_synced_at: number;
  /** The channel metadata stamp as claimed (home side; 0 otherwise): newer than `metadata_synced_at` means it travels. */
  metadata_changed_at: number;
  /** The pair had refused posts in the dead-letter table when claimed (or got some since): only then are they looked at. */
  dead_letters: boolean;
  /**
   * The first changes past the cursor, read by the claim itself (at most `first.limit`, in `(update_at, id)` order),
   * so that a run's first batch costs no read of its own. Taken by the run's first batch; a later one reads.
   */
  first?: { limit: number; posts: Post[] };
}

/** Keyset position in a channel's changes: everything up to (at, id) in `(update_at, id)` order was delivered. */
export interface Cursor {
  at: number;
  id: string;
}

interface PairRow {
  id: string;
  channel_id: string;
  remote_id: string;
  last_post_update_at: string;
  last_post_id: string;
  failures: number;
  interrupted_since: string;
  interruption_notified: boolean;
  last_metadata_sync_at: string;
  metadata_changed_at: string;
  dead_letters: boolean;
  /** Lease owner before this claim: another instance's means its lease ran out (it died or hung). */
  previous_owner: string;
  /** The posts past the cursor, as `posts` rows (JSON numbers for the bigint columns), at most the claim's limit. */
  first_posts: Post[] | null;
}

/** Pairs with changes past their cursor: the pending work, derived from the data itself (nothing else to keep). */
const HAS_WORK = `(EXISTS (SELECT 1 FROM posts p WHERE p.channel_id = scr.channel_id
                            AND (p.update_at, p.id) > (scr.last_post_update_at, scr.last_post_id))
                  OR EXISTS (SELECT 1 FROM shared_channels sc WHERE sc.channel_id = scr.channel_id AND sc.home
                            AND sc.metadata_changed_at > scr.last_metadata_sync_at)
                  OR EXISTS (SELECT 1 FROM sync_dead_letters d WHERE d.channel_id = scr.channel_id AND d.remote_id = scr.remote_id
                            AND d.state = 'retrying' AND d.next_retry_at <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint))`;

/**
 * The durable work queue of the sync engine, kept in `shared_channel_remotes` next to the cursors. A pair is due when
 * a change lies past its cursor; a replica claims due pairs with FOR UPDATE SKIP LOCKED and a lease, so each pair is
 * worked by one replica at a time (order kept, nothing sent twice), and a replica that dies only delays its pairs
 * until the lease runs out. Every write checks the lease owner, so a replica that lost its lease changes nothing.
 */
@Injectable()
export class SyncQueue {
  /** Unique per process start, so that a restarted replica never mistakes an old lease for its own. */
  readonly owner: string;
  private readonly logger = new Logger(SyncQueue.name);
  /** The `posts` columns of the Post entity, so that the claim's rows have the entity's shape and nothing more. */
  private readonly postColumns: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.owner = leaseOwnerFor(config.instanceId);
    this.postColumns = dataSource
      .getMetadata(Post)
      .columns.map((c) => `p.${c.databaseName} AS "${c.propertyName}"`)
      .join(', ');
  }

  /**
   * Claims up to `limit` due pairs (of one channel, when given), oldest retry first, each with its first MaxPostsPerSync
   * changes past the cursor: on a post's way to the peer the claim is then the only statement before the batch's
   * other reads (one round trip less). The rows are those the claim's snapshot saw; a change committed after it rings
   * the doorbell, which the run or the pair's look-again claim hears.
   */
  async claim(limit: number, channelId?: string): Promise<ClaimedPair[]> {
    const now = Date.now();
    const firstLimit = this.config.connectedWorkspaces.maxPostsPerSync;
    const rows = await returning<PairRow>(
      this.dataSource,
      `UPDATE shared_channel_remotes s SET lease_owner = $1, lease_until = $2
       FROM (
         SELECT scr.id, scr.lease_owner AS previous_owner FROM shared_channel_remotes scr
         JOIN remote_clusters rc ON rc.remote_id = scr.remote_id AND rc.delete_at = 0
         WHERE scr.delete_at = 0 AND scr.is_invite_confirmed AND scr.next_sync_at <= $3 AND scr.lease_until < $3
           AND ($5::varchar IS NULL OR scr.channel_id = $5) AND ${HAS_WORK}
         ORDER BY scr.next_sync_at, scr.id
         LIMIT $4
         FOR UPDATE OF scr SKIP LOCKED
       ) due
       WHERE s.id = due.id
       RETURNING s.id, s.channel_id, s.remote_id, s.last_post_update_at, s.last_post_id, s.failures, s.interrupted_since,
                 s.interruption_notified, s.last_metadata_sync_at, due.previous_owner,
                 COALESCE((SELECT sc.metadata_changed_at FROM shared_channels sc WHERE sc.channel_id = s.channel_id AND sc.home), 0)
                   AS metadata_changed_at,
                 EXISTS (SELECT 1 FROM sync_dead_letters d WHERE d.channel_id = s.channel_id AND d.remote_id = s.remote_id) AS dead_letters,
                 (SELECT json_agg(f ORDER BY f.update_at, f.id) FROM (
                    SELECT ${this.postColumns} FROM posts p
                    WHERE p.channel_id = s.channel_id AND (p.update_at, p.id) > (s.last_post_update_at, s.last_post_id)
                    ORDER BY p.update_at, p.id LIMIT $6) f) AS first_posts`,
      [this.owner, now + this.config.sharedChannels.leaseMs, now, limit, channelId ?? null, firstLimit],
    );
    logLeaseTakeovers(
      this.logger,
      '(channel, remote) pairs',
      this.owner,
      rows.map((r) => ({ key: `${r.channel_id}/${r.remote_id}`, previousOwner: r.previous_owner })),
    );
    return rows.map((r) => ({
      id: r.id,
      channel_id: r.channel_id,
      remote_id: r.remote_id,
      cursor: { at: Number(r.last_post_update_at), id: r.last_post_id },
      failures: r.failures,
      interrupted_since: Number(r.interrupted_since),
      interruption_notified: r.interruption_notified,
      metadata_synced_at: Number(r.last_metadata_sync_at),
      metadata_changed_at: Number(r.metadata_changed_at),
      dead_letters: r.dead_letters,
      first: { limit: firstLimit, posts: (r.first_posts ?? []).map((row) => Object.assign(new Post(), row)) },
    }));
  }

  /** Keeps the lease of a pair still running (a batch may wait up to a peer's deadline). False when it was lost. */
  async renew(pair: ClaimedPair): Promise<boolean> {
    const rows = await returning(
      this.dataSource,
      `UPDATE shared_channel_remotes SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND delete_at = 0 RETURNING id`,
      [pair.id, this.owner, Date.now() + this.config.sharedChannels.leaseMs],
    );
    return rows.length > 0;
  }

  /** Records a delivered batch: the cursor moves and the lease is renewed. False when the lease was lost. */
  async advance(pair: ClaimedPair, cursor: Cursor): Promise<boolean> {
    const now = Date.now();
    const rows = await returning(
      this.dataSource,
      `UPDATE shared_channel_remotes
         SET last_post_update_at = $3, last_post_id = $4, last_post_create_at = GREATEST(last_post_create_at, $3),
             last_post_create_id = $4, update_at = $5, last_sync_at = $5, lease_until = $6
       WHERE id = $1 AND lease_owner = $2 AND delete_at = 0 RETURNING id`,
      [pair.id, this.owner, cursor.at, cursor.id, now, now + this.config.sharedChannels.leaseMs],
    );
    if (rows.length === 0) return false;
    pair.cursor = cursor;
    return true;
  }

  /** The remote confirmed the channel metadata of stamp `stamp`. False when the lease was lost. */
  async metadataDelivered(pair: ClaimedPair, stamp: number): Promise<boolean> {
    const rows = await returning(
      this.dataSource,
      `UPDATE shared_channel_remotes SET last_metadata_sync_at = GREATEST(last_metadata_sync_at, $3)
       WHERE id = $1 AND lease_owner = $2 AND delete_at = 0 RETURNING id`,
      [pair.id, this.owner, stamp],
    );
    if (rows.length === 0) return false;
    pair.metadata_synced_at = stamp;
    return true;
  }

  /**
   * The run ended well: the pair is healthy again and free for any replica. True when this run ended an interruption
   * the channel was told about: only that run posts "resumed", not every run that claimed the pair meanwhile.
   */
  async succeed(pair: ClaimedPair): Promise<boolean> {
    const rows = await returning<{ was_notified: boolean }>(
      this.dataSource,
      `WITH before AS (SELECT interruption_notified FROM shared_channel_remotes WHERE id = $1 AND lease_owner = $2 FOR UPDATE)
       UPDATE shared_channel_remotes s SET lease_owner = '', lease_until = 0, failures = 0, last_error = '', next_sync_at = 0,
         interrupted_since = 0, interruption_notified = false
       FROM before WHERE s.id = $1 AND s.lease_owner = $2 RETURNING before.interruption_notified AS was_notified`,
      [pair.id, this.owner],
    );
    return rows[0]?.was_notified === true;
  }

  /** The run failed: retry after `retryInMs`; the cursor stays where the last delivered batch left it. */
  async fail(pair: ClaimedPair, error: string, retryInMs: number): Promise<{ interruptedSince: number; notified: boolean } | undefined> {
    const now = Date.now();
    const rows = await returning<{ interrupted_since: string; interruption_notified: boolean }>(
      this.dataSource,
      `UPDATE shared_channel_remotes SET lease_owner = '', lease_until = 0, failures = failures + 1, last_error = $3,
         next_sync_at = $4, interrupted_since = CASE WHEN interrupted_since = 0 THEN $5 ELSE interrupted_since END
       WHERE id = $1 AND lease_owner = $2 RETURNING interrupted_since, interruption_notified`,
      [pair.id, this.owner, error.slice(0, 1000), now + retryInMs, now],
    );
    if (rows.length === 0) return undefined;
    return { interruptedSince: Number(rows[0].interrupted_since), notified: rows[0].interruption_notified };
  }

  /** Remembers that the channel was told about the interruption (once per interruption). */
  async markInterruptionNotified(pair: ClaimedPair): Promise<boolean> {
    const rows = await returning(
      this.dataSource,
      `UPDATE shared_channel_remotes SET interruption_notified = true WHERE id = $1 AND NOT interruption_notified RETURNING id`,
      [pair.id],
    );
    return rows.length > 0;
  }

  /** Gives a pair back without judging the run (shutdown, or the remote stopped sharing). */
  async release(pair: ClaimedPair): Promise<void> {
    await this.dataSource.query(`UPDATE shared_channel_remotes SET lease_owner = '', lease_until = 0 WHERE id = $1 AND lease_owner = $2`, [
      pair.id,
      this.owner,
    ]);
  }

  /**
   * The batch waits for its attachments: the pair is free again and due after `waitMs` (or at once when a transfer
   * completes, see `wakeChannel`), with its health untouched: waiting is not failing.
   */
  async waitForFiles(pair: ClaimedPair, waitMs: number): Promise<{ interruptedSince: number; notified: boolean } | undefined> {
    // Waiting for files is no delivery either: when the remote has not answered a ping for the interruption threshold,
    // its posts are not getting through, so the pair's interruption begins (at the last answered ping) as a failed
    // delivery would begin it; a delivery that goes through ends it as always.
    const now = Date.now();
    const rows = await returning<{ interrupted_since: string; interruption_notified: boolean }>(
      this.dataSource,
      `UPDATE shared_channel_remotes s SET lease_owner = '', lease_until = 0, next_sync_at = $3,
         interrupted_since = CASE WHEN s.interrupted_since = 0 AND rc.last_ping_at > 0 AND rc.last_ping_at <= $4
                                  THEN rc.last_ping_at ELSE s.interrupted_since END
       FROM remote_clusters rc
       WHERE s.id = $1 AND s.lease_owner = $2 AND rc.remote_id = s.remote_id
       RETURNING s.interrupted_since, s.interruption_notified`,
      [pair.id, this.owner, now + waitMs, now - this.config.sharedChannels.interruptedAfterMs],
    );
    if (rows.length === 0) return undefined;
    return { interruptedSince: Number(rows[0].interrupted_since), notified: rows[0].interruption_notified };
  }

  /**
   * The channel changed (e.g. a file arrived at a remote): healthy pairs waiting for files are due now. True when
   * any pair was waiting.
   */
  async wakeChannel(channelId: string): Promise<boolean> {
    const woken = await returning(
      this.dataSource,
      `UPDATE shared_channel_remotes SET next_sync_at = 0 WHERE channel_id = $1 AND failures = 0 AND next_sync_at > 0 AND delete_at = 0
       RETURNING id`,
      [channelId],
    );
    return woken.length > 0;
  }

  /** A remote came back: its pairs are due now, whatever their backoff said (full catch-up). */
  async wakeRemote(remoteId: string): Promise<void> {
    await this.dataSource.query(`UPDATE shared_channel_remotes SET next_sync_at = 0 WHERE remote_id = $1 AND delete_at = 0`, [remoteId]);
  }

  /**
   * One connection's backlog: its pairs with undelivered changes, the oldest undelivered post change, and the posts it
   * refused (for `GET /api/v4/remotecluster/{id}/health`).
   */
  async healthOf(remoteId: string): Promise<SyncHealthReply> {
    const rows: SyncHealthReply[] = await this.dataSource.query(
      `SELECT
         (SELECT count(*)::int FROM shared_channel_remotes scr
           WHERE scr.remote_id = $1 AND scr.delete_at = 0 AND scr.is_invite_confirmed AND ${HAS_WORK}) AS queue_size,
         (SELECT COALESCE(min(p.update_at), 0)::bigint FROM shared_channel_remotes scr
           JOIN posts p ON p.channel_id = scr.channel_id AND (p.update_at, p.id) > (scr.last_post_update_at, scr.last_post_id)
           WHERE scr.remote_id = $1 AND scr.delete_at = 0 AND scr.is_invite_confirmed) AS oldest_pending_at,
         (SELECT count(*)::int FROM sync_dead_letters d WHERE d.remote_id = $1) AS refused_items`,
      [remoteId],
    );
    return { ...rows[0], oldest_pending_at: Number(rows[0].oldest_pending_at) };
  }

  /** Pairs with undelivered changes (for the queue-size gauge). */
  async pendingPairs(): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM shared_channel_remotes scr WHERE scr.delete_at = 0 AND scr.is_invite_confirmed AND ${HAS_WORK}`,
    );
    return rows[0].n;
  }
}
