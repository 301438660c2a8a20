import { Injectable } from '@nestjs/common';
import { RoleCatalogue } from '@fedchat/chat';
import { AppError } from '@fedchat/common';
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

/** The read side of roles (Mattermost /api/v4/roles) over the catalogue the permission checks use. */
@Injectable()
export class RolesService {
  constructor(private readonly catalogue: RoleCatalogue) {}

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
}
