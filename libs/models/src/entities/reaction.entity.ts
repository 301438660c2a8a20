import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, idKey, idRef } from './columns';

/** Mattermost `model.Reaction`; removal is a soft delete (`delete_at` > 0) so it can be synced. */
@Entity('reactions')
@Index('idx_reactions_user_id', ['user_id'])
@Index('idx_reactions_channel_id', ['channel_id'])
export class Reaction {
  @PrimaryColumn(idKey('pk_reactions'))
  post_id: string;

  @PrimaryColumn(idKey('pk_reactions'))
  user_id: string;

  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_reactions' })
  emoji_name: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  update_at: number;

  @Column(bigintMs)
  delete_at: number;

  @Column(idRef)
  remote_id: string;

  @Column(idKey())
  channel_id: string;
}
