import { SyncUserSchema } from '@fedchat/chat';
import { isValidId } from '@fedchat/crypto';
import { z } from 'zod';

/**
 * The `sharedchannel_sync` payload (Mattermost `SyncMsg`, protocol §2.4) as this cluster accepts it from a peer.
 * Shapes and sizes are checked here; authority (who may write what) is checked item by item by the receiver.
 * Unknown keys are ignored, as Mattermost's decoder does, so that newer peers keep working.
 */

const id = z.string().refine(isValidId, 'not a valid id');
const idOrEmpty = z.string().refine((v) => v === '' || isValidId(v), 'not a valid id');
const ms = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string().max(max);

/** Limits of one message; a peer that needs more sends more messages. */
export const SYNC_LIMITS = { users: 200, posts: 1000, reactions: 5000, acknowledgements: 5000, statuses: 1000, memberships: 1000 };

const PrioritySchema = z.object({
  priority: z.enum(['', 'important', 'urgent']).optional().default(''),
  requested_ack: z.boolean().optional().default(false),
  persistent_notifications: z.boolean().optional().default(false),
});

export const SyncPostSchema = z.object({
  id,
  create_at: ms.refine((v) => v > 0, 'create_at missing'),
  update_at: ms.optional().default(0),
  edit_at: ms.optional().default(0),
  delete_at: ms.optional().default(0),
  is_pinned: z.boolean().optional().default(false),
  user_id: id,
  channel_id: id,
  root_id: idOrEmpty.optional().default(''),
  message: z.string().optional().default(''),
  type: text(26).optional().default(''),
  props: z.record(z.unknown()).optional().default({}),
  file_ids: z.array(id).max(10).optional().nullable(),
  remote_id: idOrEmpty.optional().nullable(),
  metadata: z.object({ priority: PrioritySchema.optional().nullable() }).passthrough().optional().nullable(),
});
export type SyncPost = z.infer<typeof SyncPostSchema>;

export const SyncReactionSchema = z.object({
  user_id: id,
  post_id: id,
  emoji_name: z.string().regex(/^[a-z0-9_+-]{1,64}$/),
  create_at: ms.optional().default(0),
  update_at: ms.optional().default(0),
  delete_at: ms.optional().default(0),
  remote_id: idOrEmpty.optional().nullable(),
  channel_id: idOrEmpty.optional().default(''),
});
export type SyncReaction = z.infer<typeof SyncReactionSchema>;

export const SyncAckSchema = z.object({
  user_id: id,
  post_id: id,
  acknowledged_at: ms,
  channel_id: idOrEmpty.optional().default(''),
  remote_id: idOrEmpty.optional().nullable(),
});
export type SyncAck = z.infer<typeof SyncAckSchema>;

/**
 * fedchat extension: a shared channel's display name, header and purpose, sent by the channel's home only.
 * `update_at` is the home's change stamp; a remote applies only a stamp newer than the one it applied last.
 * Limits are Mattermost's (ChannelDisplayNameMaxRunes 64, ChannelHeaderMaxRunes 1024, ChannelPurposeMaxRunes 250).
 */
const runes = (max: number) => z.string().refine((v) => [...v].length <= max && !v.includes('\u0000'), `at most ${max} characters`);
export const ChannelMetadataSchema = z.object({
  display_name: runes(64).refine((v) => v.trim().length > 0, 'display_name missing'),
  header: runes(1024),
  purpose: runes(250),
  update_at: ms.refine((v) => v > 0, 'update_at missing'),
});
export type ChannelMetadataMsg = z.infer<typeof ChannelMetadataSchema>;

export const SyncMsgSchema = z.object({
  id: idOrEmpty.optional().default(''),
  channel_id: idOrEmpty,
  users: z
    .record(SyncUserSchema)
    .refine((m) => Object.keys(m).length <= SYNC_LIMITS.users, `at most ${SYNC_LIMITS.users} users`)
    .optional()
    .nullable(),
  posts: z.array(SyncPostSchema).max(SYNC_LIMITS.posts).optional().nullable(),
  reactions: z.array(SyncReactionSchema).max(SYNC_LIMITS.reactions).optional().nullable(),
  acknowledgements: z.array(SyncAckSchema).max(SYNC_LIMITS.acknowledgements).optional().nullable(),
  statuses: z.array(z.unknown()).max(SYNC_LIMITS.statuses).optional().nullable(),
  membership_changes: z.array(z.unknown()).max(SYNC_LIMITS.memberships).optional().nullable(),
  channel_metadata: ChannelMetadataSchema.optional().nullable(),
  mention_transforms: z
    .record(z.string().max(128))
    .refine((m) => Object.keys(m).length <= 500, 'too many mention transforms')
    .optional()
    .nullable(),
});
export type SyncMsg = z.infer<typeof SyncMsgSchema>;

/** Mattermost `SyncResponse` (§2.5): what the receiver took and which items it refused. */
export interface SyncResponse {
  users_last_update_at: number;
  user_errors: string[];
  users_syncd: string[];
  posts_last_update_at: number;
  post_errors: string[];
  reactions_last_update_at: number;
  reaction_errors: string[];
  acknowledgements_last_update_at: number;
  acknowledgement_errors: string[];
  status_errors: string[];
  /** Only when some membership change was refused (omitempty, as Mattermost). */
  membership_errors?: string[];
}

export function emptySyncResponse(): SyncResponse {
  return {
    users_last_update_at: 0,
    user_errors: [],
    users_syncd: [],
    posts_last_update_at: 0,
    post_errors: [],
    reactions_last_update_at: 0,
    reaction_errors: [],
    acknowledgements_last_update_at: 0,
    acknowledgement_errors: [],
    status_errors: [],
  };
}

/** The receiver's answer when the channel is not (or no longer) shared with the sender; senders match this text. */
export const NOT_SHARED_ERROR = 'channel is no longer shared';

/** The receiver's answer to channel metadata from a peer that is not the channel's home. */
export const NOT_HOME_ERROR = 'channel metadata may only come from the channel home';

/** The first problem of a failed parse, for the peer's `err`. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  return `invalid sync message: ${issue.path.join('.') || '(root)'}: ${issue.message}`;
}
