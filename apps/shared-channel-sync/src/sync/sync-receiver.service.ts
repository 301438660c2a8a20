import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, Bus } from '@fedchat/common';
import {
  addToTeamChannel,
  RefusedItem,
  refuseUserOwnedElsewhere,
  SyncUser,
  upsertRemoteUser,
  parseHashtags,
  POST_MESSAGE_MAX_RUNES,
  PostReads,
  stampChange,
  toAcknowledgementJson,
  toReactionJson,
  WebSocketEvents,
  WsEvent,
} from '@fedchat/chat';
import { ApplyChannelChanges, ChannelMembersChangedEvent, PeerResponse } from '@fedchat/contracts';
import { Channel, Post, PostAcknowledgement, Reaction, RemoteCluster, SharedChannel, SharedChannelRemote, User } from '@fedchat/models';
import { Inject } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { SyncMetrics } from './sync.metrics';
import {
  describeZodError,
  emptySyncResponse,
  NOT_SHARED_ERROR,
  SyncAck,
  SyncMsg,
  SyncMsgSchema,
  SyncPost,
  SyncReaction,
  SyncResponse,
} from './sync-message';
import { applyMentionTransforms } from './transforms/mentions';
import { inboundPermalinks } from './transforms/permalinks';

/** What one message changed, announced on the websocket once its transaction has committed. */
interface Announcements {
  posted: Post[];
  edited: Post[];
  deleted: Post[];
  reactions: { reaction: Reaction; added: boolean }[];
  acks: { ack: PostAcknowledgement; added: boolean }[];
}

/**
 * `sharedchannel_sync` from a peer (protocol §4.2), with authority checked on every item: the channel must be shared
 * with the sender; new posts, reactions and acknowledgements must come from the sender's own users; edits and
 * deletes only touch posts the sender's users wrote (stricter than Mattermost); local users are never touched.
 * A message is applied in one transaction, each item in a savepoint, so one bad item is refused alone. Applying the
 * same message twice changes nothing (the receiver compares state; reactions and acknowledgements are state, not
 * toggles), which is what makes re-sends after a crash harmless.
 */
