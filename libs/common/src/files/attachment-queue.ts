import { newId } from '@fedchat/crypto';
import type { DataSource, EntityManager } from 'typeorm';

/** A post about to travel, with the files it carries. */
export interface PostWithFiles {
  id: string;
  file_ids: string[] | null;
}

/**
 * The way into the file-transfer app's queue (`shared_channel_attachments`): owned by file-transfer, which claims and
 * sends the rows (apps/file-transfer/src/sending/transfer-queue.service.ts); the sync sender calls it with the posts
 * of a batch before it sends them. A function on the shared database rather than a bus request, so the sender learns
 * in the same step, without depending on file-transfer being up, whether the posts must wait: the rows are durable
 * and file-transfer finds them by polling if the doorbell is lost.
 *
 * Queues the live attachments of `posts` (in `channelId`) that `remoteId` does not hold yet, never files that came
 * from it. A file refused for good (abandoned) is not queued again; a file changed since it was sent goes again.
 * Returns how many files are still on their way to the remote (0: the posts may go).
 */
export async function queueMissingAttachments(
  db: DataSource | EntityManager,
  channelId: string,
  remoteId: string,
  posts: PostWithFiles[],
): Promise<number> {
  if (posts.length === 0) return 0;
  const owner = new Map<string, string>();
  for (const p of posts) for (const id of p.file_ids ?? []) owner.set(id, p.id);
  const files: { id: string; post_id: string; update_at: string; status: string | null; last_sync_at: string | null }[] = await db.query(
    `SELECT f.id, f.post_id, f.update_at, a.status, a.last_sync_at
     FROM file_infos f LEFT JOIN shared_channel_attachments a ON a.file_id = f.id AND a.remote_id = $3
     WHERE (f.id = ANY($1) OR f.post_id = ANY($2)) AND f.delete_at = 0 AND f.channel_id = $4 AND f.remote_id <> $3`,
    [[...owner.keys()], posts.map((p) => p.id), remoteId, channelId],
  );
  const missing = files.filter(
    (f) => f.status === null || f.status === 'pending' || (f.status === 'done' && Number(f.last_sync_at) < Number(f.update_at)),
  );
  const now = Date.now();
  for (const f of missing) {
    await db.query(
      `INSERT INTO shared_channel_attachments (id, file_id, remote_id, create_at, channel_id, post_id, status)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending')
       ON CONFLICT (file_id, remote_id) DO UPDATE SET status = 'pending', next_try_at = 0, failures = 0
         WHERE shared_channel_attachments.status = 'done'`,
      [newId(), f.id, remoteId, now, channelId, f.post_id || owner.get(f.id) || ''],
    );
  }
  return missing.length;
}
