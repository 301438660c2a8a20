import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { Post, User } from '@fedchat/models';
import { DataSource, In } from 'typeorm';
import { PostReads } from '../posts/post-reads.service';
import type { TouchedThread } from '../read-state/post-counters';
import { toUserJsonFor } from '../users/user.mapper';
import { WebSocketEvents } from '../websocket-events.service';

export const THREAD_UPDATED = 'thread_updated';
export const THREAD_READ_CHANGED = 'thread_read_changed';
export const THREAD_FOLLOW_CHANGED = 'thread_follow_changed';

/** Mattermost's default page of threads. */
export const THREADS_PAGE_DEFAULT = 30;

export interface ThreadsQuery {
  pageSize: number;
  /** Threads changed (membership or replies) at or after this time. */
  since?: number;
  /** Cursors: thread ids; `before` pages to older threads, `after` to newer ones. */
  before?: string;
  after?: string;
  unread: boolean;
  extended: boolean;
  totalsOnly: boolean;
  threadsOnly: boolean;
  /** Leave out threads of direct and group channels (Mattermost's `excludeDirect`). */
  excludeDirect: boolean;
}

export interface ThreadsJson {
  total: number;
  total_unread_threads: number;
  total_unread_mentions: number;
  total_unread_urgent_mentions: number;
  threads: Record<string, unknown>[];
}

interface ThreadRow {
  post_id: string;
  last_viewed: string;
  unread_mentions: string;
  reply_count: string;
  last_reply_at: string;
  unread_replies: string;
  is_urgent: boolean;
}

/**
 * Threads as Mattermost's collapsed-threads views see them (ThreadResponse): the threads a user follows in channels
 * they still belong to, with replies, unread replies (replies after their last view) and unread mentions. Reply
 * counts and times come from the posts themselves, so deleted replies and replies received from peers count alike.
 */
