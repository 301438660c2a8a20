import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idPrimary, idRef, str, text } from './columns';

/** Mattermost `model.Team`. Team ids are NOT global across federated servers. */
@Entity('teams')
@Index('uq_teams_name', ['name'], { unique: true })
@Index('idx_teams_invite_id', ['invite_id'])
export class Team {
  @PrimaryColumn(idPrimary('pk_teams'))
  id: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  update_at: number;

  @Column(bigintMs)
  delete_at: number;

  @Column({ type: 'varchar', length: 64 })
  display_name: string;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column(str(255))
  description: string;

  @Column(str(128))
  email: string;

  /** 'O' open, 'I' invite-only. */
  @Column({ type: 'char', length: 1 })
  type: string;

  @Column(str(64))
  company_name: string;

  @Column(text)
  allowed_domains: string;

  @Column(idRef)
  invite_id: string;

  @Column(bool())
  allow_open_invite: boolean;

  /** The team override scheme its members' roles come from; '' for the built-in team and channel roles. */
  @Column(idRef)
  scheme_id: string;
}
