import WebSocket from 'ws';
import { waitFor } from '@fedchat/testing';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/**
 * Every timestamp (and int64 counter) the API answers must be a JSON number, as in Mattermost: clients compare and
 * add them, and `"1796431197515" > 5` or `"17" + 1` silently go wrong. The walk covers the answers of the routes
 * clients call most (the ones with a row just written by the same request in particular, where the ORM hands back
 * what the database returned) and the websocket events they cause, and the documented schemas.
 */

/** Keys that hold int64 milliseconds or counters in Mattermost's JSON. */
const NUMERIC_KEY = /(_at|_update|_time|_count(_root)?|^timestamp|^size)$/;

/** Paths (`a.b[2].c`) of numeric-keyed values that are not numbers (null allowed: Mattermost's optional int64s). */
function nonNumeric(value: unknown, path = '$', found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v, i) => nonNumeric(v, `${path}[${i}]`, found));
  else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (NUMERIC_KEY.test(key) && v !== null && typeof v !== 'number' && typeof v !== 'object' && typeof v !== 'boolean') {
        found.push(`${path}.${key}=${JSON.stringify(v)}`);
      }
      // Props and other free maps may hold anything the client stored; Mattermost does not type them either.
      if (key !== 'props' && key !== 'notify_props' && key !== 'timezone') nonNumeric(v, `${path}.${key}`, found);
    }
  }
  return found;
}

describe('timestamps are JSON numbers', () => {
  let h: GatewayHarness;
  let admin: TestUser;
  let wsUrl: string;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    admin = await h.signUp('admin');
    wsUrl = `${(await h.listen()).replace('http', 'ws')}/api/v4/websocket`;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('finds strings where numbers belong (the walk itself)', () => {
    expect(nonNumeric({ create_at: '1', a: [{ update_at: 2, last_picture_update: '3' }], props: { x_at: 'y' } })).toEqual([
      '$.create_at="1"',
      '$.a[0].last_picture_update="3"',
    ]);
  });

  it('in the answers of user, team, channel, post and reaction routes and their events', async () => {
    const frames: any[] = [];
    const ws = new WebSocket(wsUrl);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    ws.send(JSON.stringify({ action: 'authentication_challenge', seq: 1, data: { token: admin.token } }));
    await waitFor('hello', async () => frames.find((f) => f.event === 'hello'), 5000, 20);

    const answers: Record<string, unknown> = {};
    const as = h.as(admin);
    answers['POST /users'] = (
      await as.post('/api/v4/users').send({ username: 'carol', email: 'carol@example.com', password: 'password-123' }).expect(201)
    ).body;
    answers['POST /users/login'] = (
      await h.http.post('/api/v4/users/login').send({ login_id: 'carol', password: 'password-123' }).expect(200)
    ).body;
    answers['GET /users/me'] = (await as.get('/api/v4/users/me').expect(200)).body;
    answers['PUT /users/me/patch'] = (await as.put('/api/v4/users/me/patch').send({ nickname: 'boss' }).expect(200)).body;
    answers['PUT /users/me/status'] = (
      await as.put('/api/v4/users/me/status').send({ user_id: admin.id, status: 'away' }).expect(200)
    ).body;
    const team = (await as.post('/api/v4/teams').send({ name: 'numbers', display_name: 'Numbers', type: 'O' }).expect(201)).body;
    answers['POST /teams'] = team;
    answers['GET /users/me/teams/members'] = (await as.get('/api/v4/users/me/teams/members').expect(200)).body;
    const channel = (
      await as.post('/api/v4/channels').send({ team_id: team.id, name: 'numbers', display_name: 'Numbers', type: 'O' }).expect(201)
    ).body;
    answers['POST /channels'] = channel;
    answers['GET /channels/{id}/members/me'] = (await as.get(`/api/v4/channels/${channel.id}/members/me`).expect(200)).body;
    answers['GET /users/me/teams/{id}/channels'] = (await as.get(`/api/v4/users/me/teams/${team.id}/channels`).expect(200)).body;
    const post = (await as.post('/api/v4/posts').send({ channel_id: channel.id, message: 'hello' }).expect(201)).body;
    answers['POST /posts'] = post;
    answers['POST /posts reply'] = (
      await as.post('/api/v4/posts').send({ channel_id: channel.id, message: 'reply', root_id: post.id }).expect(201)
    ).body;
    answers['PUT /posts/{id}/patch'] = (await as.put(`/api/v4/posts/${post.id}/patch`).send({ message: 'edited' }).expect(200)).body;
    answers['POST /reactions'] = (
      await as.post('/api/v4/reactions').send({ user_id: admin.id, post_id: post.id, emoji_name: 'smile' }).expect(201)
    ).body;
    answers['GET /channels/{id}/posts'] = (await as.get(`/api/v4/channels/${channel.id}/posts`).expect(200)).body;
    answers['GET /posts/{id}/thread'] = (await as.get(`/api/v4/posts/${post.id}/thread`).expect(200)).body;
    answers['POST /users/ids'] = (await as.post('/api/v4/users/ids').send([admin.id]).expect(200)).body;
    answers['POST /users/status/ids'] = (await as.post('/api/v4/users/status/ids').send([admin.id]).expect(200)).body;

    for (const [route, body] of Object.entries(answers)) expect({ route, problems: nonNumeric(body) }).toEqual({ route, problems: [] });

    await waitFor('posted event', async () => frames.find((f) => f.event === 'posted'), 5000, 20);
    ws.close();
    const events = frames.filter((f) => f.event !== undefined);
    expect(events.length).toBeGreaterThan(3);
    for (const e of events) {
      // Mattermost sends the post inside `posted` as a JSON string: walk it too.
      const data = { ...e.data, post: typeof e.data?.post === 'string' ? JSON.parse(e.data.post) : e.data?.post };
      expect({ event: e.event, problems: nonNumeric(data) }).toEqual({ event: e.event, problems: [] });
    }
  });

  it('in every documented answer schema', async () => {
    const doc = (await h.http.get('/api/v4/openapi.json').expect(200)).body;
    const wrong: string[] = [];
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
      for (const [key, prop] of Object.entries<any>(schema.properties ?? {})) {
        if (!NUMERIC_KEY.test(key) || prop.$ref || prop.type === 'object' || prop.type === 'boolean') continue;
        if (prop.type !== 'number' && prop.type !== 'integer') wrong.push(`${name}.${key}: ${prop.type}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
