import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { idKey, text } from './columns';
import { User } from './user.entity';

/** Mattermost's Preference: one (category, name) → value setting of a user (theme, favourites, display settings…). */
@Entity('preferences')
@Index('idx_preferences_category_name', ['category', 'name'])
export class Preference {
  @PrimaryColumn(idKey('pk_preferences'))
  @ForeignKey(() => User, { name: 'fk_preferences_user', onDelete: 'CASCADE' })
  user_id: string;

  @PrimaryColumn({ type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_preferences' })
  category: string;

  @PrimaryColumn({ type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_preferences' })
  name: string;

  @Column(text)
  value: string;
}
