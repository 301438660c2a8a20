import { AppError } from '@fedchat/common';
import { isValidId } from '@fedchat/crypto';
import { POST_MAX_FILES, POST_MESSAGE_MAX_RUNES } from './post-limits';

/**
 * Mattermost's rules for posts and reactions that need nothing but their input: what a valid post is, how hashtags
 * and mentions are read from a message. PostsService applies them; the sync receiver shares the hashtags.
 */

/** Mattermost's limit on the serialised props of a post. */
const PROPS_MAX_CHARS = 800_000;
export const EMOJI_NAME = /^[a-z0-9_+-]{1,64}$/;

export interface PriorityInput {
  priority: '' | 'important' | 'urgent';
  requested_ack?: boolean;
  persistent_notifications?: boolean;
}

export function invalidRoot(): AppError {
  return AppError.badRequest('api.post.create_post.root_id.app_error', 'Invalid RootId parameter.');
}

export function checkMessage(message: string, fileIds: string[]): void {
  if ([...message].length > POST_MESSAGE_MAX_RUNES) {
    throw AppError.badRequest('model.post.is_valid.msg.app_error', `Message is longer than ${POST_MESSAGE_MAX_RUNES} characters.`);
  }
  if (message.includes('\u0000')) throw AppError.badRequest('model.post.is_valid.msg.app_error', 'Message contains a NUL character.');
  if (message.trim() === '' && fileIds.length === 0) {
    throw AppError.badRequest('api.post.create_post.message_and_files_empty.app_error', 'A post needs a message or files.');
  }
}

export function checkFileIds(fileIds: string[]): string[] {
  if (fileIds.length > POST_MAX_FILES || !fileIds.every(isValidId)) throw AppError.invalidParam('file_ids');
  const unique = [...new Set(fileIds)];
  if (unique.length !== fileIds.length) throw AppError.invalidParam('file_ids');
  return unique;
}

export function checkProps(props: Record<string, unknown>): void {
  const json = JSON.stringify(props);
  // PostgreSQL's jsonb cannot hold U+0000.
  if (json.length > PROPS_MAX_CHARS || json.includes('\\u0000')) {
    throw AppError.badRequest('model.post.is_valid.props.app_error', 'Post props are too large.');
  }
}

export function checkEmojiName(name: string): void {
  if (!EMOJI_NAME.test(name)) throw AppError.badRequest('model.reaction.is_valid.emoji_name.app_error', 'Invalid emoji name.');
}

/** What to store in post_priority, or undefined when nothing is set. Priority is for root posts only. */
export function priorityToStore(
  p: PriorityInput | undefined,
  rootId: string,
): { priority: string; requested_ack: boolean; persistent_notifications: boolean } | undefined {
  if (!p) return undefined;
  const row = {
    priority: p.priority,
    requested_ack: p.requested_ack ?? false,
    persistent_notifications: p.persistent_notifications ?? false,
  };
  if (!row.priority && !row.requested_ack && !row.persistent_notifications) return undefined;
  if (rootId)
    throw AppError.badRequest('api.post.create_post.post_priority.priority_post_not_allowed_for_reply', 'Replies cannot have a priority.');
  if (row.persistent_notifications && row.priority !== 'urgent') {
    throw AppError.badRequest(
      'api.post.create_post.post_priority.persistent_notifications_not_urgent',
      'Persistent notifications need urgent priority.',
    );
  }
  return row;
}

/** Mattermost's hashtags: space-separated `#tag` words (a letter first, then letters, digits, '.', '_', '-'). */
export function parseHashtags(message: string): string {
  const tags = new Set<string>();
  for (const word of message.split(/\s+/)) {
    const tag = word.replace(/^[^#\p{L}\p{N}]+/u, '').replace(/[^\p{L}\p{N}_]+$/u, '');
    if (/^#\p{L}[\p{L}\p{N}._-]+$/u.test(tag)) tags.add(tag);
  }
  let out = '';
  for (const tag of tags) {
    if (out.length + tag.length + 1 > 1000) break;
    out = out ? `${out} ${tag}` : tag;
  }
  return out;
}

/** Who a message mentions by name: `@username` words (lower case, trailing '.', '_', '-' dropped), and whether it
 * mentions everyone (`@channel`, `@all`, `@here`). */
export function parseMentions(message: string): { names: Set<string>; everyone: boolean } {
  const names = new Set<string>();
  let everyone = false;
  for (const m of message.matchAll(/(?:^|[^\w@])@([a-z0-9][a-z0-9._-]*)/gi)) {
    const name = m[1].toLowerCase().replace(/[._-]+$/, '');
    if (name === 'channel' || name === 'all' || name === 'here') everyone = true;
    else names.add(name);
  }
  return { names, everyone };
}
