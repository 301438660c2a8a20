import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, idKey, idPrimary, idRef } from './columns';

/** When each user was last sent to each remote for each channel (`channel_id` '' for the global user sync). */
@Entity('shared_channel_users')
@Index('uq_shared_channel_users_user_channel_remote', ['user_id', 'channel_id', 'remote_id'], { unique: true })
@Index('idx_shared_channel_users_channel_remote', ['channel_id', 'remote_id'])
export class SharedChannelUser {
  @PrimaryColumn(idPrimary('pk_shared_channel_users'))
  id: string;

  @Column(idKey())
  user_id: string;

  @Column(idRef)
  channel_id: string;

  @Column(idKey())
  remote_id: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  last_sync_at: number;

  /** The `last_picture_update` of the user's picture last pushed to this remote (0: none yet). */
  @Column(bigintMs)
  last_picture_sync_at: number;
}