@Injectable()
export class SyncReceiver {
  private readonly log = new Logger('SyncReceiver');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: WebSocketEvents,
    private readonly reads: PostReads,
    private readonly metrics: SyncMetrics,
    private readonly bus: Bus,
  ) {}

  async receive(remoteId: string, payload: Record<string, unknown>): Promise<PeerResponse> {
    const parsed = SyncMsgSchema.safeParse(payload);
    if (!parsed.success) {
      this.metrics.receiveErrors.inc({ remote_id: remoteId });
      this.log.warn({ remoteId, reason: describeZodError(parsed.error) }, 'sync message refused');
      return { status: 'FAIL', err: describeZodError(parsed.error) };
    }
    const msg = parsed.data;
    const onlyMemberships =
      (msg.membership_changes?.length ?? 0) > 0 &&
      ![
        msg.users && Object.keys(msg.users).length,
        msg.posts?.length,
        msg.reactions?.length,
        msg.acknowledgements?.length,
        msg.statuses?.length,
      ].some(Boolean);
    if (onlyMemberships && !this.config.featureFlags.enableSharedChannelsMemberSync) {
      // Mattermost's answer when membership sync is off: OK, nothing confirmed.
      return { status: 'OK', payload: null };
    }
    if (msg.channel_id === '') {
      // Global user sync travels on its own topic (the user-sync app); nothing to do here, as Mattermost answers.
      return { status: 'OK', payload: null };
    }
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: remoteId, delete_at: 0 });
    const scr = await this.dataSource
      .getRepository(SharedChannelRemote)
      .findOneBy({ channel_id: msg.channel_id, remote_id: remoteId, delete_at: 0, is_invite_confirmed: true });
    const shared = await this.dataSource.getRepository(SharedChannel).findOneBy({ channel_id: msg.channel_id });
    const channel = await this.dataSource.getRepository(Channel).findOneBy({ id: msg.channel_id });
    if (!rc || !scr || !shared || !channel) {
      this.log.warn({ remoteId, channelId: msg.channel_id }, 'sync for a channel not shared with the sender');
      return { status: 'FAIL', err: NOT_SHARED_ERROR };
    }

    const started = Date.now();
    const response = emptySyncResponse();
    const news: Announcements = { posted: [], edited: [], deleted: [], reactions: [], acks: [] };
    const ctx: ApplyContext = { remoteId, rc, channel, readonly: shared.home && scr.readonly, response, news, msg };
    await this.dataSource.transaction(async (tx) => {
      const { at } = await stampChange(tx, channel.id);
      ctx.stamp = at;
      for (const [key, user] of Object.entries(msg.users ?? {})) {
        await this.item(tx, response.user_errors, key, () => this.applyUser(tx, ctx, key, user));
      }
      await this.applyPosts(tx, ctx, msg.posts ?? []);
      for (const r of msg.reactions ?? []) await this.item(tx, response.reaction_errors, r.post_id, () => this.applyReaction(tx, ctx, r));
      for (const a of msg.acknowledgements ?? []) {
        await this.item(tx, response.acknowledgement_errors, a.post_id, () => this.applyAck(tx, ctx, a));
      }
      if (news.posted.length > 0) {
        await tx.query(
          `UPDATE channels SET last_post_at = GREATEST(last_post_at, $2), total_msg_count = total_msg_count + $3,
             last_root_post_at = GREATEST(last_root_post_at, $4) WHERE id = $1`,
          [
            channel.id,
            Math.max(...news.posted.map((p) => p.create_at)),
            news.posted.length,
            Math.max(0, ...news.posted.filter((p) => !p.root_id).map((p) => p.create_at)),
          ],
        );
      }
    });
    await this.announce(channel, news);
    if (ctx.membersChanged) this.bus.emit(ChannelMembersChangedEvent, { channel_id: channel.id });
    if ((msg.statuses?.length ?? 0) + (msg.membership_changes?.length ?? 0) > 0) {
      // The user-sync app's part, after the users above exist. If it cannot answer, the whole message fails so that
      // the peer sends it again: everything applied above is idempotent.
      const asObjects = (list: unknown[] | null | undefined) =>
        (list ?? []).map((item) =>
          item !== null && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : {},
        );
      try {
        const applied = await this.bus.request(ApplyChannelChanges, {
          remote_id: remoteId,
          channel_id: channel.id,
          statuses: asObjects(msg.statuses),
          membership_changes: asObjects(msg.membership_changes),
        });
        response.status_errors.push(...applied.status_errors);
        if (applied.membership_errors.length > 0) response.membership_errors = applied.membership_errors;
      } catch (err) {
        this.log.error({ err, remoteId }, 'statuses and membership changes could not be applied');
        return { status: 'FAIL', err: 'statuses and membership changes could not be applied; retry later' };
      }
    }
    const refused =
      response.user_errors.length + response.post_errors.length + response.reaction_errors.length + response.acknowledgement_errors.length;
    this.metrics.itemsReceived.inc({ remote_id: remoteId }, news.posted.length + news.edited.length + news.deleted.length);
    if (refused > 0) this.metrics.receiveErrors.inc({ remote_id: remoteId }, refused);
    this.metrics.receiveDuration.observe({ remote_id: remoteId }, (Date.now() - started) / 1000);
    return { status: 'OK', payload: response as unknown as Record<string, unknown> };
  }

  /** Applies one item in a savepoint: a refusal or a database error undoes that item only. */
  private async item(tx: EntityManager, errors: string[], id: string, apply: () => Promise<void>): Promise<void> {
    await tx.query('SAVEPOINT sync_item');
    try {
      await apply();
      await tx.query('RELEASE SAVEPOINT sync_item');
    } catch (err) {
      await tx.query('ROLLBACK TO SAVEPOINT sync_item');
      if (!(err instanceof RefusedItem)) this.log.error({ err, id }, 'sync item failed');
      else this.log.warn({ id, reason: err.message }, 'sync item refused');
      errors.push(id);
    }
  }

  // ---- users -----------------------------------------------------------------------------------------------------

  private async applyUser(tx: EntityManager, ctx: ApplyContext, key: string, incoming: SyncUser): Promise<void> {
    if (key !== incoming.id) throw new RefusedItem('user key differs from its id');
    await refuseUserOwnedElsewhere(tx, incoming);
    await upsertRemoteUser(tx, ctx.rc, incoming);
    if (ctx.channel.type === 'O' || ctx.channel.type === 'P') {
      if ((await addToTeamChannel(tx, ctx.channel, incoming.id)).joinedChannel) ctx.membersChanged = true;
    }
    ctx.response.users_syncd.push(incoming.id);
    ctx.response.users_last_update_at = Math.max(ctx.response.users_last_update_at, incoming.update_at);
  }

  /** The sender's user (`remote_id` = sender), or a refusal. */
  private async senderUser(tx: EntityManager, ctx: ApplyContext, userId: string): Promise<User> {
    return ownedBySender(ctx, await tx.getRepository(User).findOneBy({ id: userId }));
  }

  // ---- posts -----------------------------------------------------------------------------------------------------

  /**
   * New posts, the bulk of any catch-up, are checked against data read once for the whole message and inserted with
   * one statement; everything else (edits, deletes, a post repeated in the message) goes item by item.
   */
  private async applyPosts(tx: EntityManager, ctx: ApplyContext, list: SyncPost[]): Promise<void> {
    if (list.length === 0) return;
    const known = await this.prefetch(tx, ctx, list);
    const fresh: Post[] = [];
    const later: SyncPost[] = [];
    for (const incoming of list) {
      ctx.response.posts_last_update_at = Math.max(ctx.response.posts_last_update_at, incoming.update_at);
      if (known.posts.has(incoming.id)) {
        later.push(incoming);
        continue;
      }
      try {
        const row = await this.newPostRow(tx, ctx, incoming, known);
        if (!row) continue;
        fresh.push(row);
        known.posts.set(row.id, row); // a reply later in the message finds its root
      } catch (err) {
        if (!(err instanceof RefusedItem)) throw err;
        this.log.warn({ id: incoming.id, reason: err.message }, 'sync item refused');
        ctx.response.post_errors.push(incoming.id);
      }
    }
    await this.insertPosts(tx, ctx, fresh, list);
    for (const incoming of later) await this.item(tx, ctx.response.post_errors, incoming.id, () => this.applyPost(tx, ctx, incoming));
  }

  /** The posts, authors, thread roots and files a message refers to, read together. */
  private async prefetch(tx: EntityManager, ctx: ApplyContext, list: SyncPost[]): Promise<Known> {
    const postIds = [...new Set([...list.map((p) => p.id), ...list.map((p) => p.root_id).filter(Boolean)])];
    const userIds = [...new Set(list.map((p) => p.user_id))];
    const fileIds = [...new Set(list.flatMap((p) => p.file_ids ?? []))];
    // One after the other: a transaction has one connection, which runs one query at a time anyway.
    const posts = await tx.getRepository(Post).findBy({ id: In(postIds) });
    const users = await tx.getRepository(User).findBy({ id: In(userIds) });
    const files = await this.attachableFiles(tx, ctx, fileIds, postIds);
    return {
      posts: new Map(posts.map((p) => [p.id, p])),
      users: new Map(users.map((u) => [u.id, u])),
      files: new Set(files),
    };
  }

  /**
   * Of `fileIds`, the files a post of this message may carry: received from the sender for this channel (the file
   * transfer comes before the post) and not attached to another post. Others are left out of `file_ids`.
   */
  private async attachableFiles(tx: EntityManager, ctx: ApplyContext, fileIds: string[], postIds: string[]): Promise<string[]> {
    if (fileIds.length === 0) return [];
    const rows: { id: string }[] = await tx.query(
      `SELECT id FROM file_infos WHERE id = ANY($1) AND remote_id = $2 AND channel_id = $3 AND delete_at = 0
         AND (post_id = '' OR post_id = ANY($4))`,
      [fileIds, ctx.remoteId, ctx.channel.id, postIds],
    );
    return rows.map((r) => r.id);
  }

  /** Points the files of a received post at it (they arrived before it, unattached). */
  private async attachFiles(tx: EntityManager, ctx: ApplyContext, postId: string, fileIds: string[]): Promise<void> {
    if (fileIds.length === 0) return;
    await tx.query(
      `UPDATE file_infos SET post_id = $2, update_at = $3 WHERE id = ANY($1) AND remote_id = $4 AND channel_id = $5 AND post_id = ''`,
      [fileIds, postId, ctx.stamp, ctx.remoteId, ctx.channel.id],
    );
  }

  /** A new post as it will be stored, or a refusal; undefined when there is nothing to store (deleted before it came). */
  private async newPostRow(tx: EntityManager, ctx: ApplyContext, incoming: SyncPost, known: Known): Promise<Post | undefined> {
    checkPostShape(ctx, incoming);
    ownedBySender(ctx, known.users.get(incoming.user_id));
    if (ctx.readonly) throw new RefusedItem('read-only share: the remote may not post');
    if (incoming.delete_at > 0) return undefined;
    if (incoming.root_id) {
      const root = known.posts.get(incoming.root_id);
      if (!root || root.channel_id !== ctx.channel.id || root.root_id !== '' || root.delete_at > 0)
        throw new RefusedItem('unknown thread root');
    }
    const message = await this.localMessage(tx, ctx, incoming.message);
    return tx.getRepository(Post).create({
      id: incoming.id,
      create_at: incoming.create_at,
      update_at: ctx.stamp!,
      edit_at: incoming.edit_at,
      delete_at: 0,
      is_pinned: incoming.is_pinned,
      user_id: incoming.user_id,
      channel_id: ctx.channel.id,
      root_id: incoming.root_id,
      original_id: '',
      message,
      type: incoming.type,
      props: incoming.props,
      hashtags: parseHashtags(message),
      file_ids: (incoming.file_ids ?? []).filter((id) => known.files.has(id)),
      remote_id: ctx.remoteId,
      has_reactions: false,
    });
  }

  /** One INSERT for all new posts; if it fails, one at a time so that only the rows at fault are refused. */
  private async insertPosts(tx: EntityManager, ctx: ApplyContext, rows: Post[], list: SyncPost[]): Promise<void> {
    if (rows.length === 0) return;
    const repo = tx.getRepository(Post);
    let inserted = rows;
    await tx.query('SAVEPOINT sync_bulk');
    try {
      await repo.insert(rows.map((r) => ({ ...r })) as QueryDeepPartialEntity<Post>[]);
      await tx.query('RELEASE SAVEPOINT sync_bulk');
    } catch (err) {
      await tx.query('ROLLBACK TO SAVEPOINT sync_bulk');
      this.log.warn({ err }, 'bulk insert of received posts failed; inserting one by one');
      inserted = [];
      for (const row of rows) {
        await this.item(tx, ctx.response.post_errors, row.id, async () => {
          await repo.insert({ ...row } as QueryDeepPartialEntity<Post>);
          inserted.push(row);
        });
      }
    }
    for (const row of inserted) await this.attachFiles(tx, ctx, row.id, row.file_ids);
    const roots = [...new Set(inserted.map((r) => r.root_id).filter(Boolean))];
    if (roots.length) await tx.query(`UPDATE posts SET update_at = GREATEST(update_at, $2) WHERE id = ANY($1)`, [roots, ctx.stamp]);
    const byId = new Map(list.map((p) => [p.id, p]));
    for (const row of inserted) {
      if (byId.get(row.id)?.metadata?.priority) await this.savePriority(tx, row.id, byId.get(row.id)!);
    }
    ctx.news.posted.push(...inserted);
  }

  /** Edits and deletes of a post that exists here (and any post repeated within one message). */
  private async applyPost(tx: EntityManager, ctx: ApplyContext, incoming: SyncPost): Promise<void> {
    checkPostShape(ctx, incoming);
    const posts = tx.getRepository(Post);
    const existing = await posts.findOneBy({ id: incoming.id });
    const stamp = ctx.stamp!;

    if (existing) {
      if (existing.channel_id !== ctx.channel.id) throw new RefusedItem('post of another channel');
      await this.senderUser(tx, ctx, existing.user_id);
      if (existing.delete_at > 0) return;
      if (incoming.delete_at > 0) {
        await posts.update({ id: existing.id }, { delete_at: stamp, update_at: stamp });
        await tx.query(`UPDATE file_infos SET delete_at = $2, update_at = $2 WHERE post_id = $1 AND delete_at = 0`, [existing.id, stamp]);
        ctx.news.deleted.push({ ...existing, delete_at: stamp, update_at: stamp });
        return;
      }
      const message = await this.localMessage(tx, ctx, incoming.message);
      // Files that arrived after the post was first received join it now; none are taken away.
      const wanted = incoming.file_ids ?? [];
      const attachable = new Set(await this.attachableFiles(tx, ctx, wanted, [existing.id]));
      const fileIds = [...existing.file_ids, ...wanted.filter((id) => attachable.has(id) && !existing.file_ids.includes(id))];
      const changed =
        fileIds.length !== existing.file_ids.length ||
        message !== existing.message ||
        incoming.is_pinned !== existing.is_pinned ||
        JSON.stringify(incoming.props) !== JSON.stringify(existing.props) ||
        (await this.priorityChanged(tx, existing.id, incoming));
      if (!changed) return;
      const set = {
        message,
        hashtags: parseHashtags(message),
        edit_at: message !== existing.message ? incoming.edit_at || stamp : existing.edit_at,
        is_pinned: incoming.is_pinned,
        props: incoming.props,
        file_ids: fileIds,
        update_at: stamp,
      };
      await posts.update({ id: existing.id }, set as QueryDeepPartialEntity<Post>);
      await this.attachFiles(tx, ctx, existing.id, fileIds);
      await this.savePriority(tx, existing.id, incoming);
      ctx.news.edited.push({ ...existing, ...set });
      return;
    }

    const known = await this.prefetch(tx, ctx, [incoming]);
    const row = await this.newPostRow(tx, ctx, incoming, known);
    if (row) await this.insertPosts(tx, ctx, [row], [incoming]);
  }

  /** Mentions and permalinks as this cluster writes them (protocol §5.11, §5.14). */
  private async localMessage(tx: EntityManager, ctx: ApplyContext, message: string): Promise<string> {
    let out = message;
    const transforms = ctx.msg.mention_transforms ?? {};
    if (Object.keys(transforms).length > 0) {
      if (!ctx.mentioned) {
        const ids = Object.values(transforms).filter((v) => /^[a-z0-9]{26}$/.test(v));
        const users = ids.length ? await tx.getRepository(User).findBy({ id: In(ids) }) : [];
        ctx.mentioned = new Map(users.map((u) => [u.id, { username: u.username, remoteId: u.remote_id }]));
      }
      const mentioned = ctx.mentioned;
      out = applyMentionTransforms(out, transforms, (id) => mentioned.get(id), ctx.rc.name);
    }
    if (ctx.channel.team_id && out.includes('/plshared/')) {
      if (ctx.teamName === undefined) {
        const team: { name: string }[] = await tx.query('SELECT name FROM teams WHERE id = $1', [ctx.channel.team_id]);
        ctx.teamName = team[0]?.name ?? '';
      }
      if (ctx.teamName) out = inboundPermalinks(out, this.config.siteUrl, ctx.teamName);
    }
    return out;
  }

  private async priorityChanged(tx: EntityManager, postId: string, incoming: SyncPost): Promise<boolean> {
    const rows: { priority: string; requested_ack: boolean; persistent_notifications: boolean }[] = await tx.query(
      'SELECT priority, requested_ack, persistent_notifications FROM post_priority WHERE post_id = $1',
      [postId],
    );
    const want = incoming.metadata?.priority;
    const has = rows[0];
    if (!want || (!want.priority && !want.requested_ack && !want.persistent_notifications)) return has !== undefined;
    return (
      !has ||
      has.priority !== want.priority ||
      has.requested_ack !== want.requested_ack ||
      has.persistent_notifications !== want.persistent_notifications
    );
  }

  /** Priority travels in `metadata.priority` and replaces what is stored (Mattermost replaces it wholesale). */
  private async savePriority(tx: EntityManager, postId: string, incoming: SyncPost): Promise<void> {
    const p = incoming.metadata?.priority;
    await tx.query('DELETE FROM post_priority WHERE post_id = $1', [postId]);
    if (!p || incoming.root_id || (!p.priority && !p.requested_ack && !p.persistent_notifications)) return;
    await tx.query(
      `INSERT INTO post_priority (post_id, channel_id, priority, requested_ack, persistent_notifications) VALUES ($1, $2, $3, $4, $5)`,
      [postId, incoming.channel_id, p.priority, p.requested_ack, p.persistent_notifications],
    );
  }

  // ---- reactions and acknowledgements ------------------------------------------------------------------------------

  /** The post a reaction or acknowledgement is about: it must be in the message's channel and not deleted. */
  private async postInChannel(tx: EntityManager, ctx: ApplyContext, postId: string): Promise<Post> {
    const post = await tx.getRepository(Post).findOneBy({ id: postId });
    if (!post || post.channel_id !== ctx.channel.id) throw new RefusedItem('post not in this channel');
    if (post.delete_at > 0) throw new RefusedItem('post deleted');
    return post;
  }

  /** State, not toggle: `delete_at` > 0 removes the reaction if present, otherwise it is made present. */
  private async applyReaction(tx: EntityManager, ctx: ApplyContext, r: SyncReaction): Promise<void> {
    const post = await this.postInChannel(tx, ctx, r.post_id);
    await this.senderUser(tx, ctx, r.user_id);
    const stamp = ctx.stamp!;
    ctx.response.reactions_last_update_at = Math.max(ctx.response.reactions_last_update_at, r.update_at);
    const reactions = tx.getRepository(Reaction);
    const existing = await reactions.findOneBy({ post_id: post.id, user_id: r.user_id, emoji_name: r.emoji_name });
    if (r.delete_at > 0) {
      if (!existing || existing.delete_at > 0) return;
      await reactions.update({ post_id: post.id, user_id: r.user_id, emoji_name: r.emoji_name }, { delete_at: stamp, update_at: stamp });
      await tx.query(
        `UPDATE posts SET update_at = GREATEST(update_at, $2),
           has_reactions = EXISTS (SELECT 1 FROM reactions x WHERE x.post_id = $1 AND x.delete_at = 0) WHERE id = $1`,
        [post.id, stamp],
      );
      ctx.news.reactions.push({ reaction: { ...existing, delete_at: stamp, update_at: stamp }, added: false });
      return;
    }
    if (existing && existing.delete_at === 0) return;
    if (ctx.readonly) throw new RefusedItem('read-only share: the remote may not react');
    const row: Reaction = {
      post_id: post.id,
      user_id: r.user_id,
      emoji_name: r.emoji_name,
      create_at: r.create_at || stamp,
      update_at: stamp,
      delete_at: 0,
      remote_id: ctx.remoteId,
      channel_id: ctx.channel.id,
    };
    await reactions.upsert({ ...row }, ['post_id', 'user_id', 'emoji_name']);
    await tx.query(`UPDATE posts SET has_reactions = true, update_at = GREATEST(update_at, $2) WHERE id = $1`, [post.id, stamp]);
    ctx.news.reactions.push({ reaction: row, added: true });
  }

  /** State, as Mattermost: `acknowledged_at` 0 removes the acknowledgement, any other value makes it present. */
  private async applyAck(tx: EntityManager, ctx: ApplyContext, a: SyncAck): Promise<void> {
    const post = await this.postInChannel(tx, ctx, a.post_id);
    await this.senderUser(tx, ctx, a.user_id);
    const stamp = ctx.stamp!;
    ctx.response.acknowledgements_last_update_at = Math.max(ctx.response.acknowledgements_last_update_at, a.acknowledged_at);
    const acks = tx.getRepository(PostAcknowledgement);
    const existing = await acks.findOneBy({ post_id: post.id, user_id: a.user_id });
    const present = existing !== null && existing.acknowledged_at > 0;
    if (a.acknowledged_at > 0 === present) return;
    const row: PostAcknowledgement = {
      post_id: post.id,
      user_id: a.user_id,
      acknowledged_at: a.acknowledged_at,
      channel_id: ctx.channel.id,
      remote_id: ctx.remoteId,
    };
    await acks.upsert({ ...row }, ['post_id', 'user_id']);
    await tx.query(`UPDATE posts SET update_at = GREATEST(update_at, $2) WHERE id = $1`, [post.id, stamp]);
    ctx.news.acks.push({ ack: row, added: a.acknowledged_at > 0 });
  }

  // ---- websocket ---------------------------------------------------------------------------------------------------

  private async announce(channel: Channel, news: Announcements): Promise<void> {
    const events: { event: string; data: Record<string, unknown> }[] = [];
    const senders = new Map<string, string>();
    if (news.posted.length) {
      const users = await this.dataSource.getRepository(User).findBy({ id: In([...new Set(news.posted.map((p) => p.user_id))]) });
      for (const u of users) senders.set(u.id, u.username);
    }
    for (const [i, json] of (await this.reads.toJsonMany(news.posted)).entries()) {
      events.push({
        event: WsEvent.Posted,
        data: {
          post: JSON.stringify(json),
          channel_type: channel.type,
          channel_display_name: channel.display_name,
          channel_name: channel.name,
          sender_name: '@' + (senders.get(news.posted[i].user_id) ?? ''),
          team_id: channel.team_id,
          set_online: false,
        },
      });
    }
    for (const json of await this.reads.toJsonMany(news.edited))
      events.push({ event: WsEvent.PostEdited, data: { post: JSON.stringify(json) } });
    for (const json of await this.reads.toJsonMany(news.deleted))
      events.push({ event: WsEvent.PostDeleted, data: { post: JSON.stringify(json) } });
    for (const { reaction, added } of news.reactions) {
      const event = added ? WsEvent.ReactionAdded : WsEvent.ReactionRemoved;
      events.push({ event, data: { reaction: JSON.stringify(toReactionJson(reaction)) } });
    }
    for (const { ack, added } of news.acks) {
      const event = added ? WsEvent.PostAcknowledgementAdded : WsEvent.PostAcknowledgementRemoved;
      events.push({ event, data: { acknowledgement: JSON.stringify(toAcknowledgementJson(ack)) } });
    }
    await this.events.toChannelMany(channel.id, events);
  }
}

