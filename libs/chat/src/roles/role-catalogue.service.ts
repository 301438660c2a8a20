import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { newId } from '@fedchat/crypto';
import { Role } from '@fedchat/models';
import { In, Repository } from 'typeorm';
import { BUILT_IN_ROLES, loadRolePermissions } from '../permissions';

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
