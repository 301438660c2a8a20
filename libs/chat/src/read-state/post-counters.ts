import { returning, type Channel, type Post } from '@fedchat/models';
import type { EntityManager } from 'typeorm';
import { parseMentions } from '../posts/post-rules';

/**
 * Mattermost's join/leave notices (`IsJoinLeaveMessage`): they move `last_post_at` but are not counted, so a channel
 * does not turn unread because someone joined it.
 */
export const JOIN_LEAVE_POST_TYPES: readonly string[] = [
  'system_join_leave',
  'system_join_channel',
  'system_guest_join_channel',
  'system_leave_channel',
  'system_add_remove',
  'system_add_to_channel',
  'system_remove_from_channel',
  'system_add_to_team',
  'system_join_team',
  'system_leave_team',
  'system_remove_from_team',
];

export function isJoinLeavePost(type: string): boolean {
  return JOIN_LEAVE_POST_TYPES.includes(type);
}

/** A thread that got replies: its followers learn it (`thread_updated`) once the transaction has committed. */
export interface TouchedThread {
  rootId: string;
  followers: string[];
}

/** What a post does to one member's mention counters. */
interface MentionDelta {
  all: number;
  root: number;
  urgent: number;
}

/**
 * The read-state bookkeeping of new posts of one channel, inside the transaction that inserts them (local posts and
 * posts received from peers alike), so counters never disagree with the posts after a crash:
 * - the channel's totals and last post times (join/leave notices move the times only);
 * - mentions of members (@username, @channel/@all/@here, every post of a direct channel), root-only and urgent apart;
 * - the author has read the channel up to their post (Mattermost marks it viewed for them);
 * - thread memberships of replies: the author, the root's author and mentioned members follow the thread, the
 *   author has read it, the mentioned get an unread mention.
 * Counters are only ever added to, in one statement per table, so concurrent posts cannot lose each other's counts.
 */
export async function countNewPosts(tx: EntityManager, channel: Channel, posts: Post[]): Promise<TouchedThread[]> {
  if (posts.length === 0) return [];
  const counted = posts.filter((p) => !isJoinLeavePost(p.type));
  const roots = posts.filter((p) => !p.root_id);
  const countedRoots = counted.filter((p) => !p.root_id);
  const totals = await returning<{ total: string; total_root: string }>(
    tx,
    `UPDATE channels SET last_post_at = GREATEST(last_post_at, $2),
       last_root_post_at = GREATEST(last_root_post_at, $3),
       total_msg_count = total_msg_count + $4, total_msg_count_root = total_msg_count_root + $5
     WHERE id = $1 RETURNING total_msg_count AS total, total_msg_count_root AS total_root`,
    [
      channel.id,
      Math.max(...posts.map((p) => p.create_at)),
      Math.max(0, ...roots.map((p) => p.create_at)),
      counted.length,
      countedRoots.length,
    ],
  );
  if (totals.length === 0) return [];

  // What people write (not the server's notices) marks the channel read for its author and may mention others.
  const written = posts.filter((p) => !p.type.startsWith('system_'));
  if (written.length === 0) return [];
  const now = Date.now();
  await tx.query(
    `UPDATE channel_members SET msg_count = $3, msg_count_root = $4, mention_count = 0, mention_count_root = 0,
       urgent_mention_count = 0, last_viewed_at = GREATEST(last_viewed_at, $5), last_update_at = GREATEST(last_update_at, $6)
     WHERE channel_id = $1 AND user_id = ANY($2)`,
    [
      channel.id,
      [...new Set(written.map((p) => p.user_id))],
      Number(totals[0].total),
      Number(totals[0].total_root),
      Math.max(...written.map((p) => p.create_at)),
      now,
    ],
  );

  const mentions = await mentionsOf(tx, channel, written);
  const deltas = new Map<string, MentionDelta>();
  for (const post of written) {
    for (const userId of mentions.get(post.id) ?? []) {
      const d = deltas.get(userId) ?? { all: 0, root: 0, urgent: 0 };
      d.all += 1;
      if (!post.root_id) d.root += 1;
      if (mentions.urgent.has(post.id)) d.urgent += 1;
      deltas.set(userId, d);
    }
  }
  if (deltas.size > 0) {
    const ids = [...deltas.keys()];
    await tx.query(
      `UPDATE channel_members m SET mention_count = m.mention_count + d.n, mention_count_root = m.mention_count_root + d.n_root,
         urgent_mention_count = m.urgent_mention_count + d.n_urgent, last_update_at = GREATEST(m.last_update_at, $6)
       FROM unnest($2::varchar[], $3::bigint[], $4::bigint[], $5::bigint[]) AS d(user_id, n, n_root, n_urgent)
       WHERE m.channel_id = $1 AND m.user_id = d.user_id`,
      [
        channel.id,
        ids,
        ids.map((id) => deltas.get(id)!.all),
        ids.map((id) => deltas.get(id)!.root),
        ids.map((id) => deltas.get(id)!.urgent),
        now,
      ],
    );
  }
  return followThreads(tx, written, mentions, now);
}

