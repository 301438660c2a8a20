import { isValidId } from '@fedchat/crypto';
import type { UploadSession } from '@fedchat/models';
import { z } from 'zod';

/**
 * Mattermost's UploadSession on the wire (protocol §2.7), the payload of `sharedchannel_upload` and of its reply,
 * plus our optional `content_digest` (lower-case hex SHA-256 of the whole file; Mattermost senders omit it).
 * `path` is never serialised. Unknown keys are ignored, as Mattermost's decoder does.
 */
const id = z.string().refine(isValidId, 'not a valid id');

export const UploadSessionWireSchema = z.object({
  id: z.string().optional().default(''),
  type: z.string().max(32),
  create_at: z.number().int().min(0).optional().default(0),
  user_id: id,
  channel_id: id,
  filename: z.string().min(1).max(4096),
  file_size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  file_offset: z.number().int().min(0).optional().default(0),
  remote_id: z.string().optional().default(''),
  req_file_id: id,
  content_digest: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected lower-case hex SHA-256')
    .optional(),
});
export type UploadSessionWire = z.infer<typeof UploadSessionWireSchema>;

/** The session as a peer sees it; `content_digest` only when the sender gave one. */
export function toUploadSessionJson(s: UploadSession): Record<string, unknown> {
  return {
    id: s.id,
    type: s.type,
    create_at: s.create_at,
    user_id: s.user_id,
    channel_id: s.channel_id,
    filename: s.filename,
    file_size: s.file_size,
    file_offset: s.file_offset,
    remote_id: s.remote_id,
    req_file_id: s.req_file_id,
    ...(s.content_digest ? { content_digest: s.content_digest } : {}),
  };
}
