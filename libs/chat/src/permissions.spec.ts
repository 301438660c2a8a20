import { BUILT_IN_ROLES, hasPermission, loadRolePermissions, Permission, rolesGranting } from './permissions';

afterEach(() => loadRolePermissions(BUILT_IN_ROLES.map((r) => ({ ...r, delete_at: 0 }))));

describe('role permissions', () => {
  it('grants by the built-in roles until the table is loaded', () => {
    expect(hasPermission('system_user', Permission.CreateTeam)).toBe(true);
    expect(hasPermission('system_user', Permission.ManageSecureConnections)).toBe(false);
    expect(hasPermission('system_user system_admin', Permission.ManageSecureConnections)).toBe(true);
  });

  it('grants what the loaded roles say, and nothing for deleted or unknown roles', () => {
    loadRolePermissions([
      { name: 'system_user', permissions: [Permission.ManageSharedChannels], delete_at: 0 },
      { name: 'system_admin', permissions: [Permission.ManageSystem], delete_at: 5 },
    ]);
    expect(hasPermission('system_user', Permission.ManageSharedChannels)).toBe(true);
    expect(hasPermission('system_user', Permission.CreateTeam)).toBe(false);
    expect(hasPermission('system_admin', Permission.ManageSystem)).toBe(false);
    expect(hasPermission('constructor __proto__ toString', Permission.ManageSystem)).toBe(false);
  });

  it('names the roles that grant a permission for SQL checks, as loaded, never a name hasPermission would split', () => {
    expect([...rolesGranting(Permission.CreatePost)].sort()).toEqual(['channel_admin', 'channel_user', 'system_admin', 'team_admin']);
    loadRolePermissions([
      { name: 'scheme_channel_user', permissions: [Permission.CreatePost], delete_at: 0 },
      { name: 'gone', permissions: [Permission.CreatePost], delete_at: 1 },
      { name: 'two words', permissions: [Permission.CreatePost], delete_at: 0 },
      { name: 'channel_user', permissions: [], delete_at: 0 },
    ]);
    expect(rolesGranting(Permission.CreatePost)).toEqual(['scheme_channel_user']);
    expect(hasPermission('two words', Permission.CreatePost)).toBe(false);
  });

  it('gives the system admin every permission the suite checks', () => {
    const admin = BUILT_IN_ROLES.find((r) => r.name === 'system_admin');
    expect([...(admin?.permissions ?? [])].sort()).toEqual(Object.values(Permission).sort());
  });
});
