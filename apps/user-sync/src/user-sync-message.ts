import { SyncUserSchema } from '@fedchat/chat';
import { isValidId } from '@fedchat/crypto';
import { z } from 'zod';

/**
 * What the user-sync app accepts from peers (protocol §2.4, §4.3): the `sharedchannel_global_user_sync` payload, and
 * the statuses and membership changes of `sharedchannel_sync`, which the shared-channel-sync receiver forwards
 * unvalidated so that each item is judged here, alone.
 */

const id = z.string().refine(isValidId, 'not a valid id');
const idOrEmpty = z.string().refine((v) => v === '' || isValidId(v), 'not a valid id');
const ms = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Users per global user sync message (Mattermost clamps GlobalUserSyncBatchSize to 200). */
export const GLOBAL_SYNC_MAX_USERS = 200;

const nonEmpty = (v: unknown) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);

export const GlobalUserSyncMsgSchema = z
  .object({
    id: idOrEmpty.optional().default(''),
    channel_id: z.literal('', { errorMap: () => ({ message: 'must be empty for a global user sync' }) }),
    users: z
      .record(SyncUserSchema)
      .refine((m) => Object.keys(m).length <= GLOBAL_SYNC_MAX_USERS, `at most ${GLOBAL_SYNC_MAX_USERS} users`)
      .optional()
      .nullable(),
    posts: z.unknown().optional(),
    reactions: z.unknown().optional(),
    statuses: z.unknown().optional(),
    acknowledgements: z.unknown().optional(),
    membership_changes: z.unknown().optional(),
  })
  .refine(
    (m) => ![m.posts, m.reactions, m.statuses, m.acknowledgements, m.membership_changes].some(nonEmpty),
    'a global user sync carries users only',
  );

/** Mattermost `model.Status` (§2.8); `active_channel` is ignored. */
export const SyncStatusSchema = z.object({
  user_id: id,
  status: z.enum(['online', 'away', 'dnd', 'offline']),
  manual: z.boolean().optional().default(false),
  last_activity_at: ms.optional().default(0),
  dnd_end_time: ms.optional().default(0),
});
export type SyncStatus = z.infer<typeof SyncStatusSchema>;

/** Mattermost `MembershipChangeMsg` (§2.4). */
export const MembershipChangeSchema = z.object({
  channel_id: id,
  user_id: id,
  is_add: z.boolean(),
  remote_id: idOrEmpty.optional().nullable(),
  change_time: ms.optional().default(0),
});
export type MembershipChange = z.infer<typeof MembershipChangeSchema>;

/** The user id an item names, for the error lists, or '' when it names none. */
export function itemUserId(item: Record<string, unknown>): string {
  return typeof item.user_id === 'string' ? item.user_id.slice(0, 26) : '';
}

/** The first problem of a failed parse, for the peer's `err` and the log. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}
