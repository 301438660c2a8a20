import { isValidId } from '@fedchat/crypto';
import { z } from 'zod';

const id = z.string().refine(isValidId, 'not a valid id');
const idOrEmpty = z.string().refine((v) => v === '' || isValidId(v), 'not a valid id');
const ms = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string().max(max);
const stringMap = z.record(z.string().max(1024)).refine((m) => Object.keys(m).length <= 100, 'too many keys');

/**
 * A user as this cluster accepts it from a peer (Mattermost `model.User` JSON, protocol §2.8), in `users` of
 * `sharedchannel_sync` and `sharedchannel_global_user_sync` and in `direct_participants` of an invite. Fields that
 * never apply to a synthetic user (password, auth data, roles, notify props) are ignored, whatever the peer sends.
 */
export const SyncUserSchema = z.object({
  id,
  create_at: ms.optional().default(0),
  update_at: ms.optional().default(0),
  delete_at: ms.optional().default(0),
  username: text(128).min(1),
  email: text(256).optional().default(''),
  nickname: text(64).optional().default(''),
  first_name: text(64).optional().default(''),
  last_name: text(64).optional().default(''),
  position: text(128).optional().default(''),
  locale: text(5).optional().default('en'),
  timezone: stringMap.optional().default({}),
  props: stringMap.optional().default({}),
  last_picture_update: ms.optional().default(0),
  remote_id: idOrEmpty.optional().nullable(),
  is_bot: z.boolean().optional().default(false),
});
export type SyncUser = z.infer<typeof SyncUserSchema>;
