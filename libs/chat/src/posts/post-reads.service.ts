import { Injectable } from '@nestjs/common';
import { AppError } from '@fedchat/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isValidId } from '@fedchat/crypto';
import { Channel, ChannelMember, FileInfo, Post, PostAcknowledgement, PostPriority, Reaction, User } from '@fedchat/models';
import { In, MoreThan, Repository, SelectQueryBuilder } from 'typeorm';
import { isSystemAdmin } from '../permissions';
import { ChannelAccess } from '../channels/channel-access.service';
import { PostExtras, PostListJson, toPostJson, toPostList } from './post.mapper';

/** Mattermost's page size defaults and limits. */
export const PER_PAGE_DEFAULT = 60;
export const PER_PAGE_MAX = 200;
/** Most posts a `since` query returns (as Mattermost); clients continue from the newest update_at they saw. */
export const SINCE_LIMIT = 1000;
const PINNED_LIMIT = 1000;
const BY_IDS_MAX = 1000;

export interface ChannelPostsQuery {
  page: number;
  perPage: number;
  since?: number;
  before?: string;
  after?: string;
  skipFetchThreads?: boolean;
  /** Collapsed reply threads (CRT): root posts only, as Mattermost does for `collapsedThreads=true`. */
  collapsedThreads?: boolean;
}

export interface ThreadQuery {
  /** Replies per page; undefined = the whole thread. */
  perPage?: number;
  direction: 'up' | 'down';
  fromPost?: string;
  fromCreateAt?: number;
}

export function postNotFound(): AppError {
  return AppError.notFound('post', 'app.post.get.app_error');
}

/** Reading posts: single posts, channel pages, threads, pinned lists, and the metadata assembled around them. */
@Injectable()
export class PostReads {
  constructor(
    @InjectRepository(Post) private readonly posts: Repository<Post>,
    @InjectRepository(PostPriority) private readonly priorities: Repository<PostPriority>,
    @InjectRepository(PostAcknowledgement) private readonly acks: Repository<PostAcknowledgement>,
    @InjectRepository(Reaction) private readonly reactions: Repository<Reaction>,
    @InjectRepository(FileInfo) private readonly files: Repository<FileInfo>,
    @InjectRepository(Channel) private readonly channels: Repository<Channel>,
    @InjectRepository(ChannelMember) private readonly members: Repository<ChannelMember>,
    private readonly access: ChannelAccess,
  ) {}

  /** A post by id, live (not deleted); 400 for a malformed id, 404 when missing. */
  async livePost(postId: string): Promise<Post> {
    if (!isValidId(postId)) throw AppError.invalidParam('post_id');
    const post = await this.posts.findOneBy({ id: postId });
    if (!post || post.delete_at > 0) throw postNotFound();
    return post;
  }

  /** A post the user may read. System admins may ask for deleted posts (`include_deleted`), as in Mattermost. */
  async readablePost(user: User, postId: string, includeDeleted = false): Promise<Post> {
    if (!isValidId(postId)) throw AppError.invalidParam('post_id');
    const post = await this.posts.findOneBy({ id: postId });
    if (!post || (post.delete_at > 0 && !(includeDeleted && isSystemAdmin(user.roles)))) throw postNotFound();
    await this.access.requireRead(user, post.channel_id);
    return post;
  }

  async getJson(user: User, postId: string, includeDeleted = false): Promise<Record<string, unknown>> {
    return this.toJson(await this.readablePost(user, postId, includeDeleted));
  }

  /** One post as clients see it, metadata included. */
  async toJson(post: Post, pendingPostId?: string): Promise<Record<string, unknown>> {
    const [json] = await this.toJsonMany([post]);
    return pendingPostId ? { ...json, pending_post_id: pendingPostId } : json;
  }

  /**
   * Posts as clients see them; metadata is loaded in a few queries for the whole batch. `forPeers`: as the sync sends
   * them to other servers (action integrations kept, as Mattermost's sync marshals the whole post).
   */
  async toJsonMany(posts: Post[], options: { forPeers?: boolean } = {}): Promise<Record<string, unknown>[]> {
    const extras = await this.extras(posts);
    return posts.map((p) => toPostJson(p, extras.get(p.id), options));
  }

