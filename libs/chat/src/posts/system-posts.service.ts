import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUniqueViolation, Channel, Post, User } from '@fedchat/models';
import { isValidId, newId } from '@fedchat/crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { joinChannel, newChannelRow } from '../channels/channel-membership';
import { WebSocketEvents, WsEvent } from '../websocket-events.service';
import { countNewPosts } from '../read-state/post-counters';
import { stampChange } from './change-stamp';
import { PostReads } from './post-reads.service';

/** Notices about sharing itself (shared, unshared, interrupted, resumed): shown locally, never synced to peers. */
export const SHARED_CHANNEL_STATE_POST = 'shared_channel_state';
/** Mattermost's generic system message type (e.g. "This channel is no longer shared."). */
export const SYSTEM_GENERIC_POST = 'system_generic';
/** Post types that stay on the cluster that made them. */
export const LOCAL_ONLY_POST_TYPES: readonly string[] = [SHARED_CHANNEL_STATE_POST, SYSTEM_GENERIC_POST];

export const SYSTEM_BOT_USERNAME = 'system-bot';

/**
 * Mattermost's membership notices. Like every `system_*` post they stay on this cluster: the sync sender leaves them
 * out and receivers refuse them (the peers learn the membership itself through the membership sync).
 */
export const MembershipPostType = {
  Join: 'system_join_channel',
  Leave: 'system_leave_channel',
  Add: 'system_add_to_channel',
  Remove: 'system_remove_from_channel',
} as const;

type Person = Pick<User, 'id' | 'username'>;

/**
 * Messages the server itself writes: channel notices, direct messages from the system bot, and ephemeral messages
 * (websocket only). They skip the client rules of PostsService (system types are refused there) on purpose.
 */
