import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { newId } from '@fedchat/crypto';
import { Role, User } from '@fedchat/models';
import { EntityManager, In, Repository } from 'typeorm';
import { BUILT_IN_ROLES, hasPermission, loadRolePermissions, Permission } from '../permissions';
import { HeldRoles, heldRoles, heldRolesGrant, MembershipRow } from './held-roles';

/**
 * The `roles` table and the permission registry the checks read, kept in step: built-in roles are seeded at start
 * (roles already there, possibly edited, are left as they are) and the table is loaded into the registry. Whoever
 * changes a role calls `reload()` afterwards.
 */
@Injectable()
export class RoleCatalogue implements OnModuleInit {
  constructor(@InjectRepository(Role) private readonly roles: Repository<Role>) {}

  async onModuleInit(): Promise<void> {
    await this.seedBuiltIns();
    await this.reload();
  }

  /** Inserts the built-in roles missing from the table; concurrent starts of several apps insert each once. */
  async seedBuiltIns(): Promise<void> {
    const now = Date.now();
    await this.roles
      .createQueryBuilder()
      .insert()
      .values(
        BUILT_IN_ROLES.map((r) => ({
          id: newId(),
          name: r.name,
          display_name: r.display_name,
          description: r.description,
          create_at: now,
          update_at: now,
          delete_at: 0,
          permissions: [...r.permissions],
          scheme_managed: true,
          built_in: true,
        })),
      )
      .orIgnore()
      .execute();
  }

  async reload(): Promise<void> {
    loadRolePermissions(await this.roles.find());
  }

  /** Replaces a role's permissions and reloads the registry, so checks in this process follow at once. */
  async setPermissions(id: string, permissions: readonly string[]): Promise<Role | null> {
    const result = await this.roles.update({ id }, { permissions: [...permissions], update_at: Date.now() });
    if (!result.affected) return null;
    await this.reload();
    return this.byId(id);
  }

  /**
   * The roles a user holds in a team as an active member: the team's user role, and its admin role for a team admin;
   * the override scheme's copies for a team that has one. None for a user who is not an active member.
   */
  async teamRoles(teamId: string, userId: string): Promise<HeldRoles> {
    if (teamId === '') return heldRoles(undefined);
    const rows: MembershipRow[] = await this.roles.query(
      `SELECT true AS team_member, tm.scheme_admin AS team_scheme_admin, tm.roles AS team_roles,
              s.default_team_user_role, s.default_team_admin_role, s.default_channel_user_role, s.default_channel_admin_role
         FROM team_members tm
         JOIN teams t ON t.id = tm.team_id
         LEFT JOIN schemes s ON s.id = t.scheme_id AND s.delete_at = 0
        WHERE tm.team_id = $1 AND tm.user_id = $2 AND tm.delete_at = 0`,
      [teamId, userId],
    );
    return heldRoles(rows[0]);
  }

  /**
   * A permission the user holds system-wide, or in the team through their team roles (`teamRoles`); with
   * `adminRolesOnly`, only the team admin role counts in the team (the suite's finer lines, docs/permissions.md).
   */
  async hasTeamPermission(user: User, teamId: string, permission: Permission, adminRolesOnly = false): Promise<boolean> {
    if (hasPermission(user.roles, permission)) return true;
    return heldRolesGrant(await this.teamRoles(teamId, user.id), permission, adminRolesOnly);
  }

  /** Inserts roles (a new scheme's) inside the caller's transaction; the caller reloads after commit. */
  async insert(tx: EntityManager, roles: Role[]): Promise<void> {
    await tx.getRepository(Role).insert(roles);
  }

  async all(): Promise<Role[]> {
    return this.roles.find({ order: { name: 'ASC' } });
  }

  async byId(id: string): Promise<Role | null> {
    return this.roles.findOneBy({ id });
  }

  async byName(name: string): Promise<Role | null> {
    return this.roles.findOneBy({ name });
  }

  async byNames(names: string[]): Promise<Role[]> {
    if (names.length === 0) return [];
    return this.roles.find({ where: { name: In(names) }, order: { name: 'ASC' } });
  }
}
