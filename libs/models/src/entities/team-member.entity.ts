import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idKey, str } from './columns';
import { Team } from './team.entity';
import { User } from './user.entity';

@Entity('team_members')
@Index('idx_team_members_user_id', ['user_id'])
export class TeamMember {
  @PrimaryColumn(idKey('pk_team_members'))
  @ForeignKey(() => Team, { name: 'fk_team_members_team', onDelete: 'CASCADE' })
  team_id: string;

  @PrimaryColumn(idKey('pk_team_members'))
  @ForeignKey(() => User, { name: 'fk_team_members_user', onDelete: 'CASCADE' })
  user_id: string;

  /** Explicit (non-scheme) roles, space-separated. */
  @Column(str(256))
  roles: string;

  /** > 0 when the user left / was removed (soft delete, as in Mattermost). */
  @Column(bigintMs)
  delete_at: number;

  @Column(bool())
  scheme_user: boolean;

  @Column(bool())
  scheme_admin: boolean;

  @Column(bigintMs)
  create_at: number;
}
