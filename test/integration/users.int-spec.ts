import { DataSource } from 'typeorm';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

let h: GatewayHarness;
let admin: TestUser;

beforeAll(async () => {
  h = await GatewayHarness.start();
  admin = await h.signUp('admin');
});
afterAll(async () => {
  await h?.close();
});

describe('users and auth', () => {
  it('makes the first user a system admin and later ones plain users', async () => {
    const me = await h.as(admin).get('/api/v4/users/me').expect(200);
    expect(me.body.roles).toBe('system_admin system_user');
    expect(me.body.password).toBeUndefined();
    const bob = await h.signUp('bob', admin);
    const bobMe = await h.as(bob).get('/api/v4/users/me').expect(200);
    expect(bobMe.body.roles).toBe('system_user');
  });

  it('refuses open sign-up on a closed server but lets an admin create accounts', async () => {
    const res = await h.http
      .post('/api/v4/users')
      .send({ username: 'eve', email: 'eve@example.com', password: 'password-123' })
      .expect(403);
    expect(res.body.id).toBe('api.user.create_user.no_open_server');
    await h.as(admin).post('/api/v4/users').send({ username: 'eve', email: 'eve@example.com', password: 'password-123' }).expect(201);
  });

  it('gives only one admin when the first sign-ups race', async () => {
    const fresh = await GatewayHarness.start({ MM_TEAMSETTINGS_ENABLEOPENSERVER: 'true' });
    try {
      const results = await Promise.all(
        ['racer1', 'racer2', 'racer3', 'racer4'].map((u) =>
          fresh.http.post('/api/v4/users').send({ username: u, email: `${u}@example.com`, password: 'password-123' }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
      expect(results.filter((r) => r.body.roles.includes('system_admin'))).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });

  it('validates sign-up input and refuses duplicates', async () => {
    const cases = [
      { username: 'A', email: 'a@example.com', password: 'password-123' },
      { username: 'valid', email: 'not-an-email', password: 'password-123' },
      { username: 'valid2', email: 'v2@example.com', password: 'short' },
      { username: 'valid3', email: 'v3@example.com' },
    ];
    for (const body of cases) {
      const res = await h.as(admin).post('/api/v4/users').send(body).expect(400);
      expect(res.body.status_code).toBe(400);
    }
    const dup = await h
      .as(admin)
      .post('/api/v4/users')
      .send({ username: 'admin', email: 'x@example.com', password: 'password-123' })
      .expect(400);
    expect(dup.body.id).toBe('app.user.save.username_exists.app_error');
    const dupEmail = await h
      .as(admin)
      .post('/api/v4/users')
      .send({ username: 'other', email: 'admin@example.com', password: 'password-123' })
      .expect(400);
    expect(dupEmail.body.id).toBe('app.user.save.email_exists.app_error');
  });

  it('logs in with username or email, returns the token in the Token header, and stores only its hash', async () => {
    const byEmail = await h.http.post('/api/v4/users/login').send({ login_id: 'ADMIN@example.com', password: 'password-123' }).expect(200);
    const token = byEmail.headers.token;
    expect(token).toMatch(/^[a-z0-9]{26}$/);
    const rows = await h.app.get(DataSource).query('SELECT token_hash FROM sessions');
    expect(rows.map((r: { token_hash: string }) => r.token_hash)).not.toContain(token);
    await h.http.get('/api/v4/users/me').set('Authorization', `Bearer ${token}`).expect(200);
    await h.http.get('/api/v4/users/me').set('Authorization', `Token ${token}`).expect(200);
  });

  it('refuses bad credentials with one error whether or not the account exists', async () => {
    const wrong = await h.http.post('/api/v4/users/login').send({ login_id: 'admin', password: 'wrong-password' }).expect(401);
    const missing = await h.http.post('/api/v4/users/login').send({ login_id: 'nobody', password: 'wrong-password' }).expect(401);
    expect(wrong.body.id).toBe(missing.body.id);
    await h.http.post('/api/v4/users/login').send({ password: 'x' }).expect(400);
  });

  it('answers 401 without or with a bad token, and ends the session on logout', async () => {
    await h.http.get('/api/v4/users/me').expect(401);
    await h.http.get('/api/v4/users/me').set('Authorization', 'Bearer aaaaaaaaaaaaaaaaaaaaaaaaaa').expect(401);
    await h.http.get('/api/v4/users/me').set('Authorization', 'Bearer not a token').expect(401);
    const carol = await h.signUp('carol', admin);
    await h.as(carol).post('/api/v4/users/logout').expect(200, { status: 'OK' });
    await h.as(carol).get('/api/v4/users/me').expect(401);
  });

  it('gets users by id, ids, username and usernames, and lists them', async () => {
    const dave = await h.signUp('dave', admin);
    const byId = await h.as(admin).get(`/api/v4/users/${dave.id}`).expect(200);
    expect(byId.body.username).toBe('dave');
    const ids = await h.as(dave).post('/api/v4/users/ids').send([dave.id, admin.id]).expect(200);
    expect(ids.body.map((u: { username: string }) => u.username).sort()).toEqual(['admin', 'dave']);
    const names = await h.as(dave).post('/api/v4/users/usernames').send(['DAVE']).expect(200);
    expect(names.body[0].id).toBe(dave.id);
    await h.as(dave).get('/api/v4/users/username/dave').expect(200);
    await h.as(dave).get('/api/v4/users/username/ghost').expect(404);
    await h.as(dave).get('/api/v4/users/not-an-id').expect(400);
    await h.as(dave).post('/api/v4/users/ids').send({ not: 'an array' }).expect(400);
    const list = await h.as(dave).get('/api/v4/users?per_page=200').expect(200);
    expect(list.body.map((u: { username: string }) => u.username)).toEqual(expect.arrayContaining(['admin', 'dave']));
  });

  it('lets users patch themselves, admins patch anyone, and nobody else', async () => {
    const erin = await h.signUp('erin', admin);
    const frank = await h.signUp('frank', admin);
    const patched = await h.as(erin).put('/api/v4/users/me/patch').send({ nickname: 'E', first_name: 'Erin' }).expect(200);
    expect(patched.body).toMatchObject({ nickname: 'E', first_name: 'Erin' });
    expect(patched.body.update_at).toBeGreaterThan(0);
    await h.as(frank).put(`/api/v4/users/${erin.id}/patch`).send({ nickname: 'hacked' }).expect(403);
    await h.as(admin).put(`/api/v4/users/${erin.id}/patch`).send({ position: 'Boss' }).expect(200);
    const taken = await h.as(erin).put('/api/v4/users/me/patch').send({ username: 'frank' }).expect(400);
    expect(taken.body.id).toBe('app.user.save.username_exists.app_error');
    await h
      .as(erin)
      .put('/api/v4/users/me/patch')
      .send({ nickname: 'x'.repeat(65) })
      .expect(400);
  });

  it('deactivates and reactivates: an admin or the user, nobody else; sessions end and update_at moves', async () => {
    const ivy = await h.signUp('ivy', admin);
    const jack = await h.signUp('jack', admin);
    const db = h.app.get(DataSource);
    const before = (await h.as(admin).get(`/api/v4/users/${ivy.id}`).expect(200)).body;
    await h.as(jack).put(`/api/v4/users/${ivy.id}/active`).send({ active: false }).expect(403);
    await h.as(admin).put(`/api/v4/users/${ivy.id}/active`).send({ active: 'no' }).expect(400);
    await h.as(admin).put(`/api/v4/users/${ivy.id}/active`).send({ active: false }).expect(200);
    const after = (await h.as(admin).get(`/api/v4/users/${ivy.id}`).expect(200)).body;
    expect(after.delete_at).toBeGreaterThan(0);
    expect(after.update_at).toBeGreaterThan(before.update_at);
    expect(await db.query('SELECT 1 FROM sessions WHERE user_id = $1', [ivy.id])).toEqual([]);
    await h.as(admin).put(`/api/v4/users/${ivy.id}/active`).send({ active: true }).expect(200);
    expect((await h.as(admin).get(`/api/v4/users/${ivy.id}`).expect(200)).body.delete_at).toBe(0);
    await h.as(jack).put('/api/v4/users/me/active').send({ active: false }).expect(200);
  });

  it('sets and reads statuses; only for oneself', async () => {
    const gina = await h.signUp('gina', admin);
    const online = await h.as(gina).get('/api/v4/users/me/status').expect(200);
    expect(online.body.status).toBe('online');
    const dnd = await h
      .as(gina)
      .put(`/api/v4/users/${gina.id}/status`)
      .send({ user_id: gina.id, status: 'dnd', dnd_end_time: 1_900_000_000 })
      .expect(200);
    expect(dnd.body).toMatchObject({ status: 'dnd', manual: true, dnd_end_time: 1_900_000_000 });
    const many = await h.as(admin).post('/api/v4/users/status/ids').send([gina.id, admin.id]).expect(200);
    expect(many.body.map((s: { status: string }) => s.status)).toEqual(['dnd', 'online']);
    await h.as(admin).put(`/api/v4/users/${gina.id}/status`).send({ user_id: gina.id, status: 'away' }).expect(200);
    const other = await h.signUp('hank', admin);
    await h.as(other).put(`/api/v4/users/${gina.id}/status`).send({ user_id: gina.id, status: 'away' }).expect(403);
    await h.as(gina).put(`/api/v4/users/${gina.id}/status`).send({ user_id: gina.id, status: 'sleeping' }).expect(400);
  });

  it('issues personal access tokens to admins that work as bearer tokens until revoked', async () => {
    const bot = await h.signUp('botuser', admin);
    await h.as(bot).post(`/api/v4/users/${bot.id}/tokens`).send({ description: 'mine' }).expect(403);
    const created = await h.as(admin).post(`/api/v4/users/${bot.id}/tokens`).send({ description: 'ci script' }).expect(200);
    expect(created.body).toMatchObject({ user_id: bot.id, description: 'ci script', is_active: true });
    const pat = created.body.token;
    const me = await h.http.get('/api/v4/users/me').set('Authorization', `Bearer ${pat}`).expect(200);
    expect(me.body.id).toBe(bot.id);
    const listed = await h.as(admin).get(`/api/v4/users/${bot.id}/tokens`).expect(200);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0].token).toBeUndefined();
    await h.as(admin).post('/api/v4/users/tokens/revoke').send({ token_id: created.body.id }).expect(200);
    await h.http.get('/api/v4/users/me').set('Authorization', `Bearer ${pat}`).expect(401);
  });
});
