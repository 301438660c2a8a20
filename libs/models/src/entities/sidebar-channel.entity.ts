import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, idKey } from './columns';
import { Channel } from './channel.entity';
import { SidebarCategory } from './sidebar-category.entity';

/**
 * A channel placed in a sidebar category by the user. Channels the user never placed are listed in the default
 * channels or direct-messages category when categories are read, so no writer of channels has to know about sidebars.
 */
@Entity('sidebar_channels')
@Index('idx_sidebar_channels_user_channel', ['user_id', 'channel_id'])
export class SidebarChannel {
  @PrimaryColumn({ type: 'varchar', length: 128, primaryKeyConstraintName: 'pk_sidebar_channels' })
  @ForeignKey(() => SidebarCategory, { name: 'fk_sidebar_channels_category', onDelete: 'CASCADE' })
  category_id: string;

  @PrimaryColumn(idKey('pk_sidebar_channels'))
  @ForeignKey(() => Channel, { name: 'fk_sidebar_channels_channel', onDelete: 'CASCADE' })
  channel_id: string;

  @Column(idKey())
  user_id: string;

  @Column(bigintMs)
  sort_order: number;
}