interface ApplyContext {
  remoteId: string;
  rc: RemoteCluster;
  channel: Channel;
  /** Home side of a read-only share: the sender may neither post nor react. */
  readonly: boolean;
  response: SyncResponse;
  news: Announcements;
  /** A received user joined the channel: the membership sync passes it on to the other remotes. */
  membersChanged?: boolean;
  msg: SyncMsg;
  stamp?: number;
  /** Read once per message: users named by mention transforms, and the channel's team name. */
  mentioned?: Map<string, { username: string; remoteId: string }>;
  teamName?: string;
}

/** What a message's posts refer to, read once: posts by id (existing and thread roots), authors, files. */
interface Known {
  posts: Map<string, Post>;
  users: Map<string, User>;
  files: Set<string>;
}

/** The user, if it exists and belongs to the sender (`remote_id` = sender); anything else is refused. */
function ownedBySender(ctx: ApplyContext, user: User | null | undefined): User {
  if (!user) throw new RefusedItem('unknown user');
  if (user.remote_id !== ctx.remoteId) throw new RefusedItem('remoteID mismatch');
  return user;
}

/** What any received post must be, new or not. */
function checkPostShape(ctx: ApplyContext, incoming: SyncPost): void {
  if (incoming.channel_id !== ctx.channel.id) throw new RefusedItem('post of another channel');
  if (incoming.type.startsWith('system_')) throw new RefusedItem('system messages are not synced');
  if ([...incoming.message].length > POST_MESSAGE_MAX_RUNES || incoming.message.includes('\u0000')) {
    throw new RefusedItem('invalid message');
  }
  const propsJson = JSON.stringify(incoming.props);
  if (propsJson.length > 800_000 || propsJson.includes('\\u0000')) throw new RefusedItem('props too large');
}
