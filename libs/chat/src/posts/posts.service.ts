import { Injectable } from '@nestjs/common';
import { AppError, Bus } from '@fedchat/common';
import { SharedChannelChangedEvent } from '@fedchat/contracts';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { isValidId, newId } from '@fedchat/crypto';
import {
  Channel,
  FileInfo,
  isUniqueViolation,
  Post,
  PostAcknowledgement,
  PostPriority,
  Reaction,
  preparedQuery,
  returning,
  User,
} from '@fedchat/models';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { hasPermission, Permission } from '../permissions';
import { ChannelAccess, WRITE_ACCESS_SQL, WriteAccessRow } from '../channels/channel-access.service';
import { WebSocketEvents, WsEvent } from '../websocket-events.service';
import { countNewPosts, TouchedThread } from '../read-state/post-counters';
import { ThreadReads } from '../threads/thread-reads.service';
import { stampChange } from './change-stamp';
import { postNotFound, PostReads } from './post-reads.service';
import { toAcknowledgementJson, toPostJson, toReactionJson } from './post.mapper';
import {
  checkEmojiName,
  checkFileIds,
  checkMessage,
  checkProps,
  invalidRoot,
  parseHashtags,
  parseMentions,
  PriorityInput,
  priorityToStore,
} from './post-rules';

/** Mattermost lets a user take back an acknowledgement only within five minutes. */
export const UNACK_WINDOW_MS = 5 * 60 * 1000;
/** Mattermost's default cap on distinct emoji per post. */
const UNIQUE_REACTIONS_MAX = 50;

export interface NewPost {
  channel_id: string;
  message?: string;
  root_id?: string;
  file_ids?: string[];
  props?: Record<string, unknown>;
  type?: string;
  priority?: PriorityInput;
  /** Client-side id of the pending post; echoed in the answer and the `posted` event. */
  pending_post_id?: string;
}

/** Edits of an existing post; what is absent stays as it is. */
export interface PostChanges {
  message?: string;
  is_pinned?: boolean;
  props?: Record<string, unknown>;
  file_ids?: string[];
}

/** Whether `message` mentions anyone by name or @channel/@all/@here (every post of a direct channel mentions its other member too). */
function mentionsByName(message: string): boolean {
  const parsed = parseMentions(message);
  return parsed.everyone || parsed.names.size > 0;
}

/**
 * The `posted` event of a new post, as Mattermost sends it: `set_online` for a post of a local user's own client,
 * not for one received from a peer.
 */
export function postedEvent(
  channel: Channel,
  senderUsername: string,
  json: Record<string, unknown>,
  options: { setOnline: boolean; mentions?: string[] },
): ChannelEvent {
  const mentions = options.mentions ?? [];
  return {
    event: WsEvent.Posted,
    data: {
      post: JSON.stringify(json),
      channel_type: channel.type,
      channel_display_name: channel.display_name,
      channel_name: channel.name,
      sender_name: '@' + senderUsername,
      team_id: channel.team_id,
      set_online: options.setOnline,
      ...(mentions.length ? { mentions: JSON.stringify(mentions) } : {}),
    },
  };
}

/** What a committed change announces on its channel's websocket. */
export interface ChannelEvent {
  event: string;
  data: Record<string, unknown>;
}

export interface SavedPost {
  post: Post;
  json: Record<string, unknown>;
}

/**
 * Every change to posts, reactions and acknowledgements goes through here, with Mattermost's rules: who may
 * write, what a valid post is, which rows change together (in one transaction), which websocket events follow.
 */
