import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idPrimary, jsonArray, str } from './columns';

/** Mattermost's Role: a named set of permissions. Built-in roles are seeded by the chat core at start. */
@Entity('roles')
@Index('uq_roles_name', ['name'], { unique: true })
export class Role {
  @PrimaryColumn(idPrimary('pk_roles'))
  id: string;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column(str(128))
  display_name: string;

  @Column(str(1024))
  description: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  update_at: number;

  @Column(bigintMs)
  delete_at: number;

  /** Permission names, e.g. ["create_post", "add_reaction"]. */
  @Column(jsonArray)
  permissions: string[];

  @Column(bool())
  scheme_managed: boolean;

  @Column(bool())
  built_in: boolean;
}
