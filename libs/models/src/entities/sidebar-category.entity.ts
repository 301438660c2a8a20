import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idKey, str } from './columns';
import { User } from './user.entity';

/**
 * A sidebar category of one user in one team (Mattermost's SidebarCategory). The defaults (favorites, channels,
 * direct_messages) have the ids `<type>_<user_id>_<team_id>`; custom ones a fresh id.
 */
@Entity('sidebar_categories')
@Index('idx_sidebar_categories_user_team', ['user_id', 'team_id'])
export class SidebarCategory {
  @PrimaryColumn({ type: 'varchar', length: 128, primaryKeyConstraintName: 'pk_sidebar_categories' })
  id: string;

  @Column(idKey())
  @ForeignKey(() => User, { name: 'fk_sidebar_categories_user', onDelete: 'CASCADE' })
  user_id: string;

  @Column(idKey())
  team_id: string;

  @Column(bigintMs)
  sort_order: number;

  /** '' (default), 'manual', 'recent' or 'alpha'. */
  @Column(str(64))
  sorting: string;

  /** 'favorites', 'channels', 'direct_messages' or 'custom'. */
  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column(str(64))
  display_name: string;

  @Column(bool())
  muted: boolean;

  @Column(bool())
  collapsed: boolean;
}
