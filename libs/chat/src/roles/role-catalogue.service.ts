import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { newId } from '@fedchat/crypto';
import { Role, User } from '@fedchat/models';
import { EntityManager, In, Repository } from 'typeorm';
import { BUILT_IN_ROLES, hasPermission, loadRolePermissions, Permission } from '../permissions';

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
   * The roles a member holds in a team through the team's override scheme (its user role, and its admin role for a
   * `scheme_admin` member); '' for a team without a scheme or a user who is not an active member.
   */
  async teamSchemeRoles(teamId: string, userId: string): Promise<string> {
    const rows: Array<{ user_role: string; admin_role: string; scheme_admin: boolean }> = await this.roles.query(
      `SELECT s.default_team_user_role AS user_role, s.default_team_admin_role AS admin_role, tm.scheme_admin
         FROM teams t
         JOIN schemes s ON s.id = t.scheme_id AND s.delete_at = 0
         JOIN team_members tm ON tm.team_id = t.id AND tm.user_id = $2 AND tm.delete_at = 0
        WHERE t.id = $1`,
      [teamId, userId],
    );
    if (rows.length === 0) return '';
    return rows[0].scheme_admin ? `${rows[0].user_role} ${rows[0].admin_role}` : rows[0].user_role;
  }

  /** A permission the user holds system-wide, or in the team through the team's override scheme. */
  async hasTeamPermission(user: User, teamId: string, permission: Permission): Promise<boolean> {
    if (hasPermission(user.roles, permission)) return true;
    return teamId !== '' && hasPermission(await this.teamSchemeRoles(teamId, user.id), permission);
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
