import { returning } from '@fedchat/models';
import type { EntityManager } from 'typeorm';

export interface ChangeStamp {
  /** The time to record as the change's `update_at`. */
  at: number;
  /** The channel is shared: the sync engine must learn of the change. */
  shared: boolean;
}

/**
 * The `update_at` for a change to posts, reactions or acknowledgements of a channel, taken inside the change's
 * transaction. In a shared channel the stamp comes from the shared_channels row: strictly increasing, and the row
 * stays locked until the change commits, so changes of one channel commit in stamp order. A sync cursor over
 * `(update_at, id)` therefore never passes a change that is still to commit. Other channels just use the clock.
 */
export async function stampChange(tx: EntityManager, channelId: string): Promise<ChangeStamp> {
  const now = Date.now();
  const returned = await returning<{ last_change_at: string }>(
    tx,
    `UPDATE shared_channels SET last_change_at = GREATEST(last_change_at + 1, $2) WHERE channel_id = $1 RETURNING last_change_at`,
    [channelId, now],
  );
  if (returned.length === 0) return { at: now, shared: false };
  return { at: Number(returned[0].last_change_at), shared: true };
}

/** The channel fields that follow a shared channel to its remotes. */
export interface SharedChannelMetadata {
  display_name: string;
  header: string;
  purpose: string;
}

/**
 * Records, inside the transaction that changes the channel, that the metadata of a shared channel homed here changed:
 * the share record takes the new values and a new change stamp (strictly increasing), which puts every remote's pair
 * behind (`last_metadata_sync_at`) until it confirms. True when the sync engine must learn of it (ring the doorbell).
 * A copy of a channel homed elsewhere is left alone: its metadata belongs to the home, which may overwrite local edits.
 */
export async function stampMetadataChange(tx: EntityManager, channelId: string, metadata: SharedChannelMetadata): Promise<boolean> {
  const returned = await returning<{ channel_id: string }>(
    tx,
    `UPDATE shared_channels SET share_display_name = $2, share_header = $3, share_purpose = $4, update_at = $5,
       metadata_changed_at = GREATEST(metadata_changed_at + 1, $5)
     WHERE channel_id = $1 AND home RETURNING channel_id`,
    [channelId, metadata.display_name, metadata.header, metadata.purpose, Date.now()],
  );
  return returned.length > 0;
}
