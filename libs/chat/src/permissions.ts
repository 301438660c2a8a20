/**
 * Roles and what they may do: the one catalogue both the permission checks (`hasPermission`, the gateway's
 * `@RequirePermission`) and the roles API (`/api/v4/roles`) read, so that what Mattermost's apps are told is what the
 * suite enforces. Built-in roles start as defined here; the chat core seeds them into the `roles` table and loads the
 * table back into this registry at start (`RoleCatalogue`), so that a role edited in the table is what is enforced.
 */
export const Permission = {
  // System-wide: checked against the user's system roles (`hasPermission(user.roles, …)`).
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
  JoinPublicTeams: 'join_public_teams',
  // Team-wide: what a team member may do in their team (enforced through team membership in the team and channel services).
  ViewTeam: 'view_team',
  ListTeamChannels: 'list_team_channels',
  JoinPublicChannels: 'join_public_channels',
  ReadPublicChannel: 'read_public_channel',
  CreatePublicChannel: 'create_public_channel',
  CreatePrivateChannel: 'create_private_channel',
  AddUserToTeam: 'add_user_to_team',
  RemoveUserFromTeam: 'remove_user_from_team',
  // Channel-wide: what a channel member may do in the channel (enforced through channel membership and authorship).
  ReadChannel: 'read_channel',
  ReadChannelContent: 'read_channel_content',
  CreatePost: 'create_post',
  EditPost: 'edit_post',
  DeletePost: 'delete_post',
  AddReaction: 'add_reaction',
  RemoveReaction: 'remove_reaction',
  UploadFile: 'upload_file',
  UseChannelMentions: 'use_channel_mentions',
  UseSlashCommands: 'use_slash_commands',
  ManagePublicChannelMembers: 'manage_public_channel_members',
  ManagePrivateChannelMembers: 'manage_private_channel_members',
  ManagePublicChannelProperties: 'manage_public_channel_properties',
  ManagePrivateChannelProperties: 'manage_private_channel_properties',
  DeletePublicChannel: 'delete_public_channel',
  DeletePrivateChannel: 'delete_private_channel',
} as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

export const ROLE_SYSTEM_USER = 'system_user';
export const ROLE_SYSTEM_ADMIN = 'system_admin';
export const ROLE_TEAM_USER = 'team_user';
export const ROLE_TEAM_ADMIN = 'team_admin';
export const ROLE_CHANNEL_USER = 'channel_user';
export const ROLE_CHANNEL_ADMIN = 'channel_admin';

/** A role the suite has from the start; `display_name` and `description` are Mattermost's i18n keys, as its apps expect. */
export interface BuiltInRole {
  name: string;
  display_name: string;
  description: string;
  permissions: readonly Permission[];
}

const CHANNEL_USER: readonly Permission[] = [
  Permission.ReadChannel,
  Permission.ReadChannelContent,
  Permission.CreatePost,
  Permission.EditPost,
  Permission.DeletePost,
  Permission.AddReaction,
  Permission.RemoveReaction,
  Permission.UploadFile,
  Permission.UseChannelMentions,
  Permission.UseSlashCommands,
  // Any member may add people to the channel; removing others takes a channel or team admin (docs/permissions.md).
  Permission.ManagePublicChannelMembers,
  Permission.ManagePrivateChannelMembers,
];

/** Renaming and archiving a channel take its admin (or a team admin); any member may change header and purpose. */
const CHANNEL_MANAGEMENT: readonly Permission[] = [
  Permission.ManagePublicChannelProperties,
  Permission.ManagePrivateChannelProperties,
  Permission.DeletePublicChannel,
  Permission.DeletePrivateChannel,
];

const TEAM_USER: readonly Permission[] = [
  Permission.ViewTeam,
  Permission.ListTeamChannels,
  Permission.JoinPublicChannels,
  Permission.ReadPublicChannel,
  Permission.CreatePublicChannel,
  Permission.CreatePrivateChannel,
];

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  {
    name: ROLE_SYSTEM_ADMIN,
    display_name: 'authentication.roles.global_admin.name',
    description: 'authentication.roles.global_admin.description',
    permissions: Object.values(Permission),
  },
  {
    name: ROLE_SYSTEM_USER,
    display_name: 'authentication.roles.global_user.name',
    description: 'authentication.roles.global_user.description',
    permissions: [Permission.CreateTeam, Permission.JoinPublicTeams, Permission.CreateDirectChannel, Permission.CreateGroupChannel],
  },
  {
    name: ROLE_TEAM_ADMIN,
    display_name: 'authentication.roles.team_admin.name',
    description: 'authentication.roles.team_admin.description',
    permissions: [...TEAM_USER, Permission.AddUserToTeam, Permission.RemoveUserFromTeam, ...CHANNEL_USER, ...CHANNEL_MANAGEMENT],
  },
  {
    name: ROLE_TEAM_USER,
    display_name: 'authentication.roles.team_user.name',
    description: 'authentication.roles.team_user.description',
    permissions: TEAM_USER,
  },
  {
    name: ROLE_CHANNEL_ADMIN,
    display_name: 'authentication.roles.channel_admin.name',
    description: 'authentication.roles.channel_admin.description',
    permissions: [...CHANNEL_USER, ...CHANNEL_MANAGEMENT],
  },
  {
    name: ROLE_CHANNEL_USER,
    display_name: 'authentication.roles.channel_user.name',
    description: 'authentication.roles.channel_user.description',
    permissions: CHANNEL_USER,
  },
];

/** Role name → the permissions it grants. A Map, so that a role named like an `Object.prototype` member grants nothing. */
let grants = new Map<string, ReadonlySet<string>>(BUILT_IN_ROLES.map((r) => [r.name, new Set<string>(r.permissions)]));
/** `rolesGranting` per permission, for the current `grants`. */
const granting = new Map<Permission, readonly string[]>();

/**
 * Replaces what each role grants with what the `roles` table says (deleted roles grant nothing). Called by the chat
 * core at start and whenever a role changes, so checks and the roles API agree.
 */
export function loadRolePermissions(roles: Iterable<{ name: string; permissions: readonly string[]; delete_at: number }>): void {
  const next = new Map<string, ReadonlySet<string>>();
  for (const role of roles) if (role.delete_at === 0) next.set(role.name, new Set(role.permissions));
  grants = next;
  granting.clear();
}

/**
 * The names of the roles that grant `permission`, for checks made in SQL (`role = ANY(...)`). A name with whitespace
 * is left out: `hasPermission` would read it as several roles, so SQL could grant what it does not.
 */
export function rolesGranting(permission: Permission): readonly string[] {
  let names = granting.get(permission);
  if (!names) {
    names = [...grants].filter(([name, permissions]) => permissions.has(permission) && /^\S+$/.test(name)).map(([name]) => name);
    granting.set(permission, names);
  }
  return names;
}

export function rolesOf(roles: string): string[] {
  return roles.split(/\s+/).filter(Boolean);
}

export function hasPermission(roles: string, permission: Permission): boolean {
  return rolesOf(roles).some((role) => grants.get(role)?.has(permission) ?? false);
}

export function isSystemAdmin(roles: string): boolean {
  return rolesOf(roles).includes(ROLE_SYSTEM_ADMIN);
}
