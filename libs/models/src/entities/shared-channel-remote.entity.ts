import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idKey, idPrimary, idRef, int, str, text } from './columns';
import { SharedChannel } from './shared-channel.entity';

/**
 * Mattermost `model.SharedChannelRemote` (protocol §2.3): one row per channel × remote, on both sides, holding the
 * per-remote sync cursors (§5.5). Rows go away with the shared_channels row (unshare).
 */
@Entity('shared_channel_remotes')
@Index('uq_shared_channel_remotes_channel_remote', ['channel_id', 'remote_id'], { unique: true })
@Index('idx_shared_channel_remotes_remote_id', ['remote_id'])
export class SharedChannelRemote {
  @PrimaryColumn(idPrimary('pk_shared_channel_remotes'))
  id: string;

  @Column(idKey())
  @ForeignKey(() => SharedChannel, { name: 'fk_shared_channel_remotes_shared_channel', onDelete: 'CASCADE' })
  channel_id: string;

  @Column(idRef)
  creator_id: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  update_at: number;

  @Column(bigintMs)
  delete_at: number;

  @Column(bool())
  is_invite_accepted: boolean;

  @Column(bool())
  is_invite_confirmed: boolean;

  @Column(idKey())
  remote_id: string;

  /** Update cursor: (last_post_update_at, last_post_id). */
  @Column(bigintMs)
  last_post_update_at: number;

  /** Mattermost `LastPostUpdateID`, serialised as `last_post_id`. */
  @Column(idRef)
  last_post_id: string;

  /** Create cursor: (last_post_create_at, last_post_create_id). */
  @Column(bigintMs)
  last_post_create_at: number;

  @Column(idRef)
  last_post_create_id: string;

  /** Membership sync cursor (§5.10). */
  @Column(bigintMs)
  last_members_sync_at: number;

  // ---- internal: never on the wire -------------------------------------------------------------------------------

  /**
   * The membership sync's real cursor: history rows numbered (`change_seq`) up to this were sent
   * (`last_members_sync_at` keeps the latest change time sent, for display).
   */
  @Column(bigintMs)
  last_members_sync_seq: number;

  /** Remote members may neither post nor react (enforced here on what they send, and on their side). */
  @Column(bool())
  readonly: boolean;

  /** Durable work state: when a sync replica may next claim this pair (backoff after failures). */
  @Column(bigintMs)
  @Index('idx_shared_channel_remotes_next_sync_at')
  next_sync_at: number;

  /** The replica holding the pair, until `lease_until`; one replica per pair keeps order and sends nothing twice. */
  @Column(str(64))
  lease_owner: string;

  @Column(bigintMs)
  lease_until: number;

  /** Consecutive failed attempts (invite or sync); 0 after a success. */
  @Column(int)
  failures: number;

  @Column(text)
  last_error: string;

  /** Home side: the channel metadata stamp (shared_channels.metadata_changed_at) this remote has confirmed. */
  @Column(bigintMs)
  last_metadata_sync_at: number;

  /** Last successful delivery to the remote. */
  @Column(bigintMs)
  last_sync_at: number;

  /** Since when deliveries fail (0 = healthy), and whether the channel was told. */
  @Column(bigintMs)
  interrupted_since: number;

  @Column(bool())
  interruption_notified: boolean;
}
