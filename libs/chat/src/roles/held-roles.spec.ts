import { BUILT_IN_ROLES, loadRolePermissions, Permission } from '../permissions';
import { moderatedPermission, moderationOf } from './channel-moderations';
import { heldRoles, heldRolesGrant, MembershipRow } from './held-roles';

afterEach(() => loadRolePermissions(BUILT_IN_ROLES.map((r) => ({ ...r, delete_at: 0 }))));

const NO_SCHEME = {
  default_team_user_role: null,
  default_team_admin_role: null,
  default_channel_user_role: null,
  default_channel_admin_role: null,
};

function row(fields: Partial<MembershipRow>): MembershipRow {
  return { team_member: false, team_scheme_admin: null, team_roles: null, ...NO_SCHEME, ...fields };
}

describe('heldRoles', () => {
  it('gives a plain member the built-in user roles, and nothing to a stranger', () => {
    expect(heldRoles(undefined)).toEqual({ member: [], admin: [], withdrawn: [] });
    const held = heldRoles(
      row({ team_member: true, team_scheme_admin: false, team_roles: 'team_user', channel_member: true, channel_roles: 'channel_user' }),
    );
    expect(held).toEqual({ member: ['team_user', 'channel_user'], admin: [], withdrawn: [] });
  });

  it('counts the admin flag or the stored admin role, and the team scheme replaces the built-in names', () => {
    const flags = heldRoles(
      row({
        team_member: true,
        team_scheme_admin: true,
        team_roles: 'team_user',
        channel_member: true,
        channel_roles: 'channel_user channel_admin',
      }),
    );
    expect(flags.admin).toEqual(['team_admin', 'channel_admin']);
    const scheme = heldRoles(
      row({
        team_member: true,
        team_scheme_admin: true,
        channel_member: true,
        channel_scheme_admin: false,
        default_team_user_role: 'tu_x',
        default_team_admin_role: 'ta_x',
        default_channel_user_role: 'cu_x',
        default_channel_admin_role: 'ca_x',
      }),
    );
    expect(scheme).toMatchObject({ member: ['tu_x', 'cu_x'], admin: ['ta_x'] });
  });
});

describe('heldRolesGrant', () => {
  const member = heldRoles(row({ team_member: true, channel_member: true }));

  it('follows what the roles grant, as loaded from the table', () => {
    expect(heldRolesGrant(member, Permission.CreatePost)).toBe(true);
    expect(heldRolesGrant(member, Permission.ManagePublicChannelProperties)).toBe(false);
    loadRolePermissions([{ name: 'channel_user', permissions: [Permission.ManagePublicChannelProperties], delete_at: 0 }]);
    expect(heldRolesGrant(member, Permission.CreatePost)).toBe(false);
    expect(heldRolesGrant(member, Permission.ManagePublicChannelProperties)).toBe(true);
  });

  it("a channel's moderation withdraws its permissions from member roles only", () => {
    const moderated = { ...member, withdrawn: ['create_reactions' as const] };
    expect(heldRolesGrant(moderated, Permission.AddReaction)).toBe(false);
    expect(heldRolesGrant(moderated, Permission.RemoveReaction)).toBe(false);
    expect(heldRolesGrant(moderated, Permission.CreatePost)).toBe(true);
    const admin = { ...moderated, admin: ['channel_admin'] };
    expect(heldRolesGrant(admin, Permission.AddReaction)).toBe(true);
  });

  it('adminRolesOnly leaves the member roles out', () => {
    expect(heldRolesGrant(member, Permission.ManagePublicChannelMembers)).toBe(true);
    expect(heldRolesGrant(member, Permission.ManagePublicChannelMembers, true)).toBe(false);
    expect(heldRolesGrant({ ...member, admin: ['team_admin'] }, Permission.ManagePublicChannelMembers, true)).toBe(true);
  });
});

describe('channel moderations', () => {
  it("map Mattermost's names to the permissions they cover", () => {
    expect(moderationOf(Permission.ManagePrivateChannelMembers)).toBe('manage_members');
    expect(moderationOf(Permission.EditPost)).toBeUndefined();
    expect(moderatedPermission('manage_members', 'P')).toBe(Permission.ManagePrivateChannelMembers);
    expect(moderatedPermission('manage_members', 'O')).toBe(Permission.ManagePublicChannelMembers);
    expect(moderatedPermission('create_reactions', 'O')).toBe(Permission.AddReaction);
  });
});