@Injectable()
export class PostsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(Post) private readonly posts: Repository<Post>,
    @InjectRepository(Reaction) private readonly reactions: Repository<Reaction>,
    @InjectRepository(PostAcknowledgement) private readonly acks: Repository<PostAcknowledgement>,
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly access: ChannelAccess,
    private readonly events: WebSocketEvents,
    private readonly reads: PostReads,
    private readonly bus: Bus,
    private readonly threads: ThreadReads,
  ) {}

  // ---- posts ---------------------------------------------------------------------------------------------------------

  async create(author: User, input: NewPost): Promise<SavedPost> {
    if (!isValidId(input.channel_id)) throw AppError.invalidParam('channel_id');
    const rootId = input.root_id ?? '';
    if (rootId !== '' && !isValidId(rootId)) throw AppError.invalidParam('root_id');
    const message = input.message ?? '';
    const fileIds = checkFileIds(input.file_ids ?? []);
    checkMessage(message, fileIds);
    const type = input.type ?? '';
    if (type.startsWith('system_') || type.length > 26 || type.includes('\u0000')) throw AppError.invalidParam('post.type');
    const props = input.props ?? {};
    checkProps(props);
    const priority = priorityToStore(input.priority, rootId);

    let channel: Channel | undefined;
    if (!rootId && fileIds.length === 0 && !priority && !mentionsByName(message)) {
      const plain = await this.createPlain(author, input.channel_id, { message, type, props, pendingPostId: input.pending_post_id });
      if (!(plain instanceof Channel)) return plain;
      channel = plain;
    }
    channel ??= await this.access.requireWrite(author, input.channel_id, Permission.CreatePost);
    if (rootId) {
      const root = await this.posts.findOneBy({ id: rootId });
      if (!root || root.delete_at > 0 || root.channel_id !== channel.id || root.root_id !== '') throw invalidRoot();
    }

    // Both times are the change stamp, taken inside the transaction.
    const post = newLocalPost(author, channel.id, { root_id: rootId, message, type, props, file_ids: fileIds });
    let saved!: SavedPost;
    let followedThreads: TouchedThread[] = [];
    await this.commitChange(
      channel.id,
      async (tx, now) => {
        post.create_at = post.update_at = now;
        try {
          await tx.getRepository(Post).insert({ ...post } as QueryDeepPartialEntity<Post>);
        } catch (err) {
          if (isUniqueViolation(err)) {
            throw AppError.badRequest('app.post.save.existing.app_error', 'A post with this id already exists.');
          }
          throw err;
        }
        if (rootId) {
          // Replies bump their root, so that clients syncing with `since` learn the thread changed.
          const touched = await returning(
            tx,
            `UPDATE posts SET update_at = GREATEST(update_at, $2) WHERE id = $1 AND delete_at = 0 RETURNING id`,
            [rootId, now],
          );
          if (touched.length === 0) throw invalidRoot();
        }
        await this.attachFiles(tx, post, fileIds, author.id);
        if (priority) await tx.getRepository(PostPriority).insert({ post_id: post.id, channel_id: channel.id, ...priority });
        followedThreads = await countNewPosts(tx, channel, [post]);
      },
      async () => {
        const stored = await this.posts.findOneByOrFail({ id: post.id });
        saved = { post: stored, json: await this.reads.toJson(stored, input.pending_post_id) };
        const mentions = await this.mentionedUsers(channel, stored, author);
        return postedEvent(channel, author.username, saved.json, { setOnline: true, mentions });
      },
    );
    await this.threads.announceUpdated(followedThreads);
    return saved;
  }

  /**
   * The chat's most common write, a root post without files, priority or mentions, as one statement (so its own
   * transaction): the write-access check (`WRITE_ACCESS_SQL`; nothing is written unless it passes), the change stamp,
   * the post, the channel's counters and the author's read state as countNewPosts keeps them, and the members the
   * `posted` event goes to. When nothing was written, the access row the statement read decides the refusal exactly
   * as `requireWrite` does, or hands back the channel for the general path (a direct channel: its posts mention). No round trip to this process happens while the
   * channel's counters row is locked, so the posts of one busy channel do not queue behind each other's round trips.
   * The statement's order (stamp, post, channel, member) is the general path's, so the two cannot deadlock. The
   * answer is built from what was written: a new root post has no replies, reactions, acknowledgements or files yet.
   */
  private async createPlain(
    author: User,
    channelId: string,
    input: { message: string; type: string; props: Record<string, unknown>; pendingPostId?: string },
  ): Promise<SavedPost | Channel> {
    const post = newLocalPost(author, channelId, {
      root_id: '',
      message: input.message,
      type: input.type,
      props: input.props,
      file_ids: [],
    });
    const rows = await preparedQuery<
      WriteAccessRow & { written_at: string | null; written_props: Record<string, unknown>; written_shared: boolean; members: string[] }
    >(
      this.dataSource,
      'posts.create-plain',
      `WITH ${WRITE_ACCESS_SQL}, allowed AS (
         SELECT 1 FROM access WHERE may_write AND type <> 'D'
       ), stamp AS (
         UPDATE shared_channels SET last_change_at = GREATEST(last_change_at + 1, $7) WHERE channel_id = $1 AND EXISTS (SELECT 1 FROM allowed)
         RETURNING last_change_at
       ), change AS (
         SELECT COALESCE((SELECT last_change_at FROM stamp), $7) AS at, EXISTS (SELECT 1 FROM stamp) AS shared FROM allowed
       ), inserted AS (
         INSERT INTO posts (id, create_at, update_at, edit_at, delete_at, is_pinned, user_id, channel_id, root_id, original_id,
           message, type, props, hashtags, file_ids, remote_id, has_reactions)
         SELECT $6, change.at, change.at, 0, 0, false, $2, $1, '', '', $8, $9, $10::jsonb, $11, '[]'::jsonb, '', false FROM change
         RETURNING create_at, props
       ), totals AS (
         UPDATE channels c SET last_post_at = GREATEST(c.last_post_at, i.create_at),
           last_root_post_at = GREATEST(c.last_root_post_at, i.create_at),
           total_msg_count = c.total_msg_count + 1, total_msg_count_root = c.total_msg_count_root + 1
         FROM inserted i WHERE c.id = $1
         RETURNING c.total_msg_count, c.total_msg_count_root
       ), author_read AS (
         UPDATE channel_members m SET msg_count = t.total_msg_count, msg_count_root = t.total_msg_count_root, mention_count = 0,
           mention_count_root = 0, urgent_mention_count = 0, last_viewed_at = GREATEST(m.last_viewed_at, i.create_at),
           last_update_at = GREATEST(m.last_update_at, $7)
         FROM totals t, inserted i WHERE m.channel_id = $1 AND m.user_id = $2
       )
       SELECT a.*, i.create_at AS written_at, i.props AS written_props, (SELECT shared FROM change) AS written_shared,
         CASE WHEN i.create_at IS NOT NULL THEN ARRAY(SELECT user_id FROM channel_members WHERE channel_id = $1) END AS members
       FROM access a LEFT JOIN inserted i ON true`,
      [
        ...this.access.writeAccessParams(author, channelId, Permission.CreatePost),
        post.id,
        Date.now(),
        post.message,
        post.type,
        JSON.stringify(post.props),
        post.hashtags,
      ],
    );
    const written = rows[0];
    // Nothing written: a refusal (said as requireWrite says it), or a channel the plain path does not take (direct).
    if (!written || written.written_at === null) return this.access.checkWrite(author, written, Permission.CreatePost);
    const channel = this.access.channelOf(written);
    post.create_at = post.update_at = Number(written.written_at);
    post.props = written.written_props;
    const json = toPostJson(post, { pendingPostId: input.pendingPostId || undefined });
    this.events.toChannelMembers(channel.id, written.members, [postedEvent(channel, author.username, json, { setOnline: true })]);
    if (written.written_shared) this.bus.emit(SharedChannelChangedEvent, { channel_id: channel.id });
    return { post, json };
  }

  /** PUT /posts/{id} and PUT /posts/{id}/patch: the author, or someone who may edit others' posts. */
  async update(actor: User, postId: string, changes: PostChanges): Promise<SavedPost> {
    const post = await this.reads.livePost(postId);
    const onlyPinning =
      changes.message === undefined && changes.props === undefined && changes.file_ids === undefined && changes.is_pinned !== undefined;
    const channel = onlyPinning
      ? await this.requirePinAccess(actor, post)
      : await this.requireAuthorOr(actor, post, Permission.EditOthersPosts);

    const messageChanged = changes.message !== undefined && changes.message !== post.message;
    if (messageChanged && post.type.startsWith('system_')) {
      throw AppError.badRequest('api.post.update_post.system_message.app_error', 'Unable to update system message.');
    }
    const fileIds = changes.file_ids !== undefined ? checkFileIds(changes.file_ids) : post.file_ids;
    const message = changes.message ?? post.message;
    if (messageChanged || changes.file_ids !== undefined) checkMessage(message, fileIds);
    if (changes.props !== undefined) checkProps(changes.props);

    const added = fileIds.filter((id) => !post.file_ids.includes(id));
    const removed = post.file_ids.filter((id) => !fileIds.includes(id));
    let json!: Record<string, unknown>;
    await this.commitChange(
      channel.id,
      async (tx, now) => {
        const set: Partial<Post> = { update_at: now, file_ids: fileIds };
        if (messageChanged) Object.assign(set, { message, edit_at: now, hashtags: parseHashtags(message) });
        if (changes.props !== undefined) set.props = changes.props;
        if (changes.is_pinned !== undefined) set.is_pinned = changes.is_pinned;
        const result = await tx.getRepository(Post).update({ id: post.id, delete_at: 0 }, set as QueryDeepPartialEntity<Post>);
        if (!result.affected) throw postNotFound();
        await this.attachFiles(tx, post, added, actor.id);
        if (removed.length) {
          await tx.query(`UPDATE file_infos SET delete_at = $3, update_at = $3 WHERE id = ANY($1) AND post_id = $2 AND delete_at = 0`, [
            removed,
            post.id,
            now,
          ]);
        }
        Object.assign(post, set);
      },
      async () => {
        json = await this.reads.toJson(post);
        return { event: WsEvent.PostEdited, data: { post: JSON.stringify(json) } };
      },
    );
    return { post, json };
  }

  async setPinned(actor: User, postId: string, pinned: boolean): Promise<SavedPost> {
    return this.update(actor, postId, { is_pinned: pinned });
  }

  /** Soft delete; deleting a root deletes its replies too. Attached files are marked deleted with their posts. */
  async delete(actor: User, postId: string): Promise<Post> {
    const post = await this.reads.livePost(postId);
    const channel = await this.requireAuthorOr(actor, post, Permission.DeleteOthersPosts);
    await this.commitChange(
      channel.id,
      async (tx, now) => {
        // Lock the post first, so a reply being added concurrently either commits before we look or sees the root gone.
        const locked: unknown[] = await tx.query(`SELECT id FROM posts WHERE id = $1 AND delete_at = 0 FOR UPDATE`, [post.id]);
        if (locked.length === 0) throw postNotFound();
        const rows = await returning<{ id: string }>(
          tx,
          `UPDATE posts SET delete_at = $2, update_at = $2 WHERE (id = $1 OR root_id = $1) AND delete_at = 0 RETURNING id`,
          [post.id, now],
        );
        const deleted = rows.map((r) => r.id);
        await tx.query(`UPDATE file_infos SET delete_at = $2, update_at = $2 WHERE post_id = ANY($1) AND delete_at = 0`, [deleted, now]);
        if (post.root_id) {
          await tx.query(`UPDATE posts SET update_at = GREATEST(update_at, $2) WHERE id = $1`, [post.root_id, now]);
        }
      },
      async (_, now) => {
        post.delete_at = now;
        post.update_at = now;
        const json = await this.reads.toJson(post);
        return { event: WsEvent.PostDeleted, data: { post: JSON.stringify(json), delete_by: actor.id } };
      },
    );
    return post;
  }

  // ---- reactions -----------------------------------------------------------------------------------------------------

  /** Adds a reaction (idempotent: an existing one is returned unchanged); needs write access to the channel. */
  async addReaction(actor: User, userId: string, postId: string, emojiName: string): Promise<Reaction> {
    if (!isValidId(userId)) throw AppError.invalidParam('user_id');
    if (userId !== actor.id) throw AppError.forbidden('add_reaction');
    checkEmojiName(emojiName);
    const post = await this.reads.livePost(postId);
    const channel = await this.access.requireWrite(actor, post.channel_id, Permission.AddReaction);

    const existing = await this.reactions.findOneBy({ post_id: post.id, user_id: actor.id, emoji_name: emojiName });
    if (existing && existing.delete_at === 0) return existing;
    const distinct: { n: number }[] = await this.dataSource.query(
      `SELECT count(DISTINCT emoji_name)::int AS n FROM reactions WHERE post_id = $1 AND delete_at = 0 AND emoji_name <> $2`,
      [post.id, emojiName],
    );
    if (distinct[0].n >= UNIQUE_REACTIONS_MAX) {
      throw AppError.badRequest('app.reaction.save.unique_reactions_limit.app_error', 'Too many different reactions on this post.');
    }

    let reaction!: Reaction;
    await this.commitChange(
      channel.id,
      async (tx, now) => {
        const rows = await returning(
          tx,
          `INSERT INTO reactions (post_id, user_id, emoji_name, create_at, update_at, delete_at, remote_id, channel_id)
           VALUES ($1, $2, $3, $4, $4, 0, '', $5)
           ON CONFLICT (post_id, user_id, emoji_name)
             DO UPDATE SET create_at = EXCLUDED.create_at, update_at = EXCLUDED.update_at, delete_at = 0, remote_id = ''
             WHERE reactions.delete_at > 0
           RETURNING post_id`,
          [post.id, actor.id, emojiName, now, channel.id],
        );
        if (rows.length === 0) return false;
        await tx.query(`UPDATE posts SET has_reactions = true, update_at = GREATEST(update_at, $2) WHERE id = $1`, [post.id, now]);
        return true;
      },
      async (added) => {
        reaction = await this.reactions.findOneByOrFail({ post_id: post.id, user_id: actor.id, emoji_name: emojiName });
        return added ? { event: WsEvent.ReactionAdded, data: { reaction: JSON.stringify(toReactionJson(reaction)) } } : undefined;
      },
    );
    return reaction;
  }

  /** Removes one's own reaction (system admins may remove anyone's); removing a missing reaction is a no-op. */
  async removeReaction(actor: User, userId: string, postId: string, emojiName: string): Promise<void> {
    if (!isValidId(userId)) throw AppError.invalidParam('user_id');
    checkEmojiName(emojiName);
    const post = await this.reads.livePost(postId);
    let channel: Channel;
    if (userId === actor.id) {
      channel = await this.access.requireWrite(actor, post.channel_id, Permission.RemoveReaction);
    } else if (hasPermission(actor.roles, Permission.DeleteOthersPosts))
      channel = await this.requireReadNotArchived(actor, post.channel_id);
    else throw AppError.forbidden('remove_others_reactions');

    await this.commitChange(
      channel.id,
      async (tx, now) => {
        const rows = await returning(
          tx,
          `UPDATE reactions SET delete_at = $4, update_at = $4
           WHERE post_id = $1 AND user_id = $2 AND emoji_name = $3 AND delete_at = 0 RETURNING post_id`,
          [post.id, userId, emojiName, now],
        );
        if (rows.length === 0) return false;
        await tx.query(
          `UPDATE posts SET update_at = GREATEST(update_at, $2),
             has_reactions = EXISTS (SELECT 1 FROM reactions r WHERE r.post_id = $1 AND r.delete_at = 0)
           WHERE id = $1`,
          [post.id, now],
        );
        return true;
      },
      async (removed) => {
        if (!removed) return undefined;
        const reaction = await this.reactions.findOneByOrFail({ post_id: post.id, user_id: userId, emoji_name: emojiName });
        return { event: WsEvent.ReactionRemoved, data: { reaction: JSON.stringify(toReactionJson(reaction)) } };
      },
    );
  }

  async listReactions(actor: User, postId: string): Promise<Reaction[]> {
    const post = await this.reads.readablePost(actor, postId);
    return this.reactions.find({ where: { post_id: post.id, delete_at: 0 }, order: { create_at: 'ASC' } });
  }

  // ---- acknowledgements ----------------------------------------------------------------------------------------------

  /** Acknowledges a post for oneself (idempotent: an existing acknowledgement is returned unchanged). */
  async acknowledge(actor: User, userId: string, postId: string): Promise<PostAcknowledgement> {
    if (!isValidId(userId)) throw AppError.invalidParam('user_id');
    if (userId !== actor.id) throw AppError.forbidden('acknowledge_post');
    const post = await this.reads.livePost(postId);
    const channel = await this.access.requireRead(actor, post.channel_id);
    let ack!: PostAcknowledgement;
    await this.commitChange(
      channel.id,
      async (tx, now) => {
        const rows = await returning(
          tx,
          `INSERT INTO post_acknowledgements (post_id, user_id, acknowledged_at, channel_id, remote_id) VALUES ($1, $2, $3, $4, '')
           ON CONFLICT (post_id, user_id) DO UPDATE SET acknowledged_at = EXCLUDED.acknowledged_at, remote_id = ''
             WHERE post_acknowledgements.acknowledged_at = 0
           RETURNING post_id`,
          [post.id, actor.id, now, channel.id],
        );
        if (rows.length === 0) return false;
        await this.touchPost(tx, post.id, now);
        return true;
      },
      async (added) => {
        ack = await this.acks.findOneByOrFail({ post_id: post.id, user_id: actor.id });
        return added
          ? { event: WsEvent.PostAcknowledgementAdded, data: { acknowledgement: JSON.stringify(toAcknowledgementJson(ack)) } }
          : undefined;
      },
    );
    return ack;
  }

  /** Takes back one's acknowledgement, only within five minutes of giving it (Mattermost's rule). */
  async unacknowledge(actor: User, userId: string, postId: string): Promise<void> {
    if (!isValidId(userId)) throw AppError.invalidParam('user_id');
    if (userId !== actor.id) throw AppError.forbidden('acknowledge_post');
    const post = await this.reads.livePost(postId);
    const channel = await this.access.requireRead(actor, post.channel_id);
    const ack = await this.acks.findOneBy({ post_id: post.id, user_id: actor.id });
    if (!ack || ack.acknowledged_at === 0) throw AppError.notFound('acknowledgement', 'app.acknowledgement.get.app_error');
    if (Date.now() - ack.acknowledged_at > UNACK_WINDOW_MS) {
      throw new AppError(
        'api.acknowledgement.delete.deadline.app_error',
        'You cannot remove an acknowledgement more than five minutes after giving it.',
        403,
      );
    }
    await this.commitChange(
      channel.id,
      async (tx, now) => {
        const result = await tx
          .getRepository(PostAcknowledgement)
          .update({ post_id: post.id, user_id: actor.id, acknowledged_at: ack.acknowledged_at }, { acknowledged_at: 0 });
        if (!result.affected) return false;
        await this.touchPost(tx, post.id, now);
        return true;
      },
      async (removed) => {
        if (!removed) return undefined;
        ack.acknowledged_at = 0;
        return { event: WsEvent.PostAcknowledgementRemoved, data: { acknowledgement: JSON.stringify(toAcknowledgementJson(ack)) } };
      },
    );
  }

  // ---- helpers -------------------------------------------------------------------------------------------------------

  /**
   * The sequence every change to posts, reactions and acknowledgements follows: the channel's change stamp and `work`
   * in one transaction; once it has committed, `announce` says what the channel's websocket learns (nothing, when
   * the work found nothing to change), and a change in a shared channel rings the sync engine's doorbell (the change
   * stamp is the durable record). `work` gets the stamp to record as `update_at`; `announce` gets the work's result.
   */
  private async commitChange<T>(
    channelId: string,
    work: (tx: EntityManager, at: number) => Promise<T>,
    announce: (done: T, at: number) => Promise<ChannelEvent | undefined>,
  ): Promise<void> {
    const { done, stamp } = await this.dataSource.transaction(async (tx) => {
      const stamp = await stampChange(tx, channelId);
      return { done: await work(tx, stamp.at), stamp };
    });
    const event = await announce(done, stamp.at);
    if (!event) return;
    await this.events.toChannel(channelId, event.event, event.data);
    if (stamp.shared) this.bus.emit(SharedChannelChangedEvent, { channel_id: channelId });
  }

  /** The post's author (with write access), or someone holding `permission` who can read the channel. */
  private async requireAuthorOr(actor: User, post: Post, permission: Permission): Promise<Channel> {
    if (post.user_id === actor.id) return this.access.requireWrite(actor, post.channel_id);
    if (!hasPermission(actor.roles, permission)) throw AppError.forbidden(permission);
    return this.requireReadNotArchived(actor, post.channel_id);
  }

  /** Channel members pin any post in their channel; admins (who may edit others' posts) anywhere they can read. */
  private async requirePinAccess(actor: User, post: Post): Promise<Channel> {
    if (hasPermission(actor.roles, Permission.EditOthersPosts)) return this.requireReadNotArchived(actor, post.channel_id);
    return this.access.requireWrite(actor, post.channel_id);
  }

  private async requireReadNotArchived(actor: User, channelId: string): Promise<Channel> {
    const channel = await this.access.requireRead(actor, channelId);
    if (channel.delete_at > 0) {
      throw new AppError('api.post.update_post.can_not_update_post_in_deleted.error', 'Can not update a post in a deleted channel.', 403);
    }
    return channel;
  }

  /** Attaches uploaded files: each must be the uploader's, in the post's channel, and not yet attached. */
  private async attachFiles(tx: EntityManager, post: Post, fileIds: string[], uploaderId: string): Promise<void> {
    if (fileIds.length === 0) return;
    const result = await tx
      .getRepository(FileInfo)
      .update({ id: In(fileIds), post_id: '', creator_id: uploaderId, channel_id: post.channel_id, delete_at: 0 }, { post_id: post.id });
    if (result.affected !== fileIds.length) {
      throw AppError.badRequest(
        'api.post.create_post.file_ids.app_error',
        'Some files cannot be attached: they must be your own uploads to this channel, not attached to another post.',
      );
    }
  }

  private async touchPost(tx: EntityManager, postId: string, now: number): Promise<void> {
    await tx.query(`UPDATE posts SET update_at = GREATEST(update_at, $2) WHERE id = $1`, [postId, now]);
  }

  /**
   * Who the post mentions, for the `posted` event: @username of channel members, everyone for @channel/@all/@here,
   * and the other member of a direct channel. The author is never mentioned.
   */
  private async mentionedUsers(channel: Channel, post: Post, author: User): Promise<string[]> {
    const parsed = parseMentions(post.message);
    const names = parsed.names;
    // @channel/@all/@here from someone without use_channel_mentions (e.g. a moderated channel) notify no one.
    const channelWide = parsed.everyone && (await this.access.hasChannelPermission(author, channel, Permission.UseChannelMentions));
    const everyone = channelWide || channel.type === 'D';
    if (!everyone && names.size === 0) return [];
    const qb = this.users
      .createQueryBuilder('u')
      .select('u.id', 'id')
      .innerJoin('channel_members', 'm', 'm.user_id = u.id AND m.channel_id = :channel', { channel: channel.id })
      .where('u.id <> :author', { author: post.user_id });
    if (!everyone) qb.andWhere('u.username IN (:...names)', { names: [...names] });
    const rows = await qb.getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }
}

/** A post written here by `author`, not yet stamped (create_at and update_at 0): what both create paths insert. */
function newLocalPost(
  author: User,
  channelId: string,
  fields: { root_id: string; message: string; type: string; props: Record<string, unknown>; file_ids: string[] },
): Post {
  return Object.assign(new Post(), {
    id: newId(),
    create_at: 0,
    update_at: 0,
    edit_at: 0,
    delete_at: 0,
    is_pinned: false,
    user_id: author.id,
    channel_id: channelId,
    original_id: '',
    hashtags: parseHashtags(fields.message),
    remote_id: '',
    has_reactions: false,
    ...fields,
  });
}