@Injectable()
export class ThreadReads {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reads: PostReads,
    private readonly events: WebSocketEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The followed threads of `userId` visible from `teamId` (its channels and the user's direct and group channels);
   * `threadIds` narrows it to those threads. Answers the rows in Mattermost's order (newest reply first).
   */
  private async rows(userId: string, teamId: string, q: Partial<ThreadsQuery>, threadIds?: string[]): Promise<ThreadRow[]> {
    const params: unknown[] = [userId, teamId];
    const where: string[] = [];
    const param = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    if (threadIds) where.push(`t.post_id = ANY(${param(threadIds)})`);
    if (q.since !== undefined) where.push(`GREATEST(t.last_updated, t.last_reply_at) >= ${param(q.since)}`);
    if (q.unread) where.push('t.last_reply_at > t.last_viewed');
    if (q.excludeDirect) where.push("t.team_id <> ''");
    let order = 'DESC';
    if (q.before) where.push(`(t.last_reply_at, t.post_id) < (SELECT last_reply_at, post_id FROM mine WHERE post_id = ${param(q.before)})`);
    if (q.after) {
      order = 'ASC';
      where.push(`(t.last_reply_at, t.post_id) > (SELECT last_reply_at, post_id FROM mine WHERE post_id = ${param(q.after)})`);
    }
    const limit = q.pageSize !== undefined ? `LIMIT ${param(q.pageSize)}` : '';
    const rows: ThreadRow[] = await this.dataSource.query(
      `WITH mine AS (${MINE_SQL})
       SELECT * FROM mine t ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
       ORDER BY t.last_reply_at ${order}, t.post_id ${order} ${limit}`,
      params,
    );
    // Pages after a cursor are read oldest first; the answer is newest first, as always.
    return order === 'ASC' ? rows.reverse() : rows;
  }

  async totals(userId: string, teamId: string, excludeDirect = false): Promise<Omit<ThreadsJson, 'threads'>> {
    const [row]: { total: string; unread_threads: string; unread_mentions: string; urgent_mentions: string }[] =
      await this.dataSource.query(
        `WITH mine AS (${MINE_SQL})
       SELECT count(*) AS total, count(*) FILTER (WHERE last_reply_at > last_viewed) AS unread_threads,
         COALESCE(sum(unread_mentions), 0) AS unread_mentions,
         COALESCE(sum(unread_mentions) FILTER (WHERE is_urgent), 0) AS urgent_mentions
       FROM mine ${excludeDirect ? "WHERE team_id <> ''" : ''}`,
        [userId, teamId],
      );
    return {
      total: Number(row.total),
      total_unread_threads: Number(row.unread_threads),
      total_unread_mentions: Number(row.unread_mentions),
      total_unread_urgent_mentions: Number(row.urgent_mentions),
    };
  }

  /** GET /users/{id}/teams/{team_id}/threads. */
  async list(viewer: User, userId: string, teamId: string, q: ThreadsQuery): Promise<ThreadsJson> {
    const totals = q.threadsOnly
      ? { total: 0, total_unread_threads: 0, total_unread_mentions: 0, total_unread_urgent_mentions: 0 }
      : await this.totals(userId, teamId, q.excludeDirect);
    const threads = q.totalsOnly ? [] : await this.toJson(viewer, await this.rows(userId, teamId, q), q.extended);
    return { ...totals, threads };
  }

  /** One followed thread as `userId` sees it; undefined when they do not follow it (or cannot see it). */
  async one(
    viewer: User,
    userId: string,
    teamId: string,
    threadId: string,
    extended: boolean,
  ): Promise<Record<string, unknown> | undefined> {
    const [json] = await this.toJson(viewer, await this.rows(userId, teamId, {}, [threadId]), extended);
    return json;
  }

  /** `thread_updated` to each follower of the touched threads, with the thread as that follower sees it. */
  async announceUpdated(touched: TouchedThread[]): Promise<void> {
    for (const { rootId, followers } of touched) {
      const teams: { team_id: string }[] = await this.dataSource.query(
        `SELECT c.team_id FROM posts p JOIN channels c ON c.id = p.channel_id WHERE p.id = $1`,
        [rootId],
      );
      if (teams.length === 0) continue;
      for (const userId of followers) {
        const viewer = { id: userId, roles: 'system_user' } as User;
        const thread = await this.one(viewer, userId, teams[0].team_id, rootId, false);
        if (thread) this.events.toUser(userId, THREAD_UPDATED, { thread: JSON.stringify(thread) });
      }
    }
  }

  private async toJson(viewer: User, rows: ThreadRow[], extended: boolean): Promise<Record<string, unknown>[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.post_id);
    const roots = await this.dataSource.getRepository(Post).findBy({ id: In(ids) });
    const rootJson = new Map((await this.reads.toJsonMany(roots)).map((j) => [j.id as string, j]));
    // Participants: reply authors, oldest first (Mattermost leaves the root's author out until they reply).
    const authors: { root_id: string; user_id: string }[] = await this.dataSource.query(
      `SELECT root_id, user_id FROM posts WHERE root_id = ANY($1) AND delete_at = 0 GROUP BY root_id, user_id ORDER BY min(create_at)`,
      [ids],
    );
    const profiles = new Map<string, Record<string, unknown>>();
    if (extended && authors.length) {
      const users = await this.dataSource.getRepository(User).findBy({ id: In([...new Set(authors.map((a) => a.user_id))]) });
      for (const u of users) profiles.set(u.id, toUserJsonFor(u, viewer, this.config.privacy));
    }
    return rows.map((r) => ({
      id: r.post_id,
      reply_count: Number(r.reply_count),
      last_reply_at: Number(r.last_reply_at),
      last_viewed_at: Number(r.last_viewed),
      participants: authors.filter((a) => a.root_id === r.post_id).map((a) => profiles.get(a.user_id) ?? { id: a.user_id }),
      post: rootJson.get(r.post_id) ?? null,
      unread_replies: Number(r.unread_replies),
      unread_mentions: Number(r.unread_mentions),
      is_urgent: r.is_urgent,
      delete_at: 0,
    }));
  }
}

/**
 * The user's ($1) followed, live threads in channels of team $2 or in their direct and group channels, where they are
 * still a member. Leaving a channel hides its threads without forgetting them.
 */
const MINE_SQL = `
  SELECT tm.post_id, tm.last_viewed, tm.last_updated, tm.unread_mentions, c.team_id,
    COALESCE(s.reply_count, 0) AS reply_count, COALESCE(s.last_reply_at, p.create_at) AS last_reply_at,
    COALESCE(s.unread_replies, 0) AS unread_replies, COALESCE(pp.priority = 'urgent', false) AS is_urgent
  FROM thread_memberships tm
  JOIN posts p ON p.id = tm.post_id AND p.delete_at = 0
  JOIN channels c ON c.id = p.channel_id AND (c.team_id = $2 OR c.team_id = '')
  JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = tm.user_id
  LEFT JOIN post_priority pp ON pp.post_id = tm.post_id
  LEFT JOIN LATERAL (
    SELECT count(*) AS reply_count, max(r.create_at) AS last_reply_at, count(*) FILTER (WHERE r.create_at > tm.last_viewed) AS unread_replies
    FROM posts r WHERE r.root_id = tm.post_id AND r.delete_at = 0
  ) s ON true
  WHERE tm.user_id = $1 AND tm.following`;
