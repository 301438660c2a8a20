import { Injectable } from '@nestjs/common';
import { Permission, ROLE_SYSTEM_ADMIN, RoleCatalogue } from '@fedchat/chat';
import { AppError, Bus } from '@fedchat/common';
import { RolesChanged } from '@fedchat/contracts';
import { isValidId } from '@fedchat/crypto';
import type { Role } from '@fedchat/models';
import { invalidUrlParam } from '../http/user-id-param';

/** Mattermost's RoleNameMaxLength. */
const ROLE_NAME_MAX_LENGTH = 64;
/** Names asked for in one POST /roles/names: more than any user holds, few enough to bound the query. */
const MAX_NAMES_PER_REQUEST = 200;

/** Mattermost's IsValidRoleName: 1..64 characters of a-z, 0-9 and underscore. */
export function isValidRoleName(name: string): boolean {
  return name.length > 0 && name.length <= ROLE_NAME_MAX_LENGTH && /^[a-z0-9_]+$/.test(name);
}

function roleNotFound(): AppError {
  return new AppError('app.role.get.app_error', 'Unable to find the role.', 404);
}

/** Every permission the suite knows; a role may grant only these. */
const KNOWN_PERMISSIONS: ReadonlySet<string> = new Set(Object.values(Permission));
/** More permission names than the suite knows, few enough to bound the body. */
const MAX_PERMISSIONS_PER_PATCH = 500;

/** Roles (Mattermost /api/v4/roles) over the catalogue the permission checks use. */
@Injectable()
export class RolesService {
  constructor(
    private readonly catalogue: RoleCatalogue,
    private readonly bus: Bus,
  ) {}

  all(): Promise<Role[]> {
    return this.catalogue.all();
  }

  async byId(id: string): Promise<Role> {
    if (!isValidId(id)) throw invalidUrlParam('role_id');
    const role = await this.catalogue.byId(id);
    if (!role) throw roleNotFound();
    return role;
  }

  async byName(name: string): Promise<Role> {
    if (!isValidRoleName(name)) throw invalidUrlParam('role_name');
    const role = await this.catalogue.byName(name);
    if (!role) throw roleNotFound();
    return role;
  }

  /** As Mattermost: blank names are skipped, a malformed one is refused, unknown ones are left out of the answer. */
  async byNames(body: unknown): Promise<Role[]> {
    if (!Array.isArray(body) || body.length === 0 || body.length > MAX_NAMES_PER_REQUEST) throw AppError.invalidParam('rolenames');
    const names = new Set<string>();
    for (const name of body) {
      if (typeof name !== 'string') throw AppError.invalidParam('rolenames');
      if (name.trim() === '') continue;
      if (!isValidRoleName(name)) throw AppError.invalidParam('rolename');
      names.add(name);
    }
    return this.catalogue.byNames([...names]);
  }

  /**
   * Mattermost's `PATCH /roles/{id}/patch` (the guard has checked manage_system): replaces the role's permissions,
   * built-in roles included (granting `manage_shared_channels` to `system_user` is the point). Unknown permission names
   * are refused, and so is taking `manage_system` from `system_admin` (nobody could administer the suite any more).
   * Every other process reloads the roles on `chat.roles.changed`.
   */
  async patch(id: string, body: unknown): Promise<Role> {
    const role = await this.byId(id);
    const permissions = permissionsOf(body);
    if (role.name === ROLE_SYSTEM_ADMIN && !permissions.includes(Permission.ManageSystem)) {
      throw AppError.badRequest(
        'api.roles.patch_roles.system_admin.app_error',
        `${ROLE_SYSTEM_ADMIN} must keep ${Permission.ManageSystem}.`,
      );
    }
    const patched = await this.catalogue.setPermissions(role.id, permissions);
    if (!patched) throw roleNotFound();
    this.bus.emit(RolesChanged, { role_id: patched.id });
    return patched;
  }
}

/** The `permissions` of a role patch: a list of known permission names, duplicates dropped. */
function permissionsOf(body: unknown): string[] {
  const list = (body as { permissions?: unknown } | null)?.permissions;
  if (!Array.isArray(list) || list.length > MAX_PERMISSIONS_PER_PATCH || list.some((p) => typeof p !== 'string')) {
    throw AppError.invalidParam('permissions');
  }
  const unknown = (list as string[]).filter((p) => !KNOWN_PERMISSIONS.has(p));
  if (unknown.length > 0) {
    throw AppError.badRequest(
      'api.roles.patch_roles.unknown_permission.app_error',
      `Unknown permissions: ${unknown.slice(0, 10).join(', ')}.`,
    );
  }
  return [...new Set(list as string[])];
}
