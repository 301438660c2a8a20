import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bool, idKey, str } from './columns';
import { Post } from './post.entity';

/** Mattermost `model.PostPriority` (serialised as post `metadata.priority`). */
@Entity('post_priority')
@Index('idx_post_priority_channel_id', ['channel_id'])
export class PostPriority {
  @PrimaryColumn(idKey('pk_post_priority'))
  @ForeignKey(() => Post, { name: 'fk_post_priority_post', onDelete: 'CASCADE' })
  post_id: string;

  @Column(idKey())
  channel_id: string;

  /** '' | 'important' | 'urgent'. */
  @Column(str(32))
  priority: string;

  @Column(bool())
  requested_ack: boolean;

  @Column(bool())
  persistent_notifications: boolean;
}
