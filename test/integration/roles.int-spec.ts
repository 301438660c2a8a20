import { DataSource } from 'typeorm';
import { BUILT_IN_ROLES, RoleCatalogue } from '@fedchat/chat';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

let h: GatewayHarness;
let admin: TestUser;
let alice: TestUser;

const ROLE_KEYS = [
  'built_in',
  'create_at',
  'delete_at',
  'description',
  'display_name',
  'id',
  'name',
  'permissions',
  'scheme_managed',
  'update_at',
];

beforeAll(async () => {
  h = await GatewayHarness.start();
  admin = await h.signUp('admin');
  alice = await h.signUp('alice', admin);
});
afterAll(async () => {
  await h?.close();
});

async function roleNamed(name: string): Promise<{ id: string; permissions: string[] }> {
  return (await h.as(alice).get(`/api/v4/roles/name/${name}`).expect(200)).body;
}

describe('roles /api/v4/roles', () => {
  it('answers the roles asked for by name in Mattermost shape, leaving unknown names out', async () => {
    const res = await h
      .as(alice)
      .post('/api/v4/roles/names')
      .send(['system_user', 'team_user', 'channel_user', 'no_such_role', '  '])
      .expect(200);
    expect(res.body.map((r: { name: string }) => r.name).sort()).toEqual(['channel_user', 'system_user', 'team_user']);
    for (const role of res.body) {
      expect(Object.keys(role).sort()).toEqual(ROLE_KEYS);
      expect(role.id).toMatch(/^[a-z0-9]{26}$/);
      expect(typeof role.create_at).toBe('number');
      expect(typeof role.update_at).toBe('number');
      expect(role.delete_at).toBe(0);
      expect(role.built_in).toBe(true);
      expect(role.scheme_managed).toBe(true);
      expect(role.display_name).toMatch(/^authentication\.roles\./);
    }
    const channelUser = res.body.find((r: { name: string }) => r.name === 'channel_user');
    expect(channelUser.permissions).toEqual(expect.arrayContaining(['create_post', 'read_channel', 'add_reaction']));
    expect(channelUser.permissions).not.toContain('delete_public_channel');
  });

  it('finds a role by id and by name', async () => {
    const byName = await roleNamed('channel_admin');
    const byId = await h.as(alice).get(`/api/v4/roles/${byName.id}`).expect(200);
    expect(byId.body).toEqual(byName);
    expect(byId.body.permissions).toEqual(expect.arrayContaining(['manage_public_channel_properties', 'delete_private_channel']));
  });

  it('tells the apps what the suite enforces: what system_user lacks is refused, what it has is allowed', async () => {
    const systemUser = await roleNamed('system_user');
    expect(systemUser.permissions).toContain('create_team');
    expect(systemUser.permissions).not.toContain('manage_secure_connections');
    expect(systemUser.permissions).not.toContain('create_user_access_token');
    await h.as(alice).post('/api/v4/teams').send({ name: 'alice-team', display_name: 'Alice', type: 'O' }).expect(201);
    await h.as(alice).get('/api/v4/remotecluster').expect(403);
    await h.as(alice).post(`/api/v4/users/${alice.id}/tokens`).send({ description: 'x' }).expect(403);
    const systemAdmin = await roleNamed('system_admin');
    expect(systemAdmin.permissions).toEqual(
      expect.arrayContaining(['manage_system', 'manage_secure_connections', 'manage_shared_channels']),
    );
  });

  it('enforces the permissions the roles table holds and reports the same (one source for checks and API)', async () => {
    const ds = h.app.get(DataSource);
    const catalogue = h.app.get(RoleCatalogue);
    await ds.query(`UPDATE roles SET permissions = permissions - 'create_team' WHERE name = 'system_user'`);
    await catalogue.reload();
    try {
      expect((await roleNamed('system_user')).permissions).not.toContain('create_team');
      const refused = await h.as(alice).post('/api/v4/teams').send({ name: 'refused-team', display_name: 'No', type: 'O' }).expect(403);
      expect(refused.body.message).toContain('create_team');
    } finally {
      await ds.query(`UPDATE roles SET permissions = permissions || '["create_team"]'::jsonb WHERE name = 'system_user'`);
      await catalogue.reload();
    }
    await h.as(alice).post('/api/v4/teams').send({ name: 'allowed-again', display_name: 'Yes', type: 'O' }).expect(201);
  });

  it('seeds each built-in role once, keeping ids and edits across starts', async () => {
    const ds = h.app.get(DataSource);
    const before = await ds.query('SELECT id, name FROM roles ORDER BY name');
    await h.app.get(RoleCatalogue).seedBuiltIns();
    expect(await ds.query('SELECT id, name FROM roles ORDER BY name')).toEqual(before);
    expect(before.map((r: { name: string }) => r.name)).toEqual(BUILT_IN_ROLES.map((r) => r.name).sort());
  });

  it('lists every role for system admins only', async () => {
    const all = await h.as(admin).get('/api/v4/roles').expect(200);
    expect(all.body.map((r: { name: string }) => r.name)).toEqual(BUILT_IN_ROLES.map((r) => r.name).sort());
    await h.as(alice).get('/api/v4/roles').expect(403);
  });

  it('answers malformed and unknown roles with Mattermost errors', async () => {
    expect((await h.as(alice).get('/api/v4/roles/not-an-id').expect(400)).body.id).toBe('api.context.invalid_url_param.app_error');
    await h.as(alice).get('/api/v4/roles/abcdefghijklmnopqrstuvwxyz').expect(404);
    await h.as(alice).get('/api/v4/roles/name/Team-User').expect(400);
    await h
      .as(alice)
      .get(`/api/v4/roles/name/${'a'.repeat(65)}`)
      .expect(400);
    await h.as(alice).get('/api/v4/roles/name/no_such_role').expect(404);
    await h.as(alice).post('/api/v4/roles/names').send([]).expect(400);
    await h
      .as(alice)
      .post('/api/v4/roles/names')
      .send({ names: ['system_user'] })
      .expect(400);
    await h.as(alice).post('/api/v4/roles/names').send(['system_user', 7]).expect(400);
    await h.as(alice).post('/api/v4/roles/names').send(['System User']).expect(400);
    await h
      .as(alice)
      .post('/api/v4/roles/names')
      .send(Array.from({ length: 201 }, () => 'system_user'))
      .expect(400);
  });

  it('needs a session', async () => {
    await h.http.get('/api/v4/roles/name/system_user').expect(401);
    await h.http.post('/api/v4/roles/names').send(['system_user']).expect(401);
  });
});