/** Per post, the channel members it mentions (never its author); and which of the posts are urgent. */
async function mentionsOf(tx: EntityManager, channel: Channel, posts: Post[]): Promise<Map<string, string[]> & { urgent: Set<string> }> {
  const result = Object.assign(new Map<string, string[]>(), { urgent: new Set<string>() });
  const parsed = posts.map((p) => ({ post: p, ...parseMentions(p.message) }));
  const direct = channel.type === 'D';
  if (!direct && parsed.every((m) => !m.everyone && m.names.size === 0)) return result;
  const members: { user_id: string; username: string }[] = await tx.query(
    `SELECT m.user_id, lower(u.username) AS username FROM channel_members m JOIN users u ON u.id = m.user_id WHERE m.channel_id = $1`,
    [channel.id],
  );
  for (const { post, names, everyone } of parsed) {
    const ids = members.filter((m) => m.user_id !== post.user_id && (direct || everyone || names.has(m.username))).map((m) => m.user_id);
    if (ids.length) result.set(post.id, ids);
  }
  if (result.size > 0) {
    const urgent: { post_id: string }[] = await tx.query(
      `SELECT post_id FROM post_priority WHERE post_id = ANY($1) AND priority = 'urgent'`,
      [[...result.keys()]],
    );
    for (const u of urgent) result.urgent.add(u.post_id);
  }
  return result;
}

/** Thread memberships of the replies among `posts`; answers each touched thread with its followers. */
async function followThreads(tx: EntityManager, posts: Post[], mentions: Map<string, string[]>, now: number): Promise<TouchedThread[]> {
  const replies = posts.filter((p) => p.root_id);
  if (replies.length === 0) return [];
  const rootIds = [...new Set(replies.map((p) => p.root_id))];
  const rootAuthors: { id: string; user_id: string }[] = await tx.query(`SELECT id, user_id FROM posts WHERE id = ANY($1)`, [rootIds]);
  // The root's author follows from the first reply on, unless they already decided (a row exists).
  await tx.query(
    `INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated, unread_mentions)
     SELECT r.post_id, r.user_id, true, 0, $3, 0 FROM unnest($1::varchar[], $2::varchar[]) AS r(post_id, user_id)
     ON CONFLICT (post_id, user_id) DO NOTHING`,
    [rootAuthors.map((r) => r.id), rootAuthors.map((r) => r.user_id), now],
  );
  for (const reply of replies) {
    // Replying follows the thread again and reads it up to the reply.
    await tx.query(
      `INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated, unread_mentions)
       VALUES ($1, $2, true, $3, $4, 0)
       ON CONFLICT (post_id, user_id) DO UPDATE SET following = true, unread_mentions = 0,
         last_viewed = GREATEST(thread_memberships.last_viewed, EXCLUDED.last_viewed), last_updated = EXCLUDED.last_updated`,
      [reply.root_id, reply.user_id, reply.create_at, now],
    );
    const mentioned = mentions.get(reply.id) ?? [];
    if (mentioned.length === 0) continue;
    // Being mentioned follows the thread (again), with one more unread mention.
    await tx.query(
      `INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated, unread_mentions)
       SELECT $1, u, true, 0, $3, 1 FROM unnest($2::varchar[]) AS u
       ON CONFLICT (post_id, user_id) DO UPDATE SET following = true,
         unread_mentions = thread_memberships.unread_mentions + 1, last_updated = EXCLUDED.last_updated`,
      [reply.root_id, mentioned, now],
    );
  }
  const followers: { post_id: string; user_id: string }[] = await tx.query(
    `SELECT post_id, user_id FROM thread_memberships WHERE post_id = ANY($1) AND following`,
    [rootIds],
  );
  return rootIds.map((rootId) => ({ rootId, followers: followers.filter((f) => f.post_id === rootId).map((f) => f.user_id) }));
}
