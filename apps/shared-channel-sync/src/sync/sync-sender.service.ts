import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, Bus, queueMissingAttachments } from '@fedchat/common';
import { LOCAL_ONLY_POST_TYPES, PostReads, SystemPosts, toSyncUser } from '@fedchat/chat';
import { AttachmentsPendingEvent, SendToPeer } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { Post, PostAcknowledgement, Reaction, RemoteCluster, SharedChannel, User } from '@fedchat/models';
import { DataSource, In } from 'typeorm';
import { DeadLetters, REACTIONS_REFUSED_REASON, REFUSED_REASON } from './dead-letters.service';
import { ChannelRings } from './channel-rings';
import { ClaimedPair, Cursor, SyncQueue } from './sync-queue.service';
import { SyncMetrics } from './sync.metrics';
import { ChannelMetadataMsg, NOT_SHARED_ERROR, SYNC_LIMITS, SyncResponse } from './sync-message';
import { mentionedNames } from './transforms/mentions';
import { outboundPermalinks, permalinkPostIds } from './transforms/permalinks';

/** A delivery failed; `notShared` when the peer says the channel is no longer shared with us. */
export class SyncSendError extends Error {
  constructor(
    message: string,
    readonly notShared = false,
  ) {
    super(message);
  }
}

/**
 * How a run ended: `caught-up` (or stopped), or `files-pending` when a batch's attachments must reach the remote
 * first (queued for file-transfer): the posts wait, in order, and the run is not a failure.
 */
export type SyncRunOutcome = 'caught-up' | 'files-pending';

/** What one batch holds, in send order (protocol §5.4: users, then posts, acknowledgements, reactions). */
interface Batch {
  /** Posts to send: not the remote's own (no echo), thread roots first. */
  posts: Post[];
  /** Every changed post whose reactions and acknowledgements may travel, the remote's own posts included. */
  changed: Post[];
  /** The cursor the batch was read from. */
  from: Cursor;
  /** Where the cursor goes once this batch is delivered. */
  next: Cursor;
  /** The batch was full: more may follow at once. */
  full: boolean;
}

/** A batch with everything its messages need, read before anything of it is sent. */
interface PreparedBatch extends Batch {
  reactions: Reaction[];
  acks: PostAcknowledgement[];
  /** Users the peer may lack (new to it, or changed since last sent). */
  users: User[];
  mentionTransforms: Record<string, string>;
  /** The posts as they travel. */
  wire: Record<string, unknown>[];
  /** New local posts with permalinks to other channels, whose authors are warned once the posts go. */
  foreignLinks: Post[];
}

/**
 * While a pair is behind (its batch was full), the next batches are this many times MaxPostsPerSync (within the
 * receiver's limit): fewer messages, transactions and cursor moves for a backlog, where the receiver's fixed cost per
 * message is most of its cost. Messages still stay under MAX_MESSAGE_BYTES (see chunks), so a large batch may travel
 * as several messages.
 */
const CATCH_UP_GROWTH = 8;

/** A batch being read, and the rings heard before its read began. */
interface Upcoming {
  batch: Promise<PreparedBatch>;
  mark: number;
}

/**
 * How long a run goes on with changes announced while it runs (see ChannelRings). After it the run ends, and the
 * finished pair's look-again claim reads what a claim reads (the channel's metadata stamp, refused posts to retry), so
 * a channel that never goes quiet still gets those.
 */
const FOLLOW_ON_MS = 2000;

/** Mattermost's window for telling authors that their fresh posts could not be delivered (NotifyRemoteOfflineThreshold). */
const FRESH_POST_MS = 10_000;
/** Keeps each message well under the peer's request size limit (Mattermost's default MaximumPayloadSizeBytes is 300 kB). */
const MAX_MESSAGE_BYTES = 200_000;

/**
 * Runs one claimed (channel, remote) pair: reads the changes past its cursor in `(update_at, id)` order, a batch of
 * at most MaxPostsPerSync at a time, sends them, and moves the cursor after each delivered batch. Full batches follow
 * one another at once, so a backlog drains as fast as the peer takes it; an idle channel sends the moment it changes.
 */
