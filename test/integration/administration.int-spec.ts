import { DataSource } from 'typeorm';
import { Bus } from '@fedchat/common';
import { RolesChanged } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { UsersService } from '../../apps/gateway/src/users/users.service';
import { AuthService } from '../../apps/gateway/src/auth/auth.service';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/*
 * Who may administer (issue 15): system roles (`PUT /users/{id}/roles`), team and channel admins (`.../schemes`), and
 * role edits (`PATCH /roles/{id}/patch`) that grant the federation permissions to ordinary users, checked against the
 * REST endpoints and slash commands of secure connections and shared channels.
 */

let h: GatewayHarness;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
let teamId: string;
let channelId: string;
/** A channel all three are in, where the slash commands run. */
let sharedChannelId: string;
let sharedTeamId: string;

beforeAll(async () => {
  h = await GatewayHarness.start({ SITE_URL: 'http://127.0.0.1:9', BUS_REQUEST_TIMEOUT_MS: '2000' }, [
    RemoteClusterModule,
    SharedChannelSyncModule,
  ]);
  admin = await h.signUp('admadmin');
  alice = await h.signUp('admalice', admin);
  bob = await h.signUp('admbob', admin);
  ({ teamId, channelId } = await h.channelWith([alice, bob]));
  ({ teamId: sharedTeamId, channelId: sharedChannelId } = await h.channelWith([admin, alice, bob]));
});
afterAll(async () => {
  await h?.close();
});

function execute(user: TestUser, command: string, channel = sharedChannelId) {
  return h.as(user).post('/api/v4/commands/execute').send({ channel_id: channel, command }).expect(200);
}

async function roleId(name: string): Promise<string> {
  return (await h.as(admin).get(`/api/v4/roles/name/${name}`).expect(200)).body.id;
}

async function rolesOf(user: TestUser): Promise<string> {
  return (await h.app.get(DataSource).query('SELECT roles FROM users WHERE id = $1', [user.id]))[0].roles;
}

