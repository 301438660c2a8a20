/**
 * System roles and what they may do. Channel and team access are decided by membership (see each service);
 * these are the system-wide permissions, granted by role as in Mattermost's defaults.
 */
export const Permission = {
  ManageSystem: 'manage_system',
  ManageSecureConnections: 'manage_secure_connections',
  ManageSharedChannels: 'manage_shared_channels',
  CreateTeam: 'create_team',
  CreateUser: 'create_user',
  EditOtherUsers: 'edit_other_users',
  CreateUserAccessToken: 'create_user_access_token',
  ReadOtherUsersTeams: 'read_other_users_teams',
  ManageTeam: 'manage_team',
  ManageChannelMembers: 'manage_channel_members',
  CreateDirectChannel: 'create_direct_channel',
  CreateGroupChannel: 'create_group_channel',
  EditOthersPosts: 'edit_others_posts',
  DeleteOthersPosts: 'delete_others_posts',
  ReadAnyChannel: 'read_any_channel',
} as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

const SYSTEM_USER: readonly Permission[] = [Permission.CreateTeam, Permission.CreateDirectChannel, Permission.CreateGroupChannel];
const SYSTEM_ADMIN: readonly Permission[] = Object.values(Permission);

/** A Map, so that a role named like an `Object.prototype` member grants nothing (and throws nothing). */
const ROLE_PERMISSIONS = new Map<string, readonly Permission[]>([
  ['system_user', SYSTEM_USER],
  ['system_admin', SYSTEM_ADMIN],
]);

export const ROLE_SYSTEM_USER = 'system_user';
export const ROLE_SYSTEM_ADMIN = 'system_admin';

export function rolesOf(roles: string): string[] {
  return roles.split(/\s+/).filter(Boolean);
}

export function hasPermission(roles: string, permission: Permission): boolean {
  return rolesOf(roles).some((role) => ROLE_PERMISSIONS.get(role)?.includes(permission));
}

export function isSystemAdmin(roles: string): boolean {
  return rolesOf(roles).includes(ROLE_SYSTEM_ADMIN);
}
