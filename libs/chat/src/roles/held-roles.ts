import { hasPermission, Permission, ROLE_CHANNEL_ADMIN, ROLE_CHANNEL_USER, ROLE_TEAM_ADMIN, ROLE_TEAM_USER, rolesOf } from '../permissions';
import { ChannelModerationName, moderationOf } from './channel-moderations';

/**
 * What one query reads about a user's place in a team and (optionally) a channel: the memberships with their admin
 * flags, the team's override scheme (its role names, null without one) and the channel's moderations.
 */
export interface MembershipRow {
  channel_member?: boolean;
  channel_scheme_admin?: boolean | null;
  channel_roles?: string | null;
  team_member: boolean;
  team_scheme_admin: boolean | null;
  team_roles: string | null;
  default_team_user_role: string | null;
  default_team_admin_role: string | null;
  default_channel_user_role: string | null;
  default_channel_admin_role: string | null;
  withdrawn?: string[] | null;
}

/**
 * The team and channel roles a user holds, split by what a channel moderation may take away: `member` roles (the
 * team's and the channel's user roles) lose a moderated permission the channel withdraws from members, `admin` roles
 * (team admin, channel admin) never do. System roles are checked apart (`hasPermission(user.roles, …)`).
 */
export interface HeldRoles {
  member: string[];
  admin: string[];
  /** The channel's moderations: permissions withdrawn from its members. */
  withdrawn: readonly ChannelModerationName[];
}

function isAdmin(flag: boolean | null | undefined, roles: string | null | undefined, adminRole: string): boolean {
  return flag === true || rolesOf(roles ?? '').includes(adminRole);
}

/**
 * A team with an override scheme gives its members the scheme's copies of the team and channel roles in place of
 * the built-in ones; admins (the scheme admin flag, or the role stored explicitly) hold the admin role too.
 */
export function heldRoles(row: MembershipRow | undefined): HeldRoles {
  const held: HeldRoles = { member: [], admin: [], withdrawn: [] };
  if (!row) return held;
  if (row.team_member) {
    held.member.push(row.default_team_user_role ?? ROLE_TEAM_USER);
    if (isAdmin(row.team_scheme_admin, row.team_roles, ROLE_TEAM_ADMIN)) held.admin.push(row.default_team_admin_role ?? ROLE_TEAM_ADMIN);
  }
  if (row.channel_member) {
    held.member.push(row.default_channel_user_role ?? ROLE_CHANNEL_USER);
    if (isAdmin(row.channel_scheme_admin, row.channel_roles, ROLE_CHANNEL_ADMIN)) {
      held.admin.push(row.default_channel_admin_role ?? ROLE_CHANNEL_ADMIN);
    }
  }
  held.withdrawn = (row.withdrawn ?? []) as ChannelModerationName[];
  return held;
}

/**
 * Whether the held roles grant `permission`: any of them, unless the channel's moderations withdraw it from members
 * or only admin roles are asked for (`adminRolesOnly`), in which case the admin roles alone.
 */
export function heldRolesGrant(held: HeldRoles, permission: Permission, adminRolesOnly = false): boolean {
  const moderation = moderationOf(permission);
  const withdrawn = adminRolesOnly || (moderation !== undefined && held.withdrawn.includes(moderation));
  return hasPermission((withdrawn ? held.admin : [...held.member, ...held.admin]).join(' '), permission);
}