describe('PUT /users/{id}/roles', () => {
  afterEach(async () => {
    await h.app.get(DataSource).query(`UPDATE users SET roles = 'system_user' WHERE id = ANY($1)`, [[alice.id, bob.id]]);
    await h.app.get(DataSource).query(`UPDATE users SET roles = 'system_admin system_user' WHERE id = $1`, [admin.id]);
    // Edited behind the gateway's back: drop its cached callers as the process making the edit would.
    for (const user of [alice, bob, admin]) h.app.get(AuthService).forgetCallers(user.id);
  });

  it('makes a user system admin and back, effective for the session the user already has', async () => {
    await h.as(alice).get('/api/v4/roles').expect(403);
    const res = await h.as(admin).put(`/api/v4/users/${alice.id}/roles`).send({ roles: 'system_user system_admin' }).expect(200);
    expect(res.body).toEqual({ status: 'OK' });
    await h.as(alice).get('/api/v4/roles').expect(200);
    expect((await h.as(alice).get(`/api/v4/users/${alice.id}`).expect(200)).body.roles).toBe('system_user system_admin');
    await h.as(admin).put(`/api/v4/users/${alice.id}/roles`).send({ roles: 'system_user' }).expect(200);
    await h.as(alice).get('/api/v4/roles').expect(403);
  });

  it('needs manage_system', async () => {
    const res = await h.as(alice).put(`/api/v4/users/${alice.id}/roles`).send({ roles: 'system_user system_admin' }).expect(403);
    expect(res.body.message).toContain('manage_system');
    expect(await rolesOf(alice)).toBe('system_user');
  });

  it('refuses unknown roles, a missing system_user, and bodies that are not a roles string', async () => {
    for (const roles of ['system_user bogus', 'system_admin', '', 'system_user team_admin', 'system_user system_guest']) {
      const res = await h.as(admin).put(`/api/v4/users/${alice.id}/roles`).send({ roles }).expect(400);
      expect(res.body).toMatchObject({ status_code: 400, id: 'api.user.update_user_roles.invalid_roles.app_error' });
    }
    await h.as(admin).put(`/api/v4/users/${alice.id}/roles`).send({ roles: 7 }).expect(400);
    await h.as(admin).put(`/api/v4/users/${alice.id}/roles`).send({}).expect(400);
    await h.as(admin).put('/api/v4/users/nope/roles').send({ roles: 'system_user' }).expect(400);
    await h.as(admin).put(`/api/v4/users/${newId()}/roles`).send({ roles: 'system_user' }).expect(404);
    expect(await rolesOf(alice)).toBe('system_user');
  });

  it('never demotes the last system admin', async () => {
    const res = await h.as(admin).put(`/api/v4/users/${admin.id}/roles`).send({ roles: 'system_user' }).expect(400);
    expect(res.body).toMatchObject({ id: 'api.user.update_user_roles.last_admin.app_error', status_code: 400 });
    expect(res.body.message).toContain('last system admin');
    await h.as(admin).get('/api/v4/roles').expect(200);

    // With a second admin, either may step down, but then the other is the last.
    await h.as(admin).put(`/api/v4/users/${alice.id}/roles`).send({ roles: 'system_user system_admin' }).expect(200);
    await h.as(alice).put(`/api/v4/users/${admin.id}/roles`).send({ roles: 'system_user' }).expect(200);
    await h.as(admin).get('/api/v4/roles').expect(403);
    await h.as(alice).put(`/api/v4/users/${alice.id}/roles`).send({ roles: 'system_user' }).expect(400);
    expect(await rolesOf(alice)).toBe('system_user system_admin');
  });

  it('never deactivates the last system admin, but deactivates an admin who is not the last', async () => {
    const res = await h.as(admin).put(`/api/v4/users/${admin.id}/active`).send({ active: false }).expect(400);
    expect(res.body.id).toBe('api.user.update_active.last_admin.app_error');
    await h.as(admin).get('/api/v4/roles').expect(200);
    const dave = await h.signUp('admdave', admin);
    await h.as(admin).put(`/api/v4/users/${dave.id}/roles`).send({ roles: 'system_user system_admin' }).expect(200);
    await h.as(dave).put(`/api/v4/users/${dave.id}/active`).send({ active: false }).expect(200);
    await h.as(admin).put(`/api/v4/users/${admin.id}/active`).send({ active: false }).expect(400);
  });

  it('two admins demoting each other at once: exactly one succeeds, one admin remains', async () => {
    // Straight to the service, several rounds: both transactions check before either writes unless the check locks.
    const users = h.app.get(UsersService);
    for (let round = 0; round < 5; round++) {
      await h.app.get(DataSource).query(`UPDATE users SET roles = 'system_admin system_user' WHERE id = ANY($1)`, [[admin.id, alice.id]]);
      const outcomes = await Promise.allSettled([
        users.setSystemRoles(alice.id, 'system_user'),
        users.setSystemRoles(admin.id, 'system_user'),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const admins = await h.app.get(DataSource).query(`SELECT id FROM users WHERE roles LIKE '%system_admin%' AND delete_at = 0`);
      expect(admins).toHaveLength(1);
    }
    // Through the API too, each admin with their own session.
    await h.app.get(DataSource).query(`UPDATE users SET roles = 'system_admin system_user' WHERE id = ANY($1)`, [[admin.id, alice.id]]);
    for (const user of [admin, alice]) h.app.get(AuthService).forgetCallers(user.id);
    const [a, b] = await Promise.all([
      h.as(admin).put(`/api/v4/users/${alice.id}/roles`).send({ roles: 'system_user' }),
      h.as(alice).put(`/api/v4/users/${admin.id}/roles`).send({ roles: 'system_user' }),
    ]);
    expect([a.status, b.status]).toContain(200);
    expect((await h.app.get(DataSource).query(`SELECT id FROM users WHERE roles LIKE '%system_admin%' AND delete_at = 0`)).length).toBe(1);
  });
});

describe('PUT /teams/{id}/members/{user_id}/schemes and /channels/{id}/members/{user_id}/schemes', () => {
  it('a system admin makes a team member team admin; the team admin can then remove members, and loses it when demoted', async () => {
    const carol = await h.signUp('admcarol', admin);
    await h.as(admin).post(`/api/v4/teams/${teamId}/members`).send({ team_id: teamId, user_id: carol.id }).expect(201);
    await h.as(alice).delete(`/api/v4/teams/${teamId}/members/${carol.id}`).expect(403);
    // A plain member may not promote themself.
    const self = await h
      .as(alice)
      .put(`/api/v4/teams/${teamId}/members/${alice.id}/schemes`)
      .send({ scheme_admin: true, scheme_user: true });
    expect(self.status).toBe(403);
    expect(self.body.message).toContain('manage_team_roles');

    await h
      .as(admin)
      .put(`/api/v4/teams/${teamId}/members/${alice.id}/schemes`)
      .send({ scheme_admin: true, scheme_user: true })
      .expect(200);
    const member = await h.as(alice).get(`/api/v4/teams/${teamId}/members/${alice.id}`).expect(200);
    expect(member.body).toMatchObject({ scheme_admin: true, scheme_user: true });
    await h.as(alice).delete(`/api/v4/teams/${teamId}/members/${carol.id}`).expect(200);

    // The new team admin may in turn demote (here: themself); then they manage nothing.
    await h
      .as(alice)
      .put(`/api/v4/teams/${teamId}/members/${alice.id}/schemes`)
      .send({ scheme_admin: false, scheme_user: true })
      .expect(200);
    await h.as(admin).post(`/api/v4/teams/${teamId}/members`).send({ team_id: teamId, user_id: carol.id }).expect(201);
    await h.as(alice).delete(`/api/v4/teams/${teamId}/members/${carol.id}`).expect(403);
  });

  it('a channel admin made through the schemes may rename the channel; a plain member may not', async () => {
    const rename = (user: TestUser, name: string) => h.as(user).put(`/api/v4/channels/${channelId}/patch`).send({ name });
    expect((await rename(bob, 'bob-name')).status).toBe(403);
    const self = await h
      .as(bob)
      .put(`/api/v4/channels/${channelId}/members/${bob.id}/schemes`)
      .send({ scheme_admin: true, scheme_user: true });
    expect(self.status).toBe(403);
    expect(self.body.message).toContain('manage_channel_roles');
    await h
      .as(admin)
      .put(`/api/v4/channels/${channelId}/members/${bob.id}/schemes`)
      .send({ scheme_admin: true, scheme_user: true })
      .expect(200);
    expect((await h.as(bob).get(`/api/v4/channels/${channelId}/members/${bob.id}`).expect(200)).body).toMatchObject({ scheme_admin: true });
    expect((await rename(bob, 'bob-name')).status).toBe(200);
    await h
      .as(admin)
      .put(`/api/v4/channels/${channelId}/members/${bob.id}/schemes`)
      .send({ scheme_admin: false, scheme_user: true })
      .expect(200);
    expect((await rename(bob, 'bob-name-2')).status).toBe(403);
  });

  it('refuses bad bodies, guests, malformed ids and non-members', async () => {
    const team = (userId: string) => h.as(admin).put(`/api/v4/teams/${teamId}/members/${userId}/schemes`);
    const channel = (userId: string) => h.as(admin).put(`/api/v4/channels/${channelId}/members/${userId}/schemes`);
    for (const put of [team, channel]) {
      await put(alice.id).send({ scheme_admin: 'yes', scheme_user: true }).expect(400);
      await put(alice.id).send({ scheme_admin: true }).expect(400);
      await put(alice.id).send({ scheme_admin: false, scheme_user: false }).expect(400);
      await put(alice.id).send({ scheme_admin: false, scheme_user: true, scheme_guest: true }).expect(400);
      await put('nope').send({ scheme_admin: true, scheme_user: true }).expect(400);
      await put(admin.id).send({ scheme_admin: true, scheme_user: true }).expect(404);
    }
    await h
      .as(admin)
      .put(`/api/v4/teams/${newId()}/members/${alice.id}/schemes`)
      .send({ scheme_admin: true, scheme_user: true })
      .expect(404);
    await h.as(admin).put(`/api/v4/channels/nope/members/${alice.id}/schemes`).send({ scheme_admin: true, scheme_user: true }).expect(400);
  });
});

describe('PATCH /roles/{id}/patch', () => {
  let systemUserId: string;
  let original: string[];
  beforeAll(async () => {
    systemUserId = await roleId('system_user');
    original = (await h.as(admin).get(`/api/v4/roles/${systemUserId}`).expect(200)).body.permissions;
  });
  afterEach(async () => {
    await h.as(admin).patch(`/api/v4/roles/${systemUserId}/patch`).send({ permissions: original }).expect(200);
  });

  /**
   * Each federation action a user may or may not take, with the answer it gets when allowed: the REST endpoints of
   * secure connections and shared channels, and the two slash commands.
   */
  const ACTIONS: Array<{ name: string; refused: (u: TestUser) => Promise<boolean> }> = [
    { name: 'GET /remotecluster', refused: async (u) => (await h.as(u).get('/api/v4/remotecluster')).status === 403 },
    {
      name: 'POST /remotecluster',
      refused: async (u) =>
        (
          await h
            .as(u)
            .post('/api/v4/remotecluster')
            .send({ name: `conn${newId().slice(0, 8)}`, default_team_id: teamId, password: 'Secret-password-1!' })
        ).status === 403,
    },
    {
      name: 'GET /remotecluster/{id}/sharedchannelremotes',
      refused: async (u) => (await h.as(u).get(`/api/v4/remotecluster/${newId()}/sharedchannelremotes`)).status === 403,
    },
    {
      name: 'POST /remotecluster/{id}/channels/{id}/invite',
      refused: async (u) =>
        (await h.as(u).post(`/api/v4/remotecluster/${newId()}/channels/${sharedChannelId}/invite`).send({})).status === 403,
    },
    {
      name: 'GET /sharedchannels/invitations',
      refused: async (u) => (await h.as(u).get('/api/v4/sharedchannels/invitations')).status === 403,
    },
    {
      name: '/secure-connection status',
      refused: async (u) => (await execute(u, '/secure-connection status')).body.text.includes('You require `manage_secure_connections`'),
    },
    {
      name: '/share-channel status',
      refused: async (u) => (await execute(u, '/share-channel status')).body.text.includes('You require `manage_shared_channels`'),
    },
  ];

  async function refusedActions(user: TestUser): Promise<string[]> {
    const refused: string[] = [];
    for (const action of ACTIONS) if (await action.refused(user)) refused.push(action.name);
    return refused;
  }

  it('the matrix: admin always, a plain user never, a user once system_user is granted the two permissions', async () => {
    expect(await refusedActions(admin)).toEqual([]);
    expect(await refusedActions(alice)).toEqual(ACTIONS.map((a) => a.name));

    const res = await h
      .as(admin)
      .patch(`/api/v4/roles/${systemUserId}/patch`)
      .send({ permissions: [...original, 'manage_secure_connections', 'manage_shared_channels'] })
      .expect(200);
    expect(res.body).toMatchObject({ id: systemUserId, name: 'system_user', built_in: true });
    expect(res.body.permissions).toEqual(expect.arrayContaining(['manage_secure_connections', 'manage_shared_channels', 'create_team']));
    expect((await h.as(alice).get('/api/v4/roles/name/system_user').expect(200)).body.permissions).toEqual(res.body.permissions);

    expect(await refusedActions(alice)).toEqual([]);
    // Granting these does not make an ordinary user a system admin.
    await h.as(alice).get('/api/v4/roles').expect(403);
  });

  it('one permission without the other grants only its own actions', async () => {
    await h
      .as(admin)
      .patch(`/api/v4/roles/${systemUserId}/patch`)
      .send({ permissions: [...original, 'manage_shared_channels'] })
      .expect(200);
    expect(await refusedActions(alice)).toEqual([
      'GET /remotecluster',
      'POST /remotecluster',
      'GET /remotecluster/{id}/sharedchannelremotes',
      'POST /remotecluster/{id}/channels/{id}/invite',
      '/secure-connection status',
    ]);
  });

  it('taking a permission away from a role refuses it at once', async () => {
    await h
      .as(admin)
      .patch(`/api/v4/roles/${systemUserId}/patch`)
      .send({ permissions: original.filter((p) => p !== 'create_team') })
      .expect(200);
    const res = await h.as(alice).post('/api/v4/teams').send({ name: 'no-team-for-alice', display_name: 'No', type: 'O' }).expect(403);
    expect(res.body.message).toContain('create_team');
  });

  it('needs manage_system, a known role, and known permission names', async () => {
    const forbidden = await h
      .as(alice)
      .patch(`/api/v4/roles/${systemUserId}/patch`)
      .send({ permissions: ['manage_system'] })
      .expect(403);
    expect(forbidden.body.message).toContain('manage_system');
    const unknown = await h
      .as(admin)
      .patch(`/api/v4/roles/${systemUserId}/patch`)
      .send({ permissions: ['create_team', 'fly_to_the_moon'] })
      .expect(400);
    expect(unknown.body).toMatchObject({ id: 'api.roles.patch_roles.unknown_permission.app_error', status_code: 400 });
    expect(unknown.body.message).toContain('fly_to_the_moon');
    for (const body of [{}, { permissions: 'manage_system' }, { permissions: [1] }, { permissions: null }]) {
      await h.as(admin).patch(`/api/v4/roles/${systemUserId}/patch`).send(body).expect(400);
    }
    await h.as(admin).patch('/api/v4/roles/nope/patch').send({ permissions: [] }).expect(400);
    await h.as(admin).patch(`/api/v4/roles/${newId()}/patch`).send({ permissions: [] }).expect(404);
    expect((await h.as(admin).get(`/api/v4/roles/${systemUserId}`).expect(200)).body.permissions).toEqual(original);
    await h.as(alice).get('/api/v4/roles').expect(403);
  });

  it('system_admin keeps manage_system', async () => {
    const adminRoleId = await roleId('system_admin');
    const res = await h
      .as(admin)
      .patch(`/api/v4/roles/${adminRoleId}/patch`)
      .send({ permissions: ['create_team'] })
      .expect(400);
    expect(res.body.id).toBe('api.roles.patch_roles.system_admin.app_error');
    await h.as(admin).get('/api/v4/roles').expect(200);
  });

  it('a role changed by another process is enforced here once chat.roles.changed arrives', async () => {
    // Another gateway wrote the table (this process has not reloaded); its event makes this one reload.
    await h.app
      .get(DataSource)
      .query(`UPDATE roles SET permissions = permissions || '["manage_secure_connections"]'::jsonb WHERE id = $1`, [systemUserId]);
    await h.as(alice).get('/api/v4/remotecluster').expect(403);
    h.app.get(Bus).emit(RolesChanged, { role_id: systemUserId });
    const deadline = Date.now() + 5000;
    while ((await h.as(alice).get('/api/v4/remotecluster')).status === 403 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await h.as(alice).get('/api/v4/remotecluster').expect(200);
  });
});

describe('team override schemes', () => {
  it('create, read, patch; manage_system only; bad input refused', async () => {
    const created = await h.as(admin).post('/api/v4/schemes').send({ name: 'scheme-one', display_name: 'One', scope: 'team' }).expect(201);
    expect(created.body).toMatchObject({ name: 'scheme-one', display_name: 'One', description: '', scope: 'team', delete_at: 0 });
    for (const key of ['default_team_admin_role', 'default_team_user_role', 'default_channel_admin_role', 'default_channel_user_role']) {
      const role = await h.as(admin).get(`/api/v4/roles/name/${created.body[key]}`).expect(200);
      expect(role.body).toMatchObject({ scheme_managed: true, built_in: false });
    }
    const teamUserRole = await h.as(admin).get(`/api/v4/roles/name/${created.body.default_team_user_role}`).expect(200);
    expect(teamUserRole.body.permissions).toEqual((await h.as(admin).get('/api/v4/roles/name/team_user').expect(200)).body.permissions);

    expect((await h.as(admin).get(`/api/v4/schemes/${created.body.id}`).expect(200)).body).toEqual(created.body);
    const patched = await h
      .as(admin)
      .patch(`/api/v4/schemes/${created.body.id}/patch`)
      .send({ display_name: 'One again', description: 'why' })
      .expect(200);
    expect(patched.body).toMatchObject({ name: 'scheme-one', display_name: 'One again', description: 'why' });

    await h.as(alice).post('/api/v4/schemes').send({ display_name: 'Mine', scope: 'team' }).expect(403);
    await h.as(alice).get(`/api/v4/schemes/${created.body.id}`).expect(403);
    await h.as(alice).patch(`/api/v4/schemes/${created.body.id}/patch`).send({ display_name: 'x' }).expect(403);
    await h.as(alice).put(`/api/v4/teams/${teamId}/scheme`).send({ scheme_id: created.body.id }).expect(403);
    await h.as(admin).post('/api/v4/schemes').send({ display_name: 'Chan', scope: 'channel' }).expect(400);
    await h.as(admin).post('/api/v4/schemes').send({ scope: 'team' }).expect(400);
    await h.as(admin).post('/api/v4/schemes').send({ name: 'Bad Name', display_name: 'B', scope: 'team' }).expect(400);
    const dup = await h.as(admin).post('/api/v4/schemes').send({ name: 'scheme-one', display_name: 'Dup', scope: 'team' }).expect(400);
    expect(dup.body.message).toContain('already exists');
    await h.as(admin).get('/api/v4/schemes/nope').expect(400);
    await h.as(admin).get(`/api/v4/schemes/${newId()}`).expect(404);
    await h.as(admin).put(`/api/v4/teams/${teamId}/scheme`).send({ scheme_id: newId() }).expect(404);
    await h.as(admin).put(`/api/v4/teams/${newId()}/scheme`).send({ scheme_id: created.body.id }).expect(404);
    await h.as(admin).put(`/api/v4/teams/${teamId}/scheme`).send({}).expect(400);
  });

  it("a team scheme granting manage_shared_channels lets the team's users share that team's channels only", async () => {
    const scheme = (await h.as(admin).post('/api/v4/schemes').send({ display_name: 'Sharing team', scope: 'team' }).expect(201)).body;
    const teamUserRole = (await h.as(admin).get(`/api/v4/roles/name/${scheme.default_team_user_role}`).expect(200)).body;
    await h
      .as(admin)
      .patch(`/api/v4/roles/${teamUserRole.id}/patch`)
      .send({ permissions: [...teamUserRole.permissions, 'manage_shared_channels'] })
      .expect(200);
    // Alice is in the scheme's team (with its channel) and in another team with a channel of its own.
    const { channelId: otherTeamChannel } = await h.channelWith([alice, admin]);
    const status = (user: TestUser, channel: string) => execute(user, '/share-channel status', channel).then((r) => r.body.text as string);
    const REFUSED = 'You require `manage_shared_channels` permission to manage shared channels.';
    expect(await status(alice, sharedChannelId)).toBe(REFUSED);

    await h.as(admin).put(`/api/v4/teams/${sharedTeamId}/scheme`).send({ scheme_id: scheme.id }).expect(200);
    expect((await h.as(admin).get(`/api/v4/teams/${sharedTeamId}`).expect(200)).body.scheme_id).toBe(scheme.id);
    expect(await status(alice, sharedChannelId)).toBe(await status(admin, sharedChannelId));
    expect(await status(alice, sharedChannelId)).not.toBe(REFUSED);
    // In the other team, and for what is not hers to decide (connections), she is refused.
    expect(await status(alice, otherTeamChannel)).toBe(REFUSED);
    expect((await execute(alice, '/secure-connection status')).body.text).toContain('You require `manage_secure_connections`');
    await h.as(alice).get('/api/v4/sharedchannels/invitations').expect(403);

    // A member who left the team no longer holds its scheme's roles; back to the built-in roles refuses again.
    await h.as(admin).put(`/api/v4/teams/${sharedTeamId}/scheme`).send({ scheme_id: '' }).expect(200);
    expect(await status(alice, sharedChannelId)).toBe(REFUSED);
  });
});

describe('team and channel checks read the role permissions', () => {
  const postIn = (user: TestUser, channel: string) => h.as(user).post('/api/v4/posts').send({ channel_id: channel, message: 'hi' });

  async function editRole(name: string, change: (permissions: string[]) => string[]): Promise<() => Promise<void>> {
    const role = (await h.as(admin).get(`/api/v4/roles/name/${name}`).expect(200)).body;
    await h
      .as(admin)
      .patch(`/api/v4/roles/${role.id}/patch`)
      .send({ permissions: change(role.permissions) })
      .expect(200);
    return async () => {
      await h.as(admin).patch(`/api/v4/roles/${role.id}/patch`).send({ permissions: role.permissions }).expect(200);
    };
  }

  it('taking create_post from channel_user stops members posting; system admins still post', async () => {
    await postIn(bob, channelId).expect(201);
    const restore = await editRole('channel_user', (p) => p.filter((x) => x !== 'create_post'));
    try {
      expect((await postIn(bob, channelId).expect(403)).body.message).toContain('create_post');
      await postIn(admin, sharedChannelId).expect(201);
    } finally {
      await restore();
    }
    await postIn(bob, channelId).expect(201);
  });

  it('giving channel_user manage_public_channel_properties lets plain members rename', async () => {
    const rename = (name: string) => h.as(bob).put(`/api/v4/channels/${channelId}/patch`).send({ name });
    await rename('bob-renames').expect(403);
    const restore = await editRole('channel_user', (p) => [...p, 'manage_public_channel_properties']);
    try {
      await rename('bob-renames').expect(200);
    } finally {
      await restore();
    }
    await rename('bob-renames-again').expect(403);
  });

  it('taking add_user_to_team from team_admin stops team admins adding members', async () => {
    const dave = await h.signUp('admdave2', admin);
    await h
      .as(admin)
      .put(`/api/v4/teams/${teamId}/members/${alice.id}/schemes`)
      .send({ scheme_admin: true, scheme_user: true })
      .expect(200);
    const restore = await editRole('team_admin', (p) => p.filter((x) => x !== 'add_user_to_team'));
    try {
      const res = await h.as(alice).post(`/api/v4/teams/${teamId}/members`).send({ team_id: teamId, user_id: dave.id }).expect(403);
      expect(res.body.message).toContain('add_user_to_team');
    } finally {
      await restore();
      await h
        .as(admin)
        .put(`/api/v4/teams/${teamId}/members/${alice.id}/schemes`)
        .send({ scheme_admin: false, scheme_user: true })
        .expect(200);
    }
  });

  it("a team scheme's roles decide in that team only: posting, creating private channels, and its team admins", async () => {
    const scheme = (await h.as(admin).post('/api/v4/schemes').send({ display_name: 'Read-mostly team', scope: 'team' }).expect(201)).body;
    const restoreChannelUser = await editRole(scheme.default_channel_user_role, (p) => p.filter((x) => x !== 'create_post'));
    const restoreTeamUser = await editRole(scheme.default_team_user_role, (p) => p.filter((x) => x !== 'create_private_channel'));
    const createPrivate = (team: string) =>
      h
        .as(bob)
        .post('/api/v4/channels')
        .send({ team_id: team, name: `p${newId().slice(0, 10)}`, display_name: 'Private', type: 'P' });
    await h.as(admin).put(`/api/v4/teams/${teamId}/scheme`).send({ scheme_id: scheme.id }).expect(200);
    try {
      // In the scheme's team: a plain member may neither post nor create a private channel.
      expect((await postIn(bob, channelId).expect(403)).body.message).toContain('create_post');
      expect((await createPrivate(teamId).expect(403)).body.message).toContain('create_private_channel');
      // In another team (built-in roles) the same user may do both.
      await postIn(bob, sharedChannelId).expect(201);
      await createPrivate(sharedTeamId).expect(201);
      // The scheme's team admin role (a copy of team_admin) still grants posting in the team's channels.
      await h
        .as(admin)
        .put(`/api/v4/teams/${teamId}/members/${bob.id}/schemes`)
        .send({ scheme_admin: true, scheme_user: true })
        .expect(200);
      await postIn(bob, channelId).expect(201);
    } finally {
      await h
        .as(admin)
        .put(`/api/v4/teams/${teamId}/members/${bob.id}/schemes`)
        .send({ scheme_admin: false, scheme_user: true })
        .expect(200);
      await h.as(admin).put(`/api/v4/teams/${teamId}/scheme`).send({ scheme_id: '' }).expect(200);
      await restoreChannelUser();
      await restoreTeamUser();
    }
    // Back on the built-in roles, the team's members post again.
    await postIn(bob, channelId).expect(201);
    await createPrivate(teamId).expect(201);
  });
});
