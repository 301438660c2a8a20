import type { FileInfo, Post, PostAcknowledgement, PostPriority, Reaction } from '@fedchat/models';

/** What is assembled around a post on read (Mattermost keeps `metadata` out of the posts table too). */
export interface PostExtras {
  priority?: PostPriority;
  acknowledgements?: PostAcknowledgement[];
  reactions?: Reaction[];
  files?: FileInfo[];
  /** Replies in the post's thread that are not deleted. */
  replyCount?: number;
  /** Newest reply's create_at (root posts only). */
  lastReplyAt?: number;
  /** Echoed back only on creation, as Mattermost does. */
  pendingPostId?: string;
}

export function toReactionJson(r: Reaction): Record<string, unknown> {
  return {
    user_id: r.user_id,
    post_id: r.post_id,
    emoji_name: r.emoji_name,
    create_at: r.create_at,
    update_at: r.update_at,
    delete_at: r.delete_at,
    remote_id: r.remote_id,
    channel_id: r.channel_id,
  };
}

export function toAcknowledgementJson(a: PostAcknowledgement): Record<string, unknown> {
  return {
    user_id: a.user_id,
    post_id: a.post_id,
    acknowledged_at: a.acknowledged_at,
    channel_id: a.channel_id,
    ...(a.remote_id ? { remote_id: a.remote_id } : {}),
  };
}

export function toPriorityJson(p: PostPriority): Record<string, unknown> {
  return { priority: p.priority, requested_ack: p.requested_ack, persistent_notifications: p.persistent_notifications };
}

/** Mattermost's FileInfo JSON, as far as post metadata needs it (the file API owns the full representation). */
export function toPostFileJson(f: FileInfo): Record<string, unknown> {
  return {
    id: f.id,
    user_id: f.creator_id,
    post_id: f.post_id,
    channel_id: f.channel_id,
    create_at: f.create_at,
    update_at: f.update_at,
    delete_at: f.delete_at,
    name: f.name,
    extension: f.extension,
    size: f.size,
    mime_type: f.mime_type,
    width: f.width,
    height: f.height,
    has_preview_image: f.has_preview_image,
    ...(f.mini_preview ? { mini_preview: f.mini_preview.toString('base64') } : {}),
    ...(f.remote_id ? { remote_id: f.remote_id } : {}),
  };
}

/**
 * The props as clients get them: each attachment action loses its `integration` (where the server sends the click,
 * and the private context), as Mattermost strips it from every post it sends. The stored props keep it.
 */
export function withoutActionIntegrations(props: Record<string, unknown>): Record<string, unknown> {
  const attachments = props?.attachments;
  if (!Array.isArray(attachments)) return props;
  const hasIntegration = attachments.some(
    (a) =>
      Array.isArray(a?.actions) && a.actions.some((action: unknown) => action && typeof action === 'object' && 'integration' in action),
  );
  if (!hasIntegration) return props;
  return {
    ...props,
    attachments: attachments.map((a) =>
      a && typeof a === 'object' && Array.isArray(a.actions)
        ? {
            ...a,
            actions: a.actions.map((action: unknown) => {
              if (!action || typeof action !== 'object') return action;
              const { integration: _integration, ...visible } = action as Record<string, unknown>;
              return visible;
            }),
          }
        : a,
    ),
  };
}

/**
 * Mattermost's Post JSON. Deleted posts keep their ids and times but lose their content, so that clients learn of
 * the deletion without seeing what was deleted.
 */
export function toPostJson(post: Post, extras: PostExtras = {}, options: { forPeers?: boolean } = {}): Record<string, unknown> {
  const deleted = post.delete_at > 0;
  const metadata: Record<string, unknown> = { embeds: [] };
  if (!deleted) {
    if (extras.priority) metadata.priority = toPriorityJson(extras.priority);
    if (extras.acknowledgements?.length) metadata.acknowledgements = extras.acknowledgements.map(toAcknowledgementJson);
    if (extras.reactions?.length) metadata.reactions = extras.reactions.map(toReactionJson);
    if (extras.files?.length) metadata.files = extras.files.map(toPostFileJson);
  }
  return {
    id: post.id,
    create_at: post.create_at,
    update_at: post.update_at,
    edit_at: post.edit_at,
    delete_at: post.delete_at,
    is_pinned: post.is_pinned,
    user_id: post.user_id,
    channel_id: post.channel_id,
    root_id: post.root_id,
    original_id: post.original_id,
    message: deleted ? '' : post.message,
    type: post.type,
    props: deleted ? {} : options.forPeers ? post.props : withoutActionIntegrations(post.props),
    hashtags: deleted ? '' : post.hashtags,
    file_ids: deleted ? [] : post.file_ids,
    pending_post_id: extras.pendingPostId ?? '',
    reply_count: extras.replyCount ?? 0,
    last_reply_at: extras.lastReplyAt ?? 0,
    participants: null,
    ...(post.has_reactions && !deleted ? { has_reactions: true } : {}),
    metadata,
    ...(post.remote_id ? { remote_id: post.remote_id } : {}),
  };
}

/** Mattermost's PostList: `order` holds ids newest first; `posts` may hold more (e.g. the roots of listed replies). */
export interface PostListJson {
  order: string[];
  posts: Record<string, Record<string, unknown>>;
  next_post_id: string;
  prev_post_id: string;
  has_next?: boolean;
  first_inaccessible_post_time: number;
  matches?: null;
}

export function toPostList(
  order: string[],
  posts: Record<string, unknown>[],
  cursors: { next_post_id?: string; prev_post_id?: string; has_next?: boolean } = {},
): PostListJson {
  const list: PostListJson = {
    order,
    posts: Object.fromEntries(posts.map((p) => [p.id as string, p])),
    next_post_id: cursors.next_post_id ?? '',
    prev_post_id: cursors.prev_post_id ?? '',
    first_inaccessible_post_time: 0,
  };
  if (cursors.has_next !== undefined) list.has_next = cursors.has_next;
  return list;
}
