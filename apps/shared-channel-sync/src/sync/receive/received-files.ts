import { EntityManager } from 'typeorm';
import { ApplyContext } from './apply-context';

/**
 * Of `fileIds`, the files a post of this message may carry: received from the sender for this channel (the file
 * transfer comes before the post) and not attached to another post. Others are left out of `file_ids`.
 */
export async function attachableFiles(tx: EntityManager, ctx: ApplyContext, fileIds: string[], postIds: string[]): Promise<string[]> {
  if (fileIds.length === 0) return [];
  const rows: { id: string }[] = await tx.query(
    `SELECT id FROM file_infos WHERE id = ANY($1) AND remote_id = $2 AND channel_id = $3 AND delete_at = 0
       AND (post_id = '' OR post_id = ANY($4))`,
    [fileIds, ctx.remoteId, ctx.channel.id, postIds],
  );
  return rows.map((r) => r.id);
}

/** Points the files of a received post at it (they arrived before it, unattached). */
export async function attachFiles(tx: EntityManager, ctx: ApplyContext, postId: string, fileIds: string[]): Promise<void> {
  if (fileIds.length === 0) return;
  await tx.query(
    `UPDATE file_infos SET post_id = $2, update_at = $3 WHERE id = ANY($1) AND remote_id = $4 AND channel_id = $5 AND post_id = ''`,
    [fileIds, postId, ctx.stamp, ctx.remoteId, ctx.channel.id],
  );
}