@Injectable()
export class SystemPosts {
  private bot?: User;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: WebSocketEvents,
    private readonly reads: PostReads,
  ) {}

  /** The local bot that authors notices and direct messages; created on first use (by any replica, once). */
  async systemBot(): Promise<User> {
    if (this.bot) return this.bot;
    const users = this.dataSource.getRepository(User);
    const existing = await users.findOneBy({ username: SYSTEM_BOT_USERNAME });
    if (existing) return (this.bot = existing);
    const now = Date.now();
    const bot: User = {
      id: newId(),
      create_at: now,
      update_at: now,
      delete_at: 0,
      username: SYSTEM_BOT_USERNAME,
      // Not a password hash: no password can ever match it.
      password: '',
      auth_data: null,
      auth_service: '',
      email: `${SYSTEM_BOT_USERNAME}@localhost`,
      email_verified: true,
      nickname: '',
      first_name: 'System',
      last_name: '',
      position: '',
      roles: 'system_user',
      allow_marketing: false,
      props: {},
      notify_props: {},
      last_password_update: now,
      last_picture_update: 0,
      failed_attempts: 0,
      last_failed_attempt_at: 0,
      locale: 'en',
      timezone: {},
      mfa_active: false,
      mfa_secret: '',
      remote_id: '',
      is_bot: true,
    };
    try {
      await users.insert({ ...bot });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    return (this.bot = await users.findOneByOrFail({ username: SYSTEM_BOT_USERNAME }));
  }

  /** A notice in a channel, by the system bot; `type` decides whether it may ever be synced (see LOCAL_ONLY_POST_TYPES). */
  async notice(channelId: string, message: string, props: Record<string, unknown> = {}, type = SHARED_CHANNEL_STATE_POST): Promise<Post> {
    const bot = await this.systemBot();
    return this.dataSource
      .transaction(async (tx) => this.insert(tx, channelId, bot.id, message, type, props))
      .then(async (post) => {
        await this.announce(post);
        return post;
      });
  }

  /**
   * The notice of a membership change, written as Mattermost writes it: by the person who acted (`actor`), about
   * `target` when that is someone else. Join and leave notices do not make the channel unread (see countNewPosts).
   */
  async membershipNotice(
    channelId: string,
    kind: 'join' | 'leave' | 'add' | 'remove',
    actor: Person,
    target: Person = actor,
  ): Promise<Post> {
    let type: string;
    let message: string;
    let props: Record<string, unknown>;
    switch (kind) {
      case 'join':
        [type, message, props] = [MembershipPostType.Join, `@${actor.username} joined the channel.`, { username: actor.username }];
        break;
      case 'leave':
        [type, message, props] = [MembershipPostType.Leave, `@${actor.username} left the channel.`, { username: actor.username }];
        break;
      case 'add':
        type = MembershipPostType.Add;
        message = `@${target.username} added to the channel by @${actor.username}.`;
        props = { userId: actor.id, username: actor.username, addedUserId: target.id, addedUsername: target.username };
        break;
      case 'remove':
        type = MembershipPostType.Remove;
        message = `@${target.username} removed from the channel.`;
        props = { removedUserId: target.id, removedUsername: target.username };
        break;
    }
    const post = await this.dataSource.transaction((tx) => this.insert(tx, channelId, actor.id, message, type, props));
    await this.announce(post);
    return post;
  }

  /** A direct message from the system bot to a local user (the direct channel is created when missing). */
  async directMessage(userId: string, message: string, props: Record<string, unknown> = {}): Promise<Post> {
    const bot = await this.systemBot();
    const name = bot.id < userId ? `${bot.id}__${userId}` : `${userId}__${bot.id}`;
    const channels = this.dataSource.getRepository(Channel);
    let channel = await channels.findOneBy({ team_id: '', name });
    if (!channel) {
      const now = Date.now();
      const row = newChannelRow({ team_id: '', type: 'D', display_name: '', name, creator_id: bot.id }, now);
      try {
        await this.dataSource.transaction(async (tx) => {
          await tx.getRepository(Channel).insert({ ...row });
          await joinChannel(tx, row.id, bot.id, { admin: false, now });
          await joinChannel(tx, row.id, userId, { admin: false, now });
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
      channel = await channels.findOneByOrFail({ team_id: '', name });
    }
    const channelId = channel.id;
    const post = await this.dataSource.transaction((tx) => this.insert(tx, channelId, bot.id, message, '', props));
    await this.announce(post);
    return post;
  }

  /**
   * Rewrites a post of the system bot (message and props), as an integration's post update does in Mattermost, and
   * sends `post_edited`. Returns false when the post is gone or is not the bot's.
   */
  async rewriteBotPost(postId: string, message: string, props: Record<string, unknown>): Promise<boolean> {
    if (!isValidId(postId)) return false;
    const bot = await this.systemBot();
    const post = await this.dataSource.transaction(async (tx) => {
      const current = await tx.getRepository(Post).findOne({ where: { id: postId }, lock: { mode: 'pessimistic_write' } });
      if (!current || current.delete_at > 0 || current.user_id !== bot.id) return undefined;
      const { at } = await stampChange(tx, current.channel_id);
      const set = { message, props, update_at: at, edit_at: at };
      await tx.getRepository(Post).update({ id: postId }, set as QueryDeepPartialEntity<Post>);
      return { ...current, ...set };
    });
    if (!post) return false;
    const json = await this.reads.toJson(post);
    await this.events.toChannel(post.channel_id, WsEvent.PostEdited, { post: JSON.stringify(json) });
    return true;
  }

  /** Mattermost's `ephemeral_message`: shown to one user in one channel, never stored. */
  async ephemeral(userId: string, channelId: string, message: string, createAt = Date.now()): Promise<void> {
    const bot = await this.systemBot();
    const post = {
      id: newId(),
      create_at: createAt,
      update_at: createAt,
      edit_at: 0,
      delete_at: 0,
      is_pinned: false,
      user_id: bot.id,
      channel_id: channelId,
      root_id: '',
      original_id: '',
      message,
      type: 'system_ephemeral',
      props: {},
      hashtags: '',
      file_ids: [],
      pending_post_id: '',
      remote_id: '',
      reply_count: 0,
      metadata: {},
    };
    this.events.toUser(userId, 'ephemeral_message', { post: JSON.stringify(post) });
  }

  private async insert(
    tx: EntityManager,
    channelId: string,
    userId: string,
    message: string,
    type: string,
    props: Record<string, unknown>,
  ): Promise<Post> {
    const { at } = await stampChange(tx, channelId);
    const post: Post = tx.getRepository(Post).create({
      id: newId(),
      create_at: at,
      update_at: at,
      edit_at: 0,
      delete_at: 0,
      is_pinned: false,
      user_id: userId,
      channel_id: channelId,
      root_id: '',
      original_id: '',
      message,
      type,
      props,
      hashtags: '',
      file_ids: [],
      remote_id: '',
      has_reactions: false,
    });
    await tx.getRepository(Post).insert({ ...post } as QueryDeepPartialEntity<Post>);
    const channel = await tx.getRepository(Channel).findOneByOrFail({ id: channelId });
    await countNewPosts(tx, channel, [post]);
    return post;
  }

  private async announce(post: Post): Promise<void> {
    const json = await this.reads.toJson(post);
    await this.events.toChannel(post.channel_id, WsEvent.Posted, { post: JSON.stringify(json), set_online: false });
  }
}
