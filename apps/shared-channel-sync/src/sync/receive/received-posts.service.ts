import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { countNewPosts, parseHashtags, RefusedItem } from '@fedchat/chat';
import { isTransientDbError, Post, User } from '@fedchat/models';
import { EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { SyncPost } from '../sync-message';
import { applyMentionTransforms } from '../transforms/mentions';
import { inboundPermalinks } from '../transforms/permalinks';
import { ApplyContext } from './apply-context';
import { attachableFiles, attachFiles } from './received-files';
import { priorityChanged, savePriority } from './received-priority';
import { applyItem } from './savepoints';
import { checkPostShape, ownedBySender, senderUser } from './sync-authority';

/** The one-statement insert of a message's new posts failed; the transaction is spoiled and the message must be applied again. */
export class BulkInsertFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('bulk insert of received posts failed');
  }
}

/** What a message's posts refer to, read once: posts by id (existing and thread roots), authors, files. */
interface Known {
  posts: Map<string, Post>;
  users: Map<string, User>;
  files: Set<string>;
}

/**
 * The posts of a received message: new ones, edits and deletes, with their files, priority and thread roots, and the
 * channel's post counters. Only the sender's users may write; edits and deletes only touch their own posts.
 */
@Injectable()
export class ReceivedPosts {
  private readonly log = new Logger('SyncReceiver');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * New posts, the bulk of any catch-up, are checked against data read once for the whole message and inserted with
   * one statement; everything else (edits, deletes, a post repeated in the message) goes item by item.
   */
  async apply(tx: EntityManager, ctx: ApplyContext, list: SyncPost[]): Promise<void> {
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
    for (const incoming of later) await applyItem(tx, ctx.response.post_errors, incoming.id, () => this.applyPost(tx, ctx, incoming));
  }

  /** Read state for the posts the message added: channel and member counters, thread memberships (as for local posts). */
  async countNew(tx: EntityManager, ctx: ApplyContext): Promise<void> {
    ctx.news.threads.push(...(await countNewPosts(tx, ctx.channel, ctx.news.posted)));
  }

  /** The posts, authors, thread roots and files a message refers to, read together. */
  private async prefetch(tx: EntityManager, ctx: ApplyContext, list: SyncPost[]): Promise<Known> {
    const postIds = [...new Set([...list.map((p) => p.id), ...list.map((p) => p.root_id).filter(Boolean)])];
    const userIds = [...new Set(list.map((p) => p.user_id))];
    const fileIds = [...new Set(list.flatMap((p) => p.file_ids ?? []))];
    // One statement for both (a transaction's connection runs one query at a time); rows as JSON, whose numbers and
    // booleans are what the entities hold.
    const [read] = (await tx.query(
      `SELECT (SELECT coalesce(json_agg(p), '[]') FROM posts p WHERE p.id = ANY($1)) AS posts,
              (SELECT coalesce(json_agg(u), '[]') FROM users u WHERE u.id = ANY($2)) AS users`,
      [postIds, userIds],
    )) as { posts: Post[]; users: User[] }[];
    const { posts, users } = read;
    const files = await attachableFiles(tx, ctx, fileIds, postIds);
    return {
      posts: new Map(posts.map((p) => [p.id, p])),
      users: new Map(users.map((u) => [u.id, u])),
      files: new Set(files),
    };
  }

