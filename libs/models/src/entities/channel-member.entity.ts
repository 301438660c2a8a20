import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idKey, int64, jsonObject, str } from './columns';
import { Channel } from './channel.entity';
import { User } from './user.entity';

@Entity('channel_members')
@Index('idx_channel_members_user_id', ['user_id'])
export class ChannelMember {
  @PrimaryColumn(idKey('pk_channel_members'))
  @ForeignKey(() => Channel, { name: 'fk_channel_members_channel', onDelete: 'CASCADE' })
  channel_id: string;

  @PrimaryColumn(idKey('pk_channel_members'))
  @ForeignKey(() => User, { name: 'fk_channel_members_user', onDelete: 'CASCADE' })
  user_id: string;

  /** Explicit (non-scheme) roles, space-separated. */
  @Column(str(256))
  roles: string;

  @Column(bigintMs)
  last_viewed_at: number;

  /** The channel's total_msg_count when the member last viewed it: unread = total_msg_count - msg_count. */
  @Column(int64)
  msg_count: number;

  @Column(int64)
  mention_count: number;

  /** The channel's total_msg_count_root when the member last viewed it. */
  @Column(int64)
  msg_count_root: number;

  /** Unread mentions in root posts only (collapsed threads). */
  @Column(int64)
  mention_count_root: number;

  /** Unread mentions in urgent posts. */
  @Column(int64)
  urgent_mention_count: number;

  @Column(jsonObject)
  notify_props: Record<string, string>;

  @Column(bigintMs)
  last_update_at: number;

  @Column(bool())
  scheme_user: boolean;

  @Column(bool())
  scheme_admin: boolean;
}
