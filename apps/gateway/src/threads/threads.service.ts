import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ChannelAccess,
  hasPermission,
  parseMentions,
  Permission,
  RoleCatalogue,
  THREAD_FOLLOW_CHANGED,
  THREAD_READ_CHANGED,
  ThreadReads,
  ThreadsJson,
  ThreadsQuery,
  WebSocketEvents,
} from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import { isValidId } from '@fedchat/crypto';
import { Post, User } from '@fedchat/models';
import { DataSource, EntityManager } from 'typeorm';
import { invalidUrlParam } from '../http/user-id-param';

function threadNotFound(): AppError {
  return AppError.notFound('thread', 'app.thread.get_thread_for_user.not_found');
}

/**
 * Collapsed threads of a user in a team: listing, one thread, reading (one or all), following. Only the user
 * themself (or whoever may edit other users) acts on a user's threads, and only on threads of channels they can read.
 */
@Injectable()
export class ThreadsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: ChannelAccess,
    private readonly threads: ThreadReads,
    private readonly events: WebSocketEvents,
    private readonly catalogue: RoleCatalogue,
  ) {}

  async list(caller: User, userId: string, teamId: string, q: ThreadsQuery): Promise<ThreadsJson> {
    await this.requireUserInTeam(caller, userId, teamId);
    for (const [name, id] of [
      ['before', q.before],
      ['after', q.after],
    ] as const) {
      if (id !== undefined && !isValidId(id)) throw AppError.invalidParam(name);
    }
    return this.threads.list(caller, userId, teamId, q);
  }

  async get(caller: User, userId: string, teamId: string, threadId: string, extended: boolean): Promise<Record<string, unknown>> {
    await this.requireUserInTeam(caller, userId, teamId);
    await this.readableRoot(caller, userId, threadId);
    const thread = await this.threads.one(caller, userId, teamId, threadId, extended);
    if (!thread) throw threadNotFound();
    return thread;
  }

  /**
   * PUT …/threads/{id}/read/{timestamp}: the thread read up to `timestamp` (also backwards: "mark as unread"); its
   * unread mentions are recounted from the replies after it. Reading a thread follows it, as in Mattermost.
   */
  async markRead(caller: User, userId: string, teamId: string, threadId: string, timestampParam: string): Promise<Record<string, unknown>> {
    await this.requireUserInTeam(caller, userId, teamId);
    if (!/^\d{1,15}$/.test(timestampParam)) throw invalidUrlParam('timestamp');
    const timestamp = Number(timestampParam);
    const root = await this.readableRoot(caller, userId, threadId);
    const before = await this.threads.one(caller, userId, teamId, threadId, false);
    const now = Date.now();
    const mentions = await this.dataSource.transaction(async (tx) => {
      const count = await this.mentionsAfter(tx, userId, root, timestamp);
      await tx.query(
        `INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated, unread_mentions)
         VALUES ($1, $2, true, $3, $4, $5)
         ON CONFLICT (post_id, user_id) DO UPDATE SET following = true, last_viewed = EXCLUDED.last_viewed,
           last_updated = EXCLUDED.last_updated, unread_mentions = EXCLUDED.unread_mentions`,
        [threadId, userId, timestamp, now, count],
      );
      return count;
    });
    const thread = await this.threads.one(caller, userId, teamId, threadId, false);
    if (!thread) throw threadNotFound();
    this.events.toUserAbout(userId, { team_id: teamId }, THREAD_READ_CHANGED, {
      thread_id: threadId,
      channel_id: root.channel_id,
      timestamp,
      unread_mentions: mentions,
      unread_replies: thread.unread_replies,
      previous_unread_mentions: before?.unread_mentions ?? 0,
      previous_unread_replies: before?.unread_replies ?? 0,
    });
    return thread;
  }

  /** PUT/DELETE …/threads/{id}/following. */
  async setFollowing(caller: User, userId: string, teamId: string, threadId: string, following: boolean): Promise<void> {
    await this.requireUserInTeam(caller, userId, teamId);
    const root = await this.readableRoot(caller, userId, threadId);
    const now = Date.now();
    await this.dataSource.query(
      `INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated, unread_mentions)
       VALUES ($1, $2, $3, $4, $4, 0)
       ON CONFLICT (post_id, user_id) DO UPDATE SET following = EXCLUDED.following, last_updated = EXCLUDED.last_updated`,
      [threadId, userId, following, now],
    );
    const [replies]: { n: string }[] = await this.dataSource.query(`SELECT count(*) AS n FROM posts WHERE root_id = $1 AND delete_at = 0`, [
      root.id,
    ]);
    this.events.toUserAbout(userId, { team_id: teamId }, THREAD_FOLLOW_CHANGED, {
      thread_id: threadId,
      state: following,
      reply_count: Number(replies.n),
    });
  }

  /** PUT …/threads/read: every followed thread of the team (and of direct and group channels) read now. */
  async markAllRead(caller: User, userId: string, teamId: string): Promise<void> {
    await this.requireUserInTeam(caller, userId, teamId);
    const now = Date.now();
    await this.dataSource.query(
      `UPDATE thread_memberships tm SET last_viewed = $3, last_updated = $3, unread_mentions = 0
       FROM posts p JOIN channels c ON c.id = p.channel_id
       WHERE p.id = tm.post_id AND tm.user_id = $1 AND tm.following AND (c.team_id = $2 OR c.team_id = '')`,
      [userId, teamId, now],
    );
    this.events.toUserAbout(userId, { team_id: teamId }, THREAD_READ_CHANGED, { timestamp: now });
  }

  /** The thread's root, when `userId` (and the caller) may read its channel: 404 for what they cannot see. */
  private async readableRoot(caller: User, userId: string, threadId: string): Promise<Post> {
    if (!isValidId(threadId)) throw invalidUrlParam('thread_id');
    const root = await this.dataSource.getRepository(Post).findOneBy({ id: threadId });
    if (!root || root.delete_at > 0 || root.root_id !== '') throw threadNotFound();
    const channel = await this.access.channelOrThrow(root.channel_id);
    const subject = userId === caller.id ? caller : await this.dataSource.getRepository(User).findOneBy({ id: userId });
    if (!subject || !(await this.access.canRead(subject, channel)) || !(await this.access.canRead(caller, channel))) throw threadNotFound();
    return root;
  }

  /** Replies after `timestamp` by others that mention the user (every reply, in a direct channel). */
  private async mentionsAfter(tx: EntityManager, userId: string, root: Post, timestamp: number): Promise<number> {
    const [user]: { username: string }[] = await tx.query(`SELECT lower(username) AS username FROM users WHERE id = $1`, [userId]);
    const [channel]: { type: string }[] = await tx.query(`SELECT type FROM channels WHERE id = $1`, [root.channel_id]);
    const replies: { message: string }[] = await tx.query(
      `SELECT message FROM posts WHERE root_id = $1 AND delete_at = 0 AND create_at > $2 AND user_id <> $3 AND type NOT LIKE 'system\\_%'`,
      [root.id, timestamp, userId],
    );
    if (channel?.type === 'D') return replies.length;
    return replies.filter((r) => {
      const m = parseMentions(r.message);
      return m.everyone || (user !== undefined && m.names.has(user.username));
    }).length;
  }

  /** The user's threads are theirs (or an admin's to see), in a team they (the caller) belong to. */
  private async requireUserInTeam(caller: User, userId: string, teamId: string): Promise<void> {
    if (userId !== caller.id && !hasPermission(caller.roles, Permission.EditOtherUsers))
      throw AppError.forbidden(Permission.EditOtherUsers);
    if (!isValidId(teamId)) throw invalidUrlParam('team_id');
    if (!(await this.catalogue.hasTeamPermission(caller, teamId, Permission.ViewTeam))) throw AppError.forbidden(Permission.ViewTeam);
  }
}
