import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, AppError, Bus } from '@fedchat/common';
import { SharedChannelChangedEvent, SyncErrorJson } from '@fedchat/contracts';
import { isValidId, newId } from '@fedchat/crypto';
import { returning } from '@fedchat/models';
import { DataSource } from 'typeorm';

/** What the protocol tells us about a refused post: only its id (SyncResponse `post_errors`). */
export const REFUSED_REASON = 'refused by the remote (post_errors; the protocol carries no reason)';
/** A post whose reactions or acknowledgements the remote refused: they are sent again with it. */
export const REACTIONS_REFUSED_REASON = 'reactions or acknowledgements refused by the remote (reaction_errors, acknowledgement_errors)';

/** Longest wait between automatic re-sends of a refused post. */
const MAX_DELAY_MS = 86_400_000;

interface Row {
  id: string;
  channel_id: string;
  remote_id: string;
  post_id: string;
  reason: string;
  attempts: number;
  state: 'retrying' | 'failed';
  next_retry_at: string;
  create_at: string;
  update_at: string;
}

const COLUMNS = 'id, channel_id, remote_id, post_id, reason, attempts, state, next_retry_at, create_at, update_at';

/**
 * The dead-letter table of content sync (`sync_dead_letters`): every post a remote refused, per (channel, remote,
 * post), with its reason, attempts and next try. The sender records refusals here and re-sends the due ones with
 * backoff (`attempts` counts refused deliveries; after SHARED_CHANNELS_REFUSED_MAX_ATTEMPTS re-sends the item is
 * `failed` and waits for an admin, who may retry or discard it). A delivered re-send removes the row.
 */
@Injectable()
export class DeadLetters {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: Bus,
  ) {}

  /** The remote refused these posts (again): one more attempt each, and the next try or `failed`. */
  async refused(channelId: string, remoteId: string, postIds: string[], reason = REFUSED_REASON): Promise<void> {
    const now = Date.now();
    const { refusedMaxAttempts: max, refusedRetryBaseMs: base } = this.config.sharedChannels;
    for (const postId of new Set(postIds.filter(isValidId))) {
      // attempts after this refusal = previous + 1; re-sent while attempts <= max (so `max` re-sends in all).
      await this.dataSource.query(
        `INSERT INTO sync_dead_letters AS d (id, channel_id, remote_id, post_id, reason, attempts, state, next_retry_at, create_at, update_at)
         SELECT $1::varchar, $2::varchar, $3::varchar, $4::varchar, $5::text, 1, CASE WHEN 1 <= $7::int THEN 'retrying' ELSE 'failed' END, $6::bigint + $8::bigint, $6::bigint, $6::bigint
         WHERE EXISTS (SELECT 1 FROM posts WHERE id = $4::varchar AND channel_id = $2::varchar)
         ON CONFLICT (channel_id, remote_id, post_id) DO UPDATE SET
           reason = EXCLUDED.reason, attempts = d.attempts + 1, update_at = $6::bigint,
           state = CASE WHEN d.attempts + 1 <= $7::int THEN 'retrying' ELSE 'failed' END,
           next_retry_at = $6::bigint + LEAST($9::bigint, $8::bigint * power(2, LEAST(d.attempts, 30))::bigint)`,
        [newId(), channelId, remoteId, postId, reason, now, max, base, MAX_DELAY_MS],
      );
    }
  }

  /** Re-sends that are due for a pair, oldest first. */
  async due(channelId: string, remoteId: string, limit: number): Promise<string[]> {
    const rows: { post_id: string }[] = await this.dataSource.query(
      `SELECT post_id FROM sync_dead_letters WHERE channel_id = $1 AND remote_id = $2 AND state = 'retrying' AND next_retry_at <= $3
       ORDER BY next_retry_at, id LIMIT $4`,
      [channelId, remoteId, Date.now(), limit],
    );
    return rows.map((r) => r.post_id);
  }

  /** The remote took these posts (or there is nothing left to send): the rows go. */
  async settled(channelId: string, remoteId: string, postIds: string[]): Promise<void> {
    if (postIds.length === 0) return;
    await this.dataSource.query(`DELETE FROM sync_dead_letters WHERE channel_id = $1 AND remote_id = $2 AND post_id = ANY($3)`, [
      channelId,
      remoteId,
      postIds,
    ]);
  }

  async list(channelId: string, page: number, perPage: number): Promise<SyncErrorJson[]> {
    if (!isValidId(channelId)) throw AppError.invalidParam('channel_id');
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM sync_dead_letters WHERE channel_id = $1 ORDER BY create_at DESC, id LIMIT $2 OFFSET $3`,
      [channelId, perPage, page * perPage],
    );
    return rows.map(toJson);
  }

  /** An admin asks for one more attempt now; the sync engine is rung. */
  async retry(channelId: string, errorId: string): Promise<SyncErrorJson> {
    const rows = await returning<Row>(
      this.dataSource,
      `UPDATE sync_dead_letters SET state = 'retrying', next_retry_at = 0, update_at = $3 WHERE id = $1 AND channel_id = $2
       RETURNING ${COLUMNS}`,
      [errorId, channelId, Date.now()],
    );
    if (rows.length === 0) throw notFound();
    this.bus.emit(SharedChannelChangedEvent, { channel_id: channelId });
    return toJson(rows[0]);
  }

  /** An admin gives up on the item: nothing more is tried (a later change of the post travels as usual). */
  async discard(channelId: string, errorId: string): Promise<SyncErrorJson> {
    const rows = await returning<Row>(
      this.dataSource,
      `DELETE FROM sync_dead_letters WHERE id = $1 AND channel_id = $2 RETURNING ${COLUMNS}`,
      [errorId, channelId],
    );
    if (rows.length === 0) throw notFound();
    return toJson(rows[0]);
  }

  /** Open items by state, for the gauge. */
  async counts(): Promise<{ state: string; n: number }[]> {
    return this.dataSource.query(`SELECT state, count(*)::int AS n FROM sync_dead_letters GROUP BY state`);
  }
}

function notFound(): AppError {
  return AppError.notFound('sync error', 'api.shared_channel.sync_error.not_found');
}

function toJson(r: Row): SyncErrorJson {
  return {
    id: r.id,
    channel_id: r.channel_id,
    remote_id: r.remote_id,
    post_id: r.post_id,
    reason: r.reason,
    attempts: r.attempts,
    state: r.state,
    next_retry_at: Number(r.next_retry_at),
    create_at: Number(r.create_at),
    update_at: Number(r.update_at),
  };
}
