import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, idKey, idRef } from './columns';

/** Mattermost `model.PostAcknowledgement`. `acknowledged_at` = 0 means the acknowledgement was removed. */
@Entity('post_acknowledgements')
@Index('idx_post_acknowledgements_channel_id', ['channel_id'])
export class PostAcknowledgement {
  @PrimaryColumn(idKey('pk_post_acknowledgements'))
  post_id: string;

  @PrimaryColumn(idKey('pk_post_acknowledgements'))
  user_id: string;

  @Column(bigintMs)
  acknowledged_at: number;

  @Column(idKey())
  channel_id: string;

  @Column(idRef)
  remote_id: string;
}
