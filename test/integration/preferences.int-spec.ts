import { GatewayHarness, TestUser } from '../support/gateway-harness';
import { EventRecorder } from '../support/ws-events';

let h: GatewayHarness;
let baseUrl: string;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
const sockets: EventRecorder[] = [];

beforeAll(async () => {
  h = await GatewayHarness.start();
  baseUrl = await h.listen();
  admin = await h.signUp('admin');
  alice = await h.signUp('alice', admin);
  bob = await h.signUp('bob', admin);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await h?.close();
});

async function socketOf(user: TestUser): Promise<EventRecorder> {
  const socket = await EventRecorder.connect(baseUrl, user.token);
  sockets.push(socket);
  return socket;
}

const pref = (user: TestUser, category: string, name: string, value: string) => ({ user_id: user.id, category, name, value });

describe('preferences /api/v4/users/{user_id}/preferences', () => {
  it('saves, lists, reads by category and by name, and tells the user’s sessions', async () => {
    const socket = await socketOf(alice);
    const saved = [
      pref(alice, 'display_settings', 'use_military_time', 'true'),
      pref(alice, 'display_settings', 'name_format', 'username'),
    ];
    expect((await h.as(alice).put('/api/v4/users/me/preferences').send(saved).expect(200)).body).toEqual({ status: 'OK' });

    const changed = await socket.next('preferences_changed');
    expect(typeof changed.data.preferences).toBe('string');
    expect(JSON.parse(changed.data.preferences as string)).toEqual(saved);
    expect(changed.broadcast.user_id).toBe(alice.id);

    const all = (await h.as(alice).get('/api/v4/users/me/preferences').expect(200)).body;
    expect(all).toEqual(expect.arrayContaining(saved));
    const byCategory = (await h.as(alice).get(`/api/v4/users/${alice.id}/preferences/display_settings`).expect(200)).body;
    expect(byCategory).toHaveLength(2);
    const one = await h.as(alice).get(`/api/v4/users/${alice.id}/preferences/display_settings/name/name_format`).expect(200);
    expect(one.body).toEqual(saved[1]);

    // Saving again replaces the value.
    await h
      .as(alice)
      .put('/api/v4/users/me/preferences')
      .send([pref(alice, 'display_settings', 'name_format', 'full_name')])
      .expect(200);
    expect((await h.as(alice).get('/api/v4/users/me/preferences/display_settings/name/name_format').expect(200)).body.value).toBe(
      'full_name',
    );
  });

  it('deletes preferences and sends preferences_deleted', async () => {
    const socket = await socketOf(alice);
    await h
      .as(alice)
      .put('/api/v4/users/me/preferences')
      .send([pref(alice, 'tutorial_step', alice.id, '999')])
      .expect(200);
    const removed = [pref(alice, 'tutorial_step', alice.id, '999')];
    await h.as(alice).post('/api/v4/users/me/preferences/delete').send(removed).expect(200);
    const deleted = await socket.next('preferences_deleted');
    expect(JSON.parse(deleted.data.preferences as string)).toEqual(removed);
    expect((await h.as(alice).get('/api/v4/users/me/preferences/tutorial_step').expect(200)).body).toEqual([]);
    const missing = await h.as(alice).get(`/api/v4/users/me/preferences/tutorial_step/name/${alice.id}`).expect(404);
    expect(missing.body.id).toBe('app.preference.get.app_error');
  });

  it('lets only the user themself (or a system admin) read or change them, without telling anyone else', async () => {
    await h
      .as(bob)
      .put('/api/v4/users/me/preferences')
      .send([pref(bob, 'theme', '', '{"sidebarBg":"#145dbf"}')])
      .expect(200);
    const bobSocket = await socketOf(bob);
    const aliceSocket = await socketOf(alice);
    await h.as(alice).get(`/api/v4/users/${bob.id}/preferences`).expect(403);
    await h.as(alice).get(`/api/v4/users/${bob.id}/preferences/theme`).expect(403);
    await h.as(alice).get(`/api/v4/users/${bob.id}/preferences/theme/name/x`).expect(403);
    await h
      .as(alice)
      .put(`/api/v4/users/${bob.id}/preferences`)
      .send([pref(bob, 'theme', '', '{}')])
      .expect(403);
    await h
      .as(alice)
      .post(`/api/v4/users/${bob.id}/preferences/delete`)
      .send([pref(bob, 'theme', '', '')])
      .expect(403);
    // Alice's own path with Bob's preferences in the body is refused too.
    const other = await h
      .as(alice)
      .put('/api/v4/users/me/preferences')
      .send([pref(bob, 'theme', '', '{}')])
      .expect(403);
    expect(other.body.id).toBe('api.preference.update_preferences.set.app_error');
    await h
      .as(alice)
      .post('/api/v4/users/me/preferences/delete')
      .send([pref(bob, 'theme', '', '')])
      .expect(403);
    expect((await h.as(bob).get('/api/v4/users/me/preferences/theme').expect(200)).body).toEqual([
      pref(bob, 'theme', '', '{"sidebarBg":"#145dbf"}'),
    ]);

    expect((await h.as(admin).get(`/api/v4/users/${bob.id}/preferences`).expect(200)).body).toHaveLength(1);
    await h
      .as(admin)
      .put(`/api/v4/users/${bob.id}/preferences`)
      .send([pref(bob, 'display_settings', 'colorize_usernames', 'false')])
      .expect(200);
    const toBob = await bobSocket.next('preferences_changed');
    expect(JSON.parse(toBob.data.preferences as string)).toEqual([pref(bob, 'display_settings', 'colorize_usernames', 'false')]);
    expect(aliceSocket.named('preferences_changed')).toEqual([]);
    await h.http.get(`/api/v4/users/${bob.id}/preferences`).expect(401);
  });

  it('validates category, name and value as Mattermost does', async () => {
    const put = (body: unknown) =>
      h
        .as(alice)
        .put('/api/v4/users/me/preferences')
        .send(body as object);
    expect((await put([pref(alice, '', 'n', 'v')]).expect(400)).body.id).toBe('model.preference.is_valid.category.app_error');
    await put([pref(alice, 'c'.repeat(33), 'n', 'v')]).expect(400);
    await put([pref(alice, 'c'.repeat(32), 'n'.repeat(32), 'v')]).expect(200);
    expect((await put([pref(alice, 'cat', 'n'.repeat(33), 'v')]).expect(400)).body.id).toBe('model.preference.is_valid.name.app_error');
    expect((await put([pref(alice, 'cat', 'n', 'v'.repeat(20001))]).expect(400)).body.id).toBe('model.preference.is_valid.value.app_error');
    await put([pref(alice, 'cat', 'long', 'é'.repeat(20000))]).expect(200);
    expect((await put([pref(alice, 'theme', '', 'not json')]).expect(400)).body.id).toBe('model.preference.is_valid.theme.app_error');
    await put([pref(alice, 'theme', '', '{"sidebarBg": 3}')]).expect(400);
    await put([pref(alice, 'sidebar_settings', 'limit_visible_dms_gms', '41')]).expect(400);
    await put([pref(alice, 'sidebar_settings', 'limit_visible_dms_gms', '40')]).expect(200);
    await put({ user_id: alice.id, category: 'c', name: 'n', value: 'v' }).expect(400);
    await put([{ user_id: alice.id, category: 'c', name: 'n', value: 5 }]).expect(400);
    await put(['c']).expect(400);
    // Nothing of a refused batch is saved.
    await put([pref(alice, 'batch', 'first', 'v'), pref(alice, '', 'second', 'v')]).expect(400);
    expect((await h.as(alice).get('/api/v4/users/me/preferences/batch').expect(200)).body).toEqual([]);
    await h.as(alice).get('/api/v4/users/me/preferences/bad-category').expect(400);
    await h.as(alice).get('/api/v4/users/me/preferences/cat/name/bad-name').expect(400);
    await h.as(alice).get('/api/v4/users/not-an-id/preferences').expect(400);
  });

  it('saves a post only for a user who can read it', async () => {
    const team = (await h.as(bob).post('/api/v4/teams').send({ name: 'bobs', display_name: 'Bobs', type: 'I' }).expect(201)).body;
    const channel = (
      await h.as(bob).post('/api/v4/channels').send({ team_id: team.id, name: 'secret', display_name: 'Secret', type: 'P' }).expect(201)
    ).body;
    const post = (await h.as(bob).post('/api/v4/posts').send({ channel_id: channel.id, message: 'hidden' }).expect(201)).body;
    await h
      .as(bob)
      .put('/api/v4/users/me/preferences')
      .send([pref(bob, 'flagged_post', post.id, 'true')])
      .expect(200);
    const refused = await h
      .as(alice)
      .put('/api/v4/users/me/preferences')
      .send([pref(alice, 'flagged_post', post.id, 'true')])
      .expect(403);
    expect(refused.body.message).toContain('read_channel');
    await h
      .as(alice)
      .put('/api/v4/users/me/preferences')
      .send([pref(alice, 'flagged_post', 'abcdefghijklmnopqrstuvwxyz', 'true')])
      .expect(400);
  });
});
