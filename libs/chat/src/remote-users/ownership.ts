import type { EntityManager } from 'typeorm';
import { RefusedItem } from './remote-users';

/**
 * Refuses a received user whose `remote_id` names one of this cluster's own connections. A peer relaying a user it
 * got from elsewhere sends the id of ITS connection to that origin; connection ids are shared by exactly the two ends,
 * so the only id of ours a peer can hold is the one linking us, which would mean the user is ours ("sent back").
 */
export async function refuseUserOwnedElsewhere(tx: EntityManager, incoming: { remote_id?: string | null }): Promise<void> {
  if (!incoming.remote_id) return;
  const rows: unknown[] = await tx.query('SELECT 1 FROM remote_clusters WHERE remote_id = $1', [incoming.remote_id]);
  if (rows.length > 0) throw new RefusedItem('the user belongs to another cluster');
}
