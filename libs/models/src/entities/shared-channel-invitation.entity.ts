import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, idKey, idPrimary, idRef, jsonObject, str, text } from './columns';

export type InvitationStatus = 'pending' | 'accepted' | 'rejected' | 'failed';

/**
 * A channel invitation received from a connection that is in review mode, kept until an admin accepts it (into a
 * chosen team) or declines it. Shaped like Mattermost's newest `SharedChannelInvitation` (direction 'received').
 */
@Entity('shared_channel_invitations')
@Index('uq_shared_channel_invitations_channel_remote', ['channel_id', 'remote_id'], { unique: true })
export class SharedChannelInvitation {
  @PrimaryColumn(idPrimary('pk_shared_channel_invitations'))
  id: string;

  @Column(idKey())
  channel_id: string;

  @Column(idKey())
  remote_id: string;

  @Column({ ...str(16), default: 'pending' })
  status: InvitationStatus;

  @Column(text)
  error: string;

  /** The team chosen at acceptance. */
  @Column(idRef)
  team_id: string;

  @Column(idRef)
  decided_by: string;

  /** The `sharedchannel_invite` payload as received (validated). */
  @Column(jsonObject)
  invite: Record<string, unknown>;

  /**
   * When the end of this share archived our copy of the channel (removal mode `archive`; 0: it did not). A re-invite
   * restores the copy only if it is still archived from then.
   */
  @Column(bigintMs)
  copy_archived_at: number;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  update_at: number;
}