  /** A new post as it will be stored, or a refusal; undefined when there is nothing to store (deleted before it came). */
  private async newPostRow(tx: EntityManager, ctx: ApplyContext, incoming: SyncPost, known: Known): Promise<Post | undefined> {
    checkPostShape(ctx, incoming);
    const author = ownedBySender(ctx, known.users.get(incoming.user_id));
    if (ctx.readonly) throw new RefusedItem('read-only share: the remote may not post');
    if (incoming.delete_at > 0) return undefined;
    if (incoming.root_id) {
      const root = known.posts.get(incoming.root_id);
      if (!root || root.channel_id !== ctx.channel.id || root.root_id !== '' || root.delete_at > 0)
        throw new RefusedItem('unknown thread root');
    }
    const message = await this.localMessage(tx, ctx, incoming.message);
    ctx.news.senders.set(author.id, author.username);
    return tx.getRepository(Post).create({
      id: incoming.id,
      create_at: incoming.create_at,
      update_at: ctx.stamp,
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

  /**
   * One INSERT for all new posts, without a savepoint of its own: should it fail, the message is applied again with
   * one savepoint per post (BulkInsertFailed), so that only the rows at fault are refused.
   */
  private async insertPosts(tx: EntityManager, ctx: ApplyContext, rows: Post[], list: SyncPost[]): Promise<void> {
    if (rows.length === 0) return;
    const inserted: Post[] = [];
    if (!ctx.postByPost) {
      try {
        await insertPostRows(tx, rows);
      } catch (err) {
        // A transient error says nothing about the posts: the message fails and is sent again, as for any item.
        if (isTransientDbError(err)) throw err;
        throw new BulkInsertFailed(err);
      }
      inserted.push(...rows);
    } else {
      for (const row of rows) {
        await applyItem(tx, ctx.response.post_errors, row.id, async () => {
          await insertPostRows(tx, [row]);
          inserted.push(row);
        });
      }
    }
    for (const row of inserted) await attachFiles(tx, ctx, row.id, row.file_ids);
    const roots = [...new Set(inserted.map((r) => r.root_id).filter(Boolean))];
    if (roots.length) await tx.query(`UPDATE posts SET update_at = GREATEST(update_at, $2) WHERE id = ANY($1)`, [roots, ctx.stamp]);
    const byId = new Map(list.map((p) => [p.id, p]));
    for (const row of inserted) {
      if (!byId.get(row.id)?.metadata?.priority) continue;
      await savePriority(tx, row.id, byId.get(row.id)!);
      ctx.news.prioritized = true;
    }
    ctx.news.posted.push(...inserted);
  }

  /** Edits and deletes of a post that exists here (and any post repeated within one message). */
  private async applyPost(tx: EntityManager, ctx: ApplyContext, incoming: SyncPost): Promise<void> {
    checkPostShape(ctx, incoming);
    const posts = tx.getRepository(Post);
    const existing = await posts.findOneBy({ id: incoming.id });
    const stamp = ctx.stamp;

    if (existing) {
      if (existing.channel_id !== ctx.channel.id) throw new RefusedItem('post of another channel');
      await senderUser(tx, ctx, existing.user_id);
      if (existing.delete_at > 0) return;
      if (incoming.delete_at > 0) {
        await posts.update({ id: existing.id }, { delete_at: stamp, update_at: stamp });
        // A deleted root takes its replies, as a local deletion does: also a reply written here while the deletion
        // was on its way, which the root's cluster refused and would otherwise keep it here only.
        const replies = existing.root_id ? [] : await posts.findBy({ root_id: existing.id, delete_at: 0 });
        if (replies.length) await posts.update({ root_id: existing.id, delete_at: 0 }, { delete_at: stamp, update_at: stamp });
        const ids = [existing.id, ...replies.map((r) => r.id)];
        await tx.query(`UPDATE file_infos SET delete_at = $2, update_at = $2 WHERE post_id = ANY($1) AND delete_at = 0`, [ids, stamp]);
        for (const gone of [existing, ...replies]) ctx.news.deleted.push({ ...gone, delete_at: stamp, update_at: stamp });
        return;
      }
      const message = await this.localMessage(tx, ctx, incoming.message);
      // Files that arrived after the post was first received join it now; none are taken away.
      const wanted = incoming.file_ids ?? [];
      const attachable = new Set(await attachableFiles(tx, ctx, wanted, [existing.id]));
      const fileIds = [...existing.file_ids, ...wanted.filter((id) => attachable.has(id) && !existing.file_ids.includes(id))];
      const changed =
        fileIds.length !== existing.file_ids.length ||
        message !== existing.message ||
        incoming.is_pinned !== existing.is_pinned ||
        JSON.stringify(incoming.props) !== JSON.stringify(existing.props) ||
        (await priorityChanged(tx, existing.id, incoming));
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
      await attachFiles(tx, ctx, existing.id, fileIds);
      await savePriority(tx, existing.id, incoming);
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
}

/**
 * Inserts received post rows with one statement whose only parameter is the rows as one JSON document: the
 * statement's text stays the same whatever the batch size (parsed and planned alike), and no per-row query building.
 */
async function insertPostRows(tx: EntityManager, rows: Post[]): Promise<void> {
  await tx.query(
    `INSERT INTO posts (id, create_at, update_at, edit_at, delete_at, is_pinned, user_id, channel_id, root_id, original_id,
                        message, type, props, hashtags, file_ids, remote_id, has_reactions)
     SELECT r.id, r.create_at, r.update_at, r.edit_at, r.delete_at, r.is_pinned, r.user_id, r.channel_id, r.root_id, r.original_id,
            r.message, r.type, r.props, r.hashtags, r.file_ids, r.remote_id, r.has_reactions
     FROM jsonb_to_recordset($1::jsonb) AS r(id varchar, create_at bigint, update_at bigint, edit_at bigint, delete_at bigint,
       is_pinned boolean, user_id varchar, channel_id varchar, root_id varchar, original_id varchar, message text, type varchar,
       props jsonb, hashtags text, file_ids jsonb, remote_id varchar, has_reactions boolean)`,
    [JSON.stringify(rows.map((r) => ({ ...r, message: wellFormed(r.message), hashtags: wellFormed(r.hashtags) })))],
  );
}

/**
 * Lone UTF-16 surrogates become U+FFFD, as they do when a string parameter is encoded for PostgreSQL; in a JSON
 * document they would stay escapes that jsonb refuses, and the post would be refused for it.
 */
function wellFormed(text: string): string {
  return (text as unknown as { toWellFormed(): string }).toWellFormed();
}
