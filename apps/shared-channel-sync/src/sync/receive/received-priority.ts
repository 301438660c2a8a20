import { EntityManager } from 'typeorm';
import { SyncPost } from '../sync-message';

/** Whether `incoming` carries another priority than the one stored for the post. */
export async function priorityChanged(tx: EntityManager, postId: string, incoming: SyncPost): Promise<boolean> {
  const rows: { priority: string; requested_ack: boolean; persistent_notifications: boolean }[] = await tx.query(
    'SELECT priority, requested_ack, persistent_notifications FROM post_priority WHERE post_id = $1',
    [postId],
  );
  const want = incoming.metadata?.priority;
  const has = rows[0];
  if (!want || (!want.priority && !want.requested_ack && !want.persistent_notifications)) return has !== undefined;
  return (
    !has ||
    has.priority !== want.priority ||
    has.requested_ack !== want.requested_ack ||
    has.persistent_notifications !== want.persistent_notifications
  );
}

/** Priority travels in `metadata.priority` and replaces what is stored (Mattermost replaces it wholesale). */
export async function savePriority(tx: EntityManager, postId: string, incoming: SyncPost): Promise<void> {
  const p = incoming.metadata?.priority;
  await tx.query('DELETE FROM post_priority WHERE post_id = $1', [postId]);
  if (!p || incoming.root_id || (!p.priority && !p.requested_ack && !p.persistent_notifications)) return;
  await tx.query(
    `INSERT INTO post_priority (post_id, channel_id, priority, requested_ack, persistent_notifications) VALUES ($1, $2, $3, $4, $5)`,
    [postId, incoming.channel_id, p.priority, p.requested_ack, p.persistent_notifications],
  );
}