@Injectable()
export class SyncSender {
  private readonly log = new Logger('SyncSender');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: Bus,
    private readonly queue: SyncQueue,
    private readonly reads: PostReads,
    private readonly system: SystemPosts,
    private readonly metrics: SyncMetrics,
    private readonly deadLetters: DeadLetters,
  ) {}

  /**
   * Sends batches until the pair is caught up, the lease is lost, `stop()` says so, or a batch waits for its files.
   * With `rings` (the channel's doorbells heard while the run lasts), changes announced while a batch travels are read
   * at once and sent the moment it is confirmed, in the same run, for FOLLOW_ON_MS. Throws SyncSendError on failure.
   */
  async run(pair: ClaimedPair, stop: () => boolean, rings?: ChannelRings): Promise<SyncRunOutcome> {
    const remote = pair.remote_id;
    if (!(await this.deliverMetadata(pair))) return 'caught-up';
    await this.resendRefused(pair);
    const base = this.config.connectedWorkspaces.maxPostsPerSync;
    const largest = Math.max(base, Math.min(base * CATCH_UP_GROWTH, SYNC_LIMITS.posts));
    const followOnUntil = Date.now() + FOLLOW_ON_MS;
    let size = base;
    // Users sent during this run (id -> update_at): a batch read while the previous one travelled may list them again.
    const usersSent = new Map<string, number>();
    let upcoming: Upcoming | undefined;
    for (let first = true; !stop(); first = false) {
      const collecting = Date.now();
      const current = upcoming ?? this.readFrom(pair, pair.cursor, size, rings);
      const batch = await current.batch;
      upcoming = undefined;
      if (batch.changed.length === 0 && batch.next === batch.from) return 'caught-up';
      if (batch.full) {
        // Behind: the next batch, of the largest size at once, is read while this one travels. It starts where this one
        // ends and is sent only after this one is confirmed and the cursor moved, so the peer still gets every change
        // once and in order.
        size = largest;
        upcoming = this.readFrom(pair, batch.next, size, rings);
      }
      if (first && batch.posts.length > 0) this.metrics.inQueue.observe(Math.max(0, collecting - batch.posts[0].update_at) / 1000);
      const sending = Date.now();
      this.metrics.collection.observe({ remote_id: remote }, (sending - collecting) / 1000);
      // Not full, but the channel rings while this batch travels: read the next one now, from where this one ends (sent,
      // like a read-ahead, only after this one is confirmed and the cursor moved).
      const followOn = !upcoming && rings && Date.now() < followOnUntil;
      const cancelFollowOn = followOn ? rings.once(() => (upcoming ??= this.readFrom(pair, batch.next, size, rings))) : undefined;
      try {
        if (!(await this.deliver(pair, batch, usersSent))) return 'files-pending';
      } catch (err) {
        if (err instanceof SyncSendError && !err.notShared) await this.tellAuthors(pair, batch.posts);
        throw err;
      } finally {
        cancelFollowOn?.();
      }
      this.metrics.send.observe({ remote_id: remote }, (Date.now() - sending) / 1000);
      this.metrics.syncCount.inc({ remote_id: remote });
      if (!(await this.queue.advance(pair, batch.next))) {
        this.log.warn({ pair: pair.id }, 'lease lost; another replica continues from the cursor');
        return 'caught-up';
      }
      // A ring heard after this batch's read began may announce a change it did not see.
      if (!batch.full && !upcoming && !(followOn && rings.since(current.mark))) return 'caught-up';
    }
    return 'caught-up';
  }

  /** Starts reading a batch, marking the rings heard before the read began. */
  private readFrom(pair: ClaimedPair, from: Cursor, max: number, rings?: ChannelRings): Upcoming {
    const claimed = this.takeClaimed(pair, from, max);
    // Rows the claim read are older than every ring this run heard: any of them may announce a change they lack.
    const mark = claimed ? 0 : (rings?.mark() ?? 0);
    const batch = this.prepare(pair, from, max, claimed);
    // Its failure shows where it is awaited; a run that ends before (stop, lost lease, an error) drops it.
    batch.catch(() => undefined);
    return { batch, mark };
  }

  /**
   * A channel homed here whose display name, header or purpose changed since the remote last confirmed them: one
   * message with `channel_metadata` (a fedchat extension of SyncMsg; Mattermost has no such field and its decoder
   * ignores unknown keys). False when the lease was lost.
   */
  private async deliverMetadata(pair: ClaimedPair): Promise<boolean> {
    // The claim read the stamp; a change after it rings the channel again, and the next claim sees it.
    if (pair.metadata_changed_at <= pair.metadata_synced_at) return true;
    const share = await this.dataSource.getRepository(SharedChannel).findOneBy({ channel_id: pair.channel_id, home: true });
    if (!share || share.metadata_changed_at <= pair.metadata_synced_at) return true;
    const metadata: ChannelMetadataMsg = {
      display_name: share.share_display_name,
      header: share.share_header,
      purpose: share.share_purpose,
      update_at: share.metadata_changed_at,
    };
    await this.send(pair, { channel_metadata: metadata });
    return this.queue.metadataDelivered(pair, share.metadata_changed_at);
  }

  /**
   * The posts the claim read past the cursor, once, when they are what this read would get: the same start and size.
   * Those rows are the claim's snapshot; what committed after it rang the doorbell, which the run hears (ChannelRings)
   * or, when it rang before the run began, the pair's look-again claim.
   */
  private takeClaimed(pair: ClaimedPair, from: Cursor, max: number): Post[] | undefined {
    const first = pair.first;
    pair.first = undefined;
    if (!first || first.limit !== max || from.at !== pair.cursor.at || from.id !== pair.cursor.id) return undefined;
    return first.posts;
  }

  /** The next batch: posts past `from`, minus what must not travel, with thread roots ahead of their replies. */
  private async collect(pair: ClaimedPair, from: Cursor, max: number, claimed?: Post[]): Promise<Batch> {
    const rows =
      claimed ??
      (await this.dataSource
        .getRepository(Post)
        .createQueryBuilder('p')
        .where('p.channel_id = :channel', { channel: pair.channel_id })
        .andWhere('(p.update_at, p.id) > (:at, :id)', { at: from.at, id: from.id })
        .orderBy('p.update_at', 'ASC')
        .addOrderBy('p.id', 'ASC')
        .limit(max)
        .getMany());
    if (rows.length === 0) return { posts: [], changed: [], from, next: from, full: false };
    const last = rows[rows.length - 1];
    const content = rows.filter((p) => !p.type.startsWith('system_') && !LOCAL_ONLY_POST_TYPES.includes(p.type));
    const travels = (p: Post) => p.remote_id !== pair.remote_id && !p.type.startsWith('system_') && !LOCAL_ONLY_POST_TYPES.includes(p.type);
    const posts = await this.rootsFirst(content.filter(travels), travels);
    return { posts, changed: content, from, next: { at: last.update_at, id: last.id }, full: rows.length >= max };
  }

  /**
   * A batch and what its messages carry, read without changing anything (so a batch read ahead can be dropped):
   * reactions and acknowledgements of its posts, the users the peer may lack, and the posts as they travel.
   */
  private async prepare(pair: ClaimedPair, from: Cursor, max: number, claimed?: Post[]): Promise<PreparedBatch> {
    const batch = await this.collect(pair, from, max, claimed);
    if (batch.changed.length === 0) {
      return { ...batch, reactions: [], acks: [], users: [], mentionTransforms: {}, wire: [], foreignLinks: [] };
    }
    const ids = [...new Set([...batch.changed, ...batch.posts].map((p) => p.id))];
    // Independent reads, each on a connection of its own: a batch is ready after the slowest, not after their sum.
    // Every reaction row of the batch's posts (removed ones too: state, not toggle), not only those changed since
    // `from`: a post changed again after a reaction may sort past the end of the batch that passes the reaction's
    // stamp, and the next batch's `from` is then already later than it (a lost reaction, found by the chaos run).
    const [{ reactions, acks }, { wire, foreignLinks }] = await Promise.all([
      this.reactionsAndAcksOf(pair, ids),
      batch.posts.length ? this.wirePosts(pair, from, batch.posts) : { wire: [], foreignLinks: [] },
    ]);
    const { users, mentionTransforms } = await this.usersFor(pair, batch.posts, reactions, acks);
    return { ...batch, reactions, acks, users, mentionTransforms, wire, foreignLinks };
  }

  /**
   * Each reply's root goes ahead of it: a reply and the root it bumps share a stamp and may sort either way, and a
   * root outside the batch may be unknown to the peer. Re-sending a known root changes nothing there.
   */
  private async rootsFirst(posts: Post[], travels: (p: Post) => boolean): Promise<Post[]> {
    const inBatch = new Map(posts.map((p) => [p.id, p]));
    const missing = [...new Set(posts.filter((p) => p.root_id && !inBatch.has(p.root_id)).map((p) => p.root_id))];
    const fetched = missing.length ? await this.dataSource.getRepository(Post).findBy({ id: In(missing) }) : [];
    const roots = new Map([...inBatch, ...fetched.filter(travels).map((p) => [p.id, p] as const)]);
    const out: Post[] = [];
    const placed = new Set<string>();
    for (const post of posts) {
      const root = post.root_id ? roots.get(post.root_id) : undefined;
      if (root && !placed.has(root.id)) {
        out.push(root);
        placed.add(root.id);
      }
      if (!placed.has(post.id)) {
        out.push(post);
        placed.add(post.id);
      }
    }
    return out;
  }

  /** Sends one batch; false (nothing of the posts sent) while some of its attachments have not reached the remote. */
  private async deliver(pair: ClaimedPair, batch: PreparedBatch, usersSent: Map<string, number>): Promise<boolean> {
    if (batch.changed.length === 0) return true;
    const { reactions, acks, mentionTransforms } = batch;
    const pending = batch.users.filter((u) => usersSent.get(u.id) !== u.update_at);
    // The users ride in the first posts message when they fit: the receiver applies a message's users before its posts
    // (as Mattermost's does), and a catch-up then pays one message per channel less. Not when a post has files: those
    // go before their posts, and the remote refuses a file's upload session while it does not know the file's creator.
    const users = pending.length > 0 ? this.usersContent(pending) : undefined;
    const together =
      users !== undefined &&
      batch.wire.length > 0 &&
      !batch.posts.some((p) => p.file_ids?.length) &&
      pending.length <= SYNC_LIMITS.users &&
      users.bytes <= MAX_MESSAGE_BYTES / 2;
    if (users && !together) await this.settleUsers(pair, pending, await this.send(pair, { users: users.content }), usersSent);
    // Attachments go before their posts (protocol §5.4), so that the posts' file ids resolve on the remote.
    if (await this.queueMissingFiles(pair, batch.posts)) return false;
    this.warnForeignLinks(pair, batch.foreignLinks);
    const refusedPosts = new Set<string>();
    for (const [i, chunk] of chunks(batch.wire, together ? users.bytes : 0).entries()) {
      const withUsers = together && i === 0;
      const response = await this.send(pair, {
        ...(withUsers ? { users: users.content } : {}),
        posts: chunk,
        ...(Object.keys(mentionTransforms).length ? { mention_transforms: mentionTransforms } : {}),
      });
      if (!response) throw new SyncSendError('the remote did not confirm the posts');
      if (withUsers) await this.settleUsers(pair, pending, response, usersSent);
      for (const id of await this.settleRefusals(pair, chunk, response)) refusedPosts.add(id);
      this.metrics.itemsSent.inc({ remote_id: pair.remote_id }, chunk.length);
    }
    // Those of refused posts go again with their post.
    const refused = await this.sendReactionsAndAcks(
      pair,
      reactions.filter((r) => !refusedPosts.has(r.post_id)),
      acks.filter((a) => !refusedPosts.has(a.post_id)),
      batch.changed,
    );
    await this.keepRefused(pair, refused, REACTIONS_REFUSED_REASON, 'remote refused reactions or acknowledgements');
    return true;
  }

  /**
   * Acknowledgements, then reactions (protocol §5.4); returns the posts whose reactions or acknowledgements the remote
   * refused, to be kept as dead letters and sent again with their post: they travel only with a change of their post,
   * and the cursor moves past them, so a refusal for a passing reason (their user refused for a moment, their post not
   * there yet) would lose them for good. Refusals about posts deleted here are final and left out.
   */
  private async sendReactionsAndAcks(
    pair: ClaimedPair,
    reactions: Reaction[],
    acks: PostAcknowledgement[],
    posts: Post[],
  ): Promise<string[]> {
    const refused: string[] = [];
    if (acks.length > 0) {
      const response = await this.send(pair, {
        acknowledgements: acks.map((a) => ({
          user_id: a.user_id,
          post_id: a.post_id,
          acknowledged_at: a.acknowledged_at,
          channel_id: a.channel_id,
          remote_id: a.remote_id,
        })),
      });
      refused.push(...(response?.acknowledgement_errors ?? []));
    }
    if (reactions.length > 0) {
      const response = await this.send(pair, {
        reactions: reactions.map((r) => ({
          user_id: r.user_id,
          post_id: r.post_id,
          emoji_name: r.emoji_name,
          create_at: r.create_at,
          update_at: r.update_at,
          delete_at: r.delete_at,
          remote_id: r.remote_id,
          channel_id: r.channel_id,
        })),
      });
      refused.push(...(response?.reaction_errors ?? []));
    }
    const live = new Set(posts.filter((p) => p.delete_at === 0).map((p) => p.id));
    return [...new Set(refused)].filter((id) => live.has(id));
  }

  /** Users as a message's `users`, and their size in it. */
  private usersContent(users: User[]): { content: Record<string, unknown>; bytes: number } {
    const includeEmail = this.config.sharedChannels.syncUserEmail;
    const content = Object.fromEntries(users.map((u) => [u.id, toSyncUser(u, { includeEmail })]));
    return { content, bytes: Buffer.byteLength(JSON.stringify(content)) };
  }

  /** Records the users the remote took (all of them when it did not say), so that this run and later ones skip them. */
  private async settleUsers(pair: ClaimedPair, users: User[], response: SyncResponse | undefined, usersSent: Map<string, number>) {
    const synced = response?.users_syncd ?? users.map((u) => u.id);
    await this.recordUsersSent(
      pair,
      users.filter((u) => synced.includes(u.id)),
    );
    for (const u of users) if (synced.includes(u.id)) usersSent.set(u.id, u.update_at);
  }

  /**
   * The cursor moves on past refused posts (as Mattermost), but each is kept in the dead-letter table, to be sent
   * again with backoff and shown to admins; posts the remote took leave it.
   */
  private async settleRefusals(
    pair: ClaimedPair,
    sent: Record<string, unknown>[],
    response: SyncResponse,
    settleTaken = true,
  ): Promise<Set<string>> {
    const refused = new Set(response.post_errors);
    await this.keepRefused(pair, [...refused], REFUSED_REASON, 'remote refused posts');
    // Only this run (it holds the lease) adds dead letters for the pair: without any there is nothing to settle.
    if (!pair.dead_letters || !settleTaken) return refused;
    const taken = sent.map((p) => String(p.id)).filter((id) => !refused.has(id));
    await this.deadLetters.settled(pair.channel_id, pair.remote_id, taken);
    return refused;
  }

  private async keepRefused(pair: ClaimedPair, postIds: string[], reason: string, what: string): Promise<void> {
    if (postIds.length === 0) return;
    this.metrics.refusedByPeer.inc({ remote_id: pair.remote_id }, postIds.length);
    this.log.warn({ remote: pair.remote_id, channel: pair.channel_id, posts: postIds }, what);
    await this.deadLetters.refused(pair.channel_id, pair.remote_id, postIds, reason);
    pair.dead_letters = true;
  }

  /**
   * Re-sends the refused posts whose next try is due, as they are now, after the users they need. Posts gone or
   * now the remote's own have nothing left to send.
   */
  private async resendRefused(pair: ClaimedPair): Promise<void> {
    if (!pair.dead_letters) return;
    const due = await this.deadLetters.due(pair.channel_id, pair.remote_id, this.config.connectedWorkspaces.maxPostsPerSync);
    if (due.length === 0) return;
    const found = await this.dataSource.getRepository(Post).findBy({ id: In(due), channel_id: pair.channel_id });
    // The remote's own posts never go back to it; what they may still need is reactions and acknowledgements.
    const posts = found.filter((p) => p.remote_id !== pair.remote_id);
    const { reactions, acks } = await this.reactionsAndAcksOf(
      pair,
      found.filter((p) => p.delete_at === 0).map((p) => p.id),
    );
    const pending = new Set([...posts.map((p) => p.id), ...reactions.map((r) => r.post_id), ...acks.map((a) => a.post_id)]);
    await this.deadLetters.settled(
      pair.channel_id,
      pair.remote_id,
      due.filter((id) => !pending.has(id)),
    );
    if (pending.size === 0) return;
    // Rows are settled only once everything of a post went, so that a refusal counts as one more attempt.
    const { users, mentionTransforms } = await this.usersFor(pair, posts, reactions, acks);
    if (users.length > 0) {
      const response = await this.send(pair, {
        users: Object.fromEntries(users.map((u) => [u.id, toSyncUser(u, { includeEmail: this.config.sharedChannels.syncUserEmail })])),
      });
      const synced = response?.users_syncd ?? users.map((u) => u.id);
      await this.recordUsersSent(
        pair,
        users.filter((u) => synced.includes(u.id)),
      );
    }
    const { wire, foreignLinks } = await this.wirePosts(pair, pair.cursor, posts);
    this.warnForeignLinks(pair, foreignLinks);
    const refusedPosts = new Set<string>();
    for (const chunk of chunks(wire)) {
      const response = await this.send(pair, {
        posts: chunk,
        ...(Object.keys(mentionTransforms).length ? { mention_transforms: mentionTransforms } : {}),
      });
      if (!response) throw new SyncSendError('the remote did not confirm the re-sent posts');
      for (const id of await this.settleRefusals(pair, chunk, response, false)) refusedPosts.add(id);
    }
    // A post taken now may have been refused with its reactions before: they come along (state: a repeat is harmless).
    const refused = await this.sendReactionsAndAcks(
      pair,
      reactions.filter((r) => !refusedPosts.has(r.post_id)),
      acks.filter((a) => !refusedPosts.has(a.post_id)),
      found,
    );
    await this.keepRefused(pair, refused, REACTIONS_REFUSED_REASON, 'remote refused reactions or acknowledgements');
    await this.deadLetters.settled(
      pair.channel_id,
      pair.remote_id,
      [...pending].filter((id) => !refusedPosts.has(id) && !refused.includes(id)),
    );
  }

  /** Every reaction and acknowledgement row of the posts (removed ones too: state), except the remote's own. */
  private async reactionsAndAcksOf(pair: ClaimedPair, ids: string[]): Promise<{ reactions: Reaction[]; acks: PostAcknowledgement[] }> {
    if (ids.length === 0) return { reactions: [], acks: [] };
    const [reactions, acks] = await Promise.all([
      this.dataSource
        .getRepository(Reaction)
        .createQueryBuilder('r')
        .where('r.post_id IN (:...ids)', { ids })
        .andWhere('r.remote_id <> :remote', { remote: pair.remote_id })
        .getMany(),
      this.dataSource
        .getRepository(PostAcknowledgement)
        .createQueryBuilder('a')
        .where('a.post_id IN (:...ids)', { ids })
        .andWhere('a.remote_id <> :remote', { remote: pair.remote_id })
        .getMany(),
    ]);
    return { reactions, acks };
  }

  /**
   * Queues, in file-transfer's queue, the attachments of `posts` that the remote does not hold yet and rings
   * file-transfer. True when any is still on its way: the posts must wait.
   */
  private async queueMissingFiles(pair: ClaimedPair, posts: Post[]): Promise<boolean> {
    const live = posts.filter((p) => p.delete_at === 0);
    const missing = await queueMissingAttachments(this.dataSource, pair.channel_id, pair.remote_id, live);
    if (missing === 0) return false;
    this.bus.emit(AttachmentsPendingEvent, { channel_id: pair.channel_id, remote_id: pair.remote_id });
    this.log.debug({ channel: pair.channel_id, remote: pair.remote_id, files: missing }, 'posts wait for their files');
    return true;
  }

  /**
   * Post JSON as Mattermost sends it (with metadata: priority, acknowledgements), permalinks made portable; and the
   * posts new since `from` (local ones) whose permalinks point to other channels.
   */
  private async wirePosts(
    pair: ClaimedPair,
    from: Cursor,
    posts: Post[],
  ): Promise<{ wire: Record<string, unknown>[]; foreignLinks: Post[] }> {
    const linked = [...new Set(posts.flatMap((p) => permalinkPostIds(p.message)))];
    const sameChannel = new Set<string>();
    if (linked.length) {
      const rows = await this.dataSource.getRepository(Post).findBy({ id: In(linked), channel_id: pair.channel_id });
      for (const r of rows) sameChannel.add(r.id);
    }
    const json = await this.reads.toJsonMany(posts, { forPeers: true });
    const foreignLinks: Post[] = [];
    const wire = json.map((p, i) => {
      const { message, foreign } = outboundPermalinks(posts[i].message, (id) => sameChannel.has(id));
      if (foreign && posts[i].create_at > from.at && posts[i].remote_id === '') foreignLinks.push(posts[i]);
      return { ...p, message };
    });
    return { wire, foreignLinks };
  }

  private warnForeignLinks(pair: ClaimedPair, posts: Post[]): void {
    for (const post of posts) {
      void this.system.ephemeral(
        post.user_id,
        pair.channel_id,
        'This post contains permalinks to other channels which may not be visible to users in other sites.',
      );
    }
  }

  /**
   * Users the peer needs before the posts: authors, reactors, acknowledgers and mentioned members, except the peer's
   * own users, and only when new to it or changed since last sent (shared_channel_users).
   */
  private async usersFor(
    pair: ClaimedPair,
    posts: Post[],
    reactions: Reaction[],
    acks: PostAcknowledgement[],
  ): Promise<{ users: User[]; mentionTransforms: Record<string, string> }> {
    const ids = new Set([...posts.map((p) => p.user_id), ...reactions.map((r) => r.user_id), ...acks.map((a) => a.user_id)]);
    const names = [...new Set(posts.flatMap((p) => mentionedNames(p.message)))];
    const mentionTransforms: Record<string, string> = {};
    if (names.length) {
      // The peer's own users are listed too (so that `@alice:peer` reads `@alice` there) but are not sent back to it.
      const mentioned: { id: string; username: string; remote_id: string }[] = await this.dataSource.query(
        `SELECT u.id, u.username, u.remote_id FROM users u JOIN channel_members m ON m.user_id = u.id AND m.channel_id = $1
         WHERE u.username = ANY($2)`,
        [pair.channel_id, names],
      );
      for (const m of mentioned) {
        mentionTransforms[m.username] = m.id;
        if (m.remote_id !== pair.remote_id) ids.add(m.id);
      }
    }
    if (ids.size === 0) return { users: [], mentionTransforms };
    const users: User[] = await this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .leftJoin('shared_channel_users', 's', 's.user_id = u.id AND s.channel_id = :channel AND s.remote_id = :remote', {
        channel: pair.channel_id,
        remote: pair.remote_id,
      })
      .where('u.id IN (:...ids)', { ids: [...ids] })
      .andWhere('u.remote_id <> :remote', { remote: pair.remote_id })
      .andWhere('(s.id IS NULL OR s.last_sync_at < u.update_at)')
      .getMany();
    return { users, mentionTransforms };
  }

  /**
   * Records the version (`update_at`) of each user sent, not the time of sending: a change made while the message
   * travelled, or after the clock stepped back, has a later stamp than the version sent and so is sent again.
   */
  private async recordUsersSent(pair: ClaimedPair, users: User[]): Promise<void> {
    const unique = [...new Map(users.map((u) => [u.id, u])).values()];
    if (unique.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO shared_channel_users (id, user_id, channel_id, remote_id, create_at, last_sync_at)
       SELECT r.id, r.user_id, $4, $5, $6, r.at FROM unnest($1::varchar[], $2::varchar[], $3::bigint[]) AS r(id, user_id, at)
       ON CONFLICT (user_id, channel_id, remote_id) DO UPDATE
         SET last_sync_at = GREATEST(shared_channel_users.last_sync_at, EXCLUDED.last_sync_at)`,
      [unique.map(() => newId()), unique.map((u) => u.id), unique.map((u) => u.update_at), pair.channel_id, pair.remote_id, Date.now()],
    );
  }

  /** One `sharedchannel_sync` message; FAIL answers become SyncSendError. Returns the SyncResponse, if any. */
  private async send(pair: ClaimedPair, content: Record<string, unknown>): Promise<SyncResponse | undefined> {
    const payload = { id: newId(), channel_id: pair.channel_id, ...content };
    let answer;
    try {
      answer = await this.bus.request(SendToPeer, { remote_id: pair.remote_id, topic: 'sharedchannel_sync', payload });
    } catch (err) {
      throw new SyncSendError(err instanceof Error ? err.message : String(err));
    }
    if (answer.status !== 'OK') {
      const reason = answer.err ?? 'FAIL';
      throw new SyncSendError(reason, reason.includes(NOT_SHARED_ERROR));
    }
    const response = answer.payload as Partial<SyncResponse> | null | undefined;
    if (!response || typeof response !== 'object') return undefined;
    return {
      users_last_update_at: 0,
      reactions_last_update_at: 0,
      posts_last_update_at: 0,
      acknowledgements_last_update_at: 0,
      ...response,
      user_errors: arrayOf(response.user_errors),
      users_syncd: arrayOf(response.users_syncd),
      post_errors: arrayOf(response.post_errors),
      reaction_errors: arrayOf(response.reaction_errors),
      acknowledgement_errors: arrayOf(response.acknowledgement_errors),
      status_errors: arrayOf(response.status_errors),
    };
  }

  /** Mattermost's notice to authors of fresh posts that could not be delivered (one per author). */
  private async tellAuthors(pair: ClaimedPair, posts: Post[]): Promise<void> {
    const fresh = posts.filter((p) => p.remote_id === '' && p.delete_at === 0 && Date.now() - p.create_at < FRESH_POST_MS);
    if (fresh.length === 0) return;
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: pair.remote_id });
    const name = rc?.display_name || rc?.name || pair.remote_id;
    const authors = new Map(fresh.map((p) => [p.user_id, p.create_at]));
    for (const [userId, createAt] of authors) {
      await this.system.ephemeral(
        userId,
        pair.channel_id,
        `One or more posts could not be delivered to remote site ${name} because it is offline. The post(s) will be delivered when the site is online.`,
        createAt + 1,
      );
    }
  }
}

function arrayOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Splits posts into messages that stay under the size limit (a single post always travels, whatever its size);
 * `firstTaken`: bytes of the first message already taken by something else.
 */
function chunks(posts: Record<string, unknown>[], firstTaken = 0): Record<string, unknown>[][] {
  const out: Record<string, unknown>[][] = [];
  let current: Record<string, unknown>[] = [];
  let size = firstTaken;
  for (const post of posts) {
    const bytes = Buffer.byteLength(JSON.stringify(post));
    if (current.length > 0 && size + bytes > MAX_MESSAGE_BYTES) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(post);
    size += bytes;
  }
  if (current.length) out.push(current);
  return out;
}
