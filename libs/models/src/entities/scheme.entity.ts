import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, idPrimary, str } from './columns';

/** Mattermost's Scheme (team scope): the names of the roles a team using it gives its members. */
@Entity('schemes')
@Index('uq_schemes_name', ['name'], { unique: true })
export class Scheme {
  @PrimaryColumn(idPrimary('pk_schemes'))
  id: string;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column(str(128))
  display_name: string;

  @Column(str(1024))
  description: string;

  /** Only `team` schemes exist here. */
  @Column({ type: 'varchar', length: 32 })
  scope: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  update_at: number;

  @Column(bigintMs)
  delete_at: number;

  @Column(str(64))
  default_team_admin_role: string;

  @Column(str(64))
  default_team_user_role: string;

  @Column(str(64))
  default_channel_admin_role: string;

  @Column(str(64))
  default_channel_user_role: string;
}
