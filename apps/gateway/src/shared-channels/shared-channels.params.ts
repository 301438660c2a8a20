import { hasPermission, paging, Permission } from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import { isValidId } from '@fedchat/crypto';
import type { User } from '@fedchat/models';

/** A system permission of the caller; `reportAs` names the permission in the 403 (Mattermost reports another for invites). */
export function requirePermission(user: User, permission: Permission, reportAs: Permission = permission): void {
  if (!hasPermission(user.roles, permission)) throw AppError.forbidden(reportAs);
}

/** An id from the URL or a body; 400 invalid-param when malformed. */
export function idParam(value: string | undefined, name: string): string {
  if (value === undefined || !isValidId(value)) throw AppError.invalidParam(name);
  return value;
}

/** A "true"/"false" query flag; anything but "true" is false, as Mattermost reads them. */
export function queryFlag(value: string | undefined): boolean {
  return value === 'true';
}

/** `page` ≥ 0 and `per_page` 1..200 (default 60), as the bus contracts take them. */
export function pageParams(page: string | undefined, perPage: string | undefined): { page: number; per_page: number } {
  const { skip, take } = paging(page, perPage);
  return { page: skip / take, per_page: take };
}