  private async extras(posts: Post[]): Promise<Map<string, PostExtras>> {
    const result = new Map<string, PostExtras>(posts.map((p) => [p.id, {}]));
    if (posts.length === 0) return result;
    const live = posts.filter((p) => p.delete_at === 0).map((p) => p.id);
    const withFiles = posts.filter((p) => p.delete_at === 0 && p.file_ids.length > 0).map((p) => p.id);
    const roots = [...new Set(posts.map((p) => p.root_id || p.id))];
    const [priorities, acks, reactions, files, threads] = await Promise.all([
      live.length ? this.priorities.findBy({ post_id: In(live) }) : [],
      live.length ? this.acks.find({ where: { post_id: In(live), acknowledged_at: MoreThan(0) }, order: { acknowledged_at: 'ASC' } }) : [],
      live.length ? this.reactions.find({ where: { post_id: In(live), delete_at: 0 }, order: { create_at: 'ASC' } }) : [],
      withFiles.length ? this.files.find({ where: { post_id: In(withFiles), delete_at: 0 }, order: { create_at: 'ASC' } }) : [],
      this.posts
        .createQueryBuilder('p')
        .select('p.root_id', 'root_id')
        .addSelect('count(*)::int', 'replies')
        .addSelect('max(p.create_at)', 'last')
        .where('p.root_id IN (:...roots)', { roots })
        .andWhere('p.delete_at = 0')
        .groupBy('p.root_id')
        .getRawMany<{ root_id: string; replies: number; last: string }>(),
    ]);
    const threadStats = new Map(threads.map((t) => [t.root_id, { replies: Number(t.replies), last: Number(t.last) }]));
    for (const p of posts) {
      const e = result.get(p.id)!;
      const stats = threadStats.get(p.root_id || p.id);
      e.replyCount = stats?.replies ?? 0;
      if (!p.root_id) e.lastReplyAt = stats?.last ?? 0;
    }
    for (const pr of priorities) result.get(pr.post_id)!.priority = pr;
    for (const a of acks) (result.get(a.post_id)!.acknowledgements ??= []).push(a);
    for (const r of reactions) (result.get(r.post_id)!.reactions ??= []).push(r);
    for (const f of files) (result.get(f.post_id)!.files ??= []).push(f);
    return result;
  }

  /**
   * GET /channels/{id}/posts with Mattermost's modes, first match wins: `since` (everything changed strictly after, deleted
   * posts included), `after` / `before` a post, else a page counted from the newest post. Cursors follow Mattermost:
   * next = the post just newer than the list, prev = the post just older.
   */
  async channelPosts(user: User, channelId: string, q: ChannelPostsQuery): Promise<PostListJson> {
    const channel = await this.access.requireRead(user, channelId);
    const offset = q.page * q.perPage;
    if (q.since !== undefined) {
      const changed = await this.posts
        .createQueryBuilder('p')
        .where('p.channel_id = :channel', { channel: channel.id })
        .andWhere('p.update_at > :since', { since: q.since })
        .andWhere(q.collapsedThreads ? "p.root_id = ''" : 'true')
        .orderBy('p.update_at', 'ASC')
        .addOrderBy('p.id', 'ASC')
        .limit(SINCE_LIMIT)
        .getMany();
      return this.list(newestFirst(changed), q.skipFetchThreads, {});
    }

    const anchorId = q.after ?? q.before;
    if (anchorId !== undefined) {
      if (!isValidId(anchorId)) throw AppError.invalidParam(q.after !== undefined ? 'after' : 'before');
      const anchor = await this.posts.findOneBy({ id: anchorId, channel_id: channel.id });
      if (!anchor) return toPostList([], []);
      const after = q.after !== undefined;
      const rows = await this.livePosts(channel.id, q.collapsedThreads)
        .andWhere(after ? '(p.create_at, p.id) > (:at, :id)' : '(p.create_at, p.id) < (:at, :id)', { at: anchor.create_at, id: anchor.id })
        .orderBy('p.create_at', after ? 'ASC' : 'DESC')
        .addOrderBy('p.id', after ? 'ASC' : 'DESC')
        .offset(offset)
        .limit(q.perPage)
        .getMany();
      const posts = newestFirst(rows);
      const full = rows.length >= q.perPage;
      let next = '';
      let prev = '';
      if (after) {
        prev = q.page === 0 ? anchor.id : await this.olderThan(channel.id, posts.at(-1), q.collapsedThreads);
        next = full ? await this.newerThan(channel.id, posts[0], q.collapsedThreads) : '';
        return this.list(posts, q.skipFetchThreads, { next_post_id: next, prev_post_id: prev, has_next: next !== '' });
      }
      next = q.page === 0 ? anchor.id : await this.newerThan(channel.id, posts[0], q.collapsedThreads);
      prev = full ? await this.olderThan(channel.id, posts.at(-1), q.collapsedThreads) : '';
      return this.list(posts, q.skipFetchThreads, { next_post_id: next, prev_post_id: prev, has_next: prev !== '' });
    }

    const posts = await this.livePosts(channel.id, q.collapsedThreads)
      .orderBy('p.create_at', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .offset(offset)
      .limit(q.perPage)
      .getMany();
    const next = await this.newerThan(channel.id, posts[0], q.collapsedThreads);
    const prev = await this.olderThan(channel.id, posts.at(-1), q.collapsedThreads);
    return this.list(posts, q.skipFetchThreads, { next_post_id: next, prev_post_id: prev, has_next: prev !== '' });
  }

  /**
   * GET /users/{id}/channels/{id}/posts/unread: the posts around the member's last view — up to `limitAfter`
   * unread posts and `limitBefore` read ones.
   */
  async aroundLastUnread(
    user: User,
    channelId: string,
    limitBefore: number,
    limitAfter: number,
    collapsedThreads = false,
  ): Promise<PostListJson> {
    const channel = await this.access.requireRead(user, channelId);
    const member = await this.members.findOneBy({ channel_id: channel.id, user_id: user.id });
    if (!member) throw AppError.forbidden('read_channel');
    const lastViewed = member.last_viewed_at;
    const [unread, read] = await Promise.all([
      limitAfter > 0
        ? this.livePosts(channel.id, collapsedThreads)
            .andWhere('p.create_at > :lastViewed', { lastViewed })
            .orderBy('p.create_at', 'ASC')
            .addOrderBy('p.id', 'ASC')
            .limit(limitAfter)
            .getMany()
        : [],
      limitBefore > 0
        ? this.livePosts(channel.id, collapsedThreads)
            .andWhere('p.create_at <= :lastViewed', { lastViewed })
            .orderBy('p.create_at', 'DESC')
            .addOrderBy('p.id', 'DESC')
            .limit(limitBefore)
            .getMany()
        : [],
    ]);
    const posts = [...newestFirst(unread), ...read];
    const next = unread.length >= limitAfter && posts.length ? await this.newerThan(channel.id, posts[0], collapsedThreads) : '';
    const prev = read.length >= limitBefore && posts.length ? await this.olderThan(channel.id, posts.at(-1), collapsedThreads) : '';
    return this.list(posts, false, { next_post_id: next, prev_post_id: prev });
  }

  /**
   * A thread: the root and its replies, newest first. Given a reply's id, its whole thread. With `perPage`, a page
   * of replies in `direction` ('down' = oldest first) after the `fromPost`/`fromCreateAt` cursor; the root is
   * always included and `has_next` tells whether more replies follow.
   */
  async thread(user: User, postId: string, q: ThreadQuery): Promise<PostListJson> {
    const post = await this.readablePost(user, postId);
    const root = post.root_id ? await this.posts.findOneBy({ id: post.root_id }) : post;
    if (!root || root.delete_at > 0) throw postNotFound();
    const qb = this.livePosts(root.channel_id).andWhere('p.root_id = :root', { root: root.id });
    let hasNext = false;
    let replies: Post[];
    if (q.perPage === undefined) {
      replies = await qb.orderBy('p.create_at', 'ASC').addOrderBy('p.id', 'ASC').getMany();
    } else {
      const down = q.direction === 'down';
      if (q.fromCreateAt !== undefined || q.fromPost) {
        let at = q.fromCreateAt;
        if (q.fromPost) {
          if (!isValidId(q.fromPost)) throw AppError.invalidParam('fromPost');
          at ??= (await this.posts.findOneBy({ id: q.fromPost }))?.create_at;
        }
        if (at !== undefined && q.fromPost) {
          qb.andWhere(down ? '(p.create_at, p.id) > (:at, :from)' : '(p.create_at, p.id) < (:at, :from)', { at, from: q.fromPost });
        } else if (at !== undefined) {
          qb.andWhere(down ? 'p.create_at > :at' : 'p.create_at < :at', { at });
        }
      }
      replies = await qb
        .orderBy('p.create_at', down ? 'ASC' : 'DESC')
        .addOrderBy('p.id', down ? 'ASC' : 'DESC')
        .limit(q.perPage + 1)
        .getMany();
      hasNext = replies.length > q.perPage;
      replies = replies.slice(0, q.perPage);
    }
    const posts = newestFirst([root, ...replies]);
    const json = await this.toJsonMany(posts);
    return toPostList(
      posts.map((p) => p.id),
      json,
      { has_next: hasNext },
    );
  }

  async pinned(user: User, channelId: string): Promise<PostListJson> {
    const channel = await this.access.requireRead(user, channelId);
    const posts = await this.livePosts(channel.id)
      .andWhere('p.is_pinned = true')
      .orderBy('p.create_at', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .limit(PINNED_LIMIT)
      .getMany();
    return this.list(posts, true, {});
  }

  /** POST /posts/ids: the live posts among `ids` that the user may read (others are left out). */
  async byIds(user: User, ids: unknown): Promise<Record<string, unknown>[]> {
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > BY_IDS_MAX || !ids.every(isValidId))
      throw AppError.invalidParam('post_ids');
    const posts = await this.posts.find({ where: { id: In([...new Set(ids)]), delete_at: 0 }, order: { create_at: 'DESC', id: 'DESC' } });
    const channelIds = [...new Set(posts.map((p) => p.channel_id))];
    const channels = channelIds.length ? await this.channels.findBy({ id: In(channelIds) }) : [];
    const readable = new Set<string>();
    for (const c of channels) if (await this.access.canRead(user, c)) readable.add(c.id);
    return this.toJsonMany(posts.filter((p) => readable.has(p.channel_id)));
  }

  /** Builds a PostList; unless told to skip, the roots of listed replies are added to `posts` (not to `order`). */
  async list(
    posts: Post[],
    skipFetchThreads: boolean | undefined,
    cursors: { next_post_id?: string; prev_post_id?: string; has_next?: boolean },
  ): Promise<PostListJson> {
    const listed = new Set(posts.map((p) => p.id));
    let all = posts;
    if (!skipFetchThreads) {
      const missingRoots = [...new Set(posts.filter((p) => p.root_id && !listed.has(p.root_id)).map((p) => p.root_id))];
      if (missingRoots.length) all = [...posts, ...(await this.posts.findBy({ id: In(missingRoots) }))];
    }
    return toPostList(
      posts.map((p) => p.id),
      await this.toJsonMany(all),
      cursors,
    );
  }

  private livePosts(channelId: string, rootsOnly = false): SelectQueryBuilder<Post> {
    const qb = this.posts.createQueryBuilder('p').where('p.channel_id = :channel', { channel: channelId }).andWhere('p.delete_at = 0');
    return rootsOnly ? qb.andWhere("p.root_id = ''") : qb;
  }

  /** Id of the live post just newer than `post` in the channel, '' if none (or no post). */
  private async newerThan(channelId: string, post: Post | undefined, rootsOnly = false): Promise<string> {
    if (!post) return '';
    const next = await this.livePosts(channelId, rootsOnly)
      .andWhere('(p.create_at, p.id) > (:at, :id)', { at: post.create_at, id: post.id })
      .orderBy('p.create_at', 'ASC')
      .addOrderBy('p.id', 'ASC')
      .limit(1)
      .getOne();
    return next?.id ?? '';
  }

  /** Id of the live post just older than `post` in the channel, '' if none (or no post). */
  private async olderThan(channelId: string, post: Post | undefined, rootsOnly = false): Promise<string> {
    if (!post) return '';
    const prev = await this.livePosts(channelId, rootsOnly)
      .andWhere('(p.create_at, p.id) < (:at, :id)', { at: post.create_at, id: post.id })
      .orderBy('p.create_at', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .limit(1)
      .getOne();
    return prev?.id ?? '';
  }
}

/** Sorts newest first by (create_at, id), the order of a PostList. */
export function newestFirst(posts: Post[]): Post[] {
  return [...posts].sort((a, b) => b.create_at - a.create_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}
