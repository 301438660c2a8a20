import WebSocket from 'ws';
import { DataSource } from 'typeorm';
import { waitFor } from '@fedchat/testing';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

const usernames = (users: Array<{ username: string }>) => users.map((u) => u.username);

/** The lookups the apps use for mentions, member pickers, team and channel browsers, and integrations. */
describe('user, team and channel lookups', () => {
  let h: GatewayHarness;
  let admin: TestUser;
  let alice: TestUser;
  let albert: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let teamId: string;
  let channelId: string;
  let privateChannelId: string;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    admin = await h.signUp('admin');
    alice = await h.signUp('alice', admin);
    albert = await h.signUp('albert', admin);
    bob = await h.signUp('bob', admin);
    carol = await h.signUp('carol', admin);
    await h.as(alice).put('/api/v4/users/me/patch').send({ first_name: 'Zed', nickname: 'ally' }).expect(200);
    ({ teamId, channelId } = await h.channelWith([alice, bob]));
    const ds = h.app.get(DataSource);
    // albert is in the team but not in the channel; carol is in neither.
    await ds.query(`INSERT INTO team_members (team_id, user_id, roles, create_at) VALUES ($1, $2, 'team_user', 1)`, [teamId, albert.id]);
    privateChannelId = (
      await h.as(alice).post('/api/v4/channels').send({ team_id: teamId, name: 'secret', display_name: 'Secret', type: 'P' }).expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('GET /users/autocomplete', () => {
    it('reaches its route (it used to fall into /users/{user_id} and answer 400)', async () => {
      const res = await h.as(alice).get('/api/v4/users/autocomplete?name=al').expect(200);
      expect(usernames(res.body.users)).toEqual(['albert', 'alice']);
    });

    it('splits channel members from team members outside the channel', async () => {
      const res = await h.as(alice).get(`/api/v4/users/autocomplete?in_team=${teamId}&in_channel=${channelId}&name=`).expect(200);
      expect(usernames(res.body.users)).toEqual(['alice', 'bob']);
      expect(usernames(res.body.out_of_channel)).toEqual(['albert']);
      const inTeam = await h.as(alice).get(`/api/v4/users/autocomplete?in_team=${teamId}&name=a`).expect(200);
      expect(inTeam.body).toEqual({
        users: [expect.objectContaining({ username: 'albert' }), expect.objectContaining({ username: 'alice' })],
      });
    });

    it('matches nicknames and names, and sanitizes other profiles', async () => {
      const res = await h.as(bob).get('/api/v4/users/autocomplete?name=zed').expect(200);
      expect(usernames(res.body.users)).toEqual(['alice']);
      expect(res.body.users[0].notify_props).toEqual({});
      expect((await h.as(bob).get('/api/v4/users/autocomplete?name=ALL').expect(200)).body.users[0].username).toBe('alice');
    });

    it('caps the answer at the limit', async () => {
      const res = await h.as(alice).get('/api/v4/users/autocomplete?name=&limit=2').expect(200);
      expect(res.body.users).toHaveLength(2);
    });

    it('refuses a channel or team the caller cannot read, and malformed ids', async () => {
      await h.as(carol).get(`/api/v4/users/autocomplete?in_channel=${channelId}`).expect(403);
      await h.as(carol).get(`/api/v4/users/autocomplete?in_team=${teamId}`).expect(403);
      await h.as(albert).get(`/api/v4/users/autocomplete?in_channel=${privateChannelId}`).expect(403);
      await h.as(alice).get('/api/v4/users/autocomplete?in_channel=nope').expect(400);
      await h.http.get('/api/v4/users/autocomplete?name=a').expect(401);
    });
  });

  describe('POST /users/search', () => {
    it('finds users by prefix with the filters', async () => {
      const all = await h.as(alice).post('/api/v4/users/search').send({ term: 'a' }).expect(200);
      expect(usernames(all.body)).toEqual(['admin', 'albert', 'alice']);
      const inTeam = await h.as(alice).post('/api/v4/users/search').send({ term: 'a', team_id: teamId }).expect(200);
      expect(usernames(inTeam.body)).toEqual(['albert', 'alice']);
      const notInChannel = await h.as(alice).post('/api/v4/users/search').send({ term: 'a', not_in_channel_id: channelId }).expect(200);
      expect(usernames(notInChannel.body)).toEqual(['admin', 'albert']);
      const withoutTeam = await h.as(alice).post('/api/v4/users/search').send({ term: 'c', without_team: true }).expect(200);
      expect(usernames(withoutTeam.body)).toEqual(['carol']);
      const limited = await h.as(alice).post('/api/v4/users/search').send({ term: 'a', limit: 1 }).expect(200);
      expect(limited.body).toHaveLength(1);
    });

    it('leaves deactivated users out unless asked', async () => {
      const dave = await h.signUp('dave', admin);
      await h.as(admin).put(`/api/v4/users/${dave.id}/active`).send({ active: false }).expect(200);
      expect((await h.as(alice).post('/api/v4/users/search').send({ term: 'dave' }).expect(200)).body).toEqual([]);
      const inactive = await h.as(alice).post('/api/v4/users/search').send({ term: 'dave', allow_inactive: true }).expect(200);
      expect(usernames(inactive.body)).toEqual(['dave']);
    });

    it('treats % and _ in the term as letters', async () => {
      expect((await h.as(alice).post('/api/v4/users/search').send({ term: '%' }).expect(200)).body).toEqual([]);
      expect((await h.as(alice).post('/api/v4/users/search').send({ term: '_' }).expect(200)).body).toEqual([]);
    });

    it('refuses an empty term, bad filters and filters the caller may not use', async () => {
      await h.as(alice).post('/api/v4/users/search').send({ term: '' }).expect(400);
      await h.as(alice).post('/api/v4/users/search').send({}).expect(400);
      await h.as(alice).post('/api/v4/users/search').send({ term: 'a', team_id: 'nope' }).expect(400);
      await h.as(carol).post('/api/v4/users/search').send({ term: 'a', team_id: teamId }).expect(403);
      await h.as(albert).post('/api/v4/users/search').send({ term: 'a', in_channel_id: privateChannelId }).expect(403);
    });
  });

  describe('privacy of searches', () => {
    it('does not search hidden emails or full names', async () => {
      const closed = await GatewayHarness.start({ MM_PRIVACYSETTINGS_SHOWEMAILADDRESS: 'false', MM_PRIVACYSETTINGS_SHOWFULLNAME: 'false' });
      try {
        const first = await closed.signUp('boss');
        const eve = await closed.signUp('eve', first);
        await closed.signUp('mallory', first);
        await closed.as(first).put(`/api/v4/users/${eve.id}/patch`).send({ first_name: 'Quentin' }).expect(200);
        const mallory = await closed.login('mallory');
        // eve's email starts with "eve@": a search for "eve@" must not confirm it, nor "quen" her first name.
        expect((await closed.as(mallory).post('/api/v4/users/search').send({ term: 'eve@' }).expect(200)).body).toEqual([]);
        expect((await closed.as(mallory).post('/api/v4/users/search').send({ term: 'quen' }).expect(200)).body).toEqual([]);
        expect((await closed.as(mallory).get('/api/v4/users/autocomplete?name=quen').expect(200)).body.users).toEqual([]);
        const asAdmin = await closed.as(first).post('/api/v4/users/search').send({ term: 'quen' }).expect(200);
        expect(usernames(asAdmin.body)).toEqual(['eve']);
        // And the email route answers 403 to non-admins.
        const refused = await closed.as(mallory).get('/api/v4/users/email/eve@example.com').expect(403);
        expect(refused.body.id).toBe('api.user.get_user_by_email.permissions.app_error');
        expect((await closed.as(first).get('/api/v4/users/email/eve@example.com').expect(200)).body.id).toBe(eve.id);
      } finally {
        await closed.close();
      }
    });
  });

  describe('GET /users/email/{email} and /users/username/{username}', () => {
    it('find a user, sanitized for others', async () => {
      const byEmail = await h.as(bob).get('/api/v4/users/email/ALICE@example.com').expect(200);
      expect(byEmail.body).toMatchObject({ id: alice.id, email: 'alice@example.com', notify_props: {} });
      const byName = await h.as(bob).get('/api/v4/users/username/Alice').expect(200);
      expect(byName.body.id).toBe(alice.id);
      expect(byName.body.last_password_update).toBe(0);
    });

    it('answer 404 for nobody and 400 for a malformed email', async () => {
      await h.as(bob).get('/api/v4/users/email/nobody@example.com').expect(404);
      await h.as(bob).get('/api/v4/users/username/nobody').expect(404);
      await h.as(bob).get('/api/v4/users/email/not-an-email').expect(400);
      await h.http.get('/api/v4/users/email/alice@example.com').expect(401);
    });
  });

  describe('GET /teams and POST /teams/search', () => {
    let openTeam: string;
    let inviteOnlyTeam: string;

    beforeAll(async () => {
      openTeam = (await h.as(alice).post('/api/v4/teams').send({ name: 'open-one', display_name: 'Open One', type: 'O' }).expect(201)).body
        .id;
      inviteOnlyTeam = (
        await h.as(alice).post('/api/v4/teams').send({ name: 'closed-one', display_name: 'Closed One', type: 'I' }).expect(201)
      ).body.id;
    });

    it('lists open teams to users and all teams to admins, paged, sanitized', async () => {
      const mine = await h.as(carol).get('/api/v4/teams').expect(200);
      const ids = mine.body.map((t: { id: string }) => t.id);
      expect(ids).toContain(openTeam);
      expect(ids).not.toContain(inviteOnlyTeam);
      expect(mine.body.find((t: { id: string }) => t.id === openTeam)).toMatchObject({ email: '', invite_id: '' });
      const all = await h.as(admin).get('/api/v4/teams?include_total_count=true').expect(200);
      expect(all.body.teams.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining([openTeam, inviteOnlyTeam]));
      expect(all.body.total_count).toBe(all.body.teams.length);
      const page = await h.as(admin).get('/api/v4/teams?page=1&per_page=1').expect(200);
      expect(page.body).toHaveLength(1);
      expect(page.body[0].id).toBe(all.body.teams[1].id);
      await h.http.get('/api/v4/teams').expect(401);
    });

    it('searches by name or display name, by prefix', async () => {
      const found = await h.as(carol).post('/api/v4/teams/search').send({ term: 'open' }).expect(200);
      expect(found.body.map((t: { id: string }) => t.id)).toEqual([openTeam]);
      expect((await h.as(carol).post('/api/v4/teams/search').send({ term: 'closed' }).expect(200)).body).toEqual([]);
      const paged = await h.as(admin).post('/api/v4/teams/search').send({ term: 'c', page: 0, per_page: 10 }).expect(200);
      expect(paged.body).toEqual({ teams: [expect.objectContaining({ id: inviteOnlyTeam })], total_count: 1 });
      await h.as(carol).post('/api/v4/teams/search').send({}).expect(400);
    });
  });

  describe('PUT /channels/{id}', () => {
    it('updates names, header and purpose; empty values stay', async () => {
      const channel = (await h.as(alice).get(`/api/v4/channels/${privateChannelId}`).expect(200)).body;
      const res = await h
        .as(alice)
        .put(`/api/v4/channels/${privateChannelId}`)
        .send({ ...channel, display_name: 'Secret Room', header: 'new header', purpose: '' })
        .expect(200);
      expect(res.body).toMatchObject({
        id: privateChannelId,
        display_name: 'Secret Room',
        header: 'new header',
        name: 'secret',
        type: 'P',
      });
    });

    it('refuses another channel id in the body, non-managers and strangers', async () => {
      await h.as(alice).put(`/api/v4/channels/${privateChannelId}`).send({ id: channelId, display_name: 'x' }).expect(400);
      await h.as(alice).put(`/api/v4/channels/${privateChannelId}`).send({ display_name: 'x' }).expect(400);
      await h.as(bob).put(`/api/v4/channels/${privateChannelId}`).send({ id: privateChannelId, display_name: 'x' }).expect(404);
    });
  });

  describe('POST /teams/{team_id}/channels/search', () => {
    it("finds the team's public channels by prefix, for team members", async () => {
      await h
        .as(alice)
        .post('/api/v4/channels')
        .send({ team_id: teamId, name: 'general-talk', display_name: 'General Talk', type: 'O' })
        .expect(201);
      const res = await h.as(albert).post(`/api/v4/teams/${teamId}/channels/search`).send({ term: 'gen' }).expect(200);
      expect(res.body.map((c: { name: string }) => c.name)).toEqual(['general-talk']);
      expect((await h.as(albert).post(`/api/v4/teams/${teamId}/channels/search`).send({ term: 'secr' }).expect(200)).body).toEqual([]);
    });

    it('refuses non-members and bad input', async () => {
      await h.as(carol).post(`/api/v4/teams/${teamId}/channels/search`).send({ term: 'gen' }).expect(403);
      await h.as(alice).post('/api/v4/teams/nope/channels/search').send({ term: 'gen' }).expect(400);
      await h.as(alice).post(`/api/v4/teams/${teamId}/channels/search`).send({}).expect(400);
    });
  });

  describe('POST /posts/ephemeral', () => {
    it('sends the post to one user over the websocket and stores nothing', async () => {
      const url = `${(await h.listen()).replace('http', 'ws')}/api/v4/websocket`;
      const frames: Array<{ event?: string; data?: { post?: string } }> = [];
      const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${bob.token}` } });
      ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
      await waitFor('hello', async () => frames.find((f) => f.event === 'hello'), 5000, 20);
      const res = await h
        .as(admin)
        .post('/api/v4/posts/ephemeral')
        .send({ user_id: bob.id, post: { channel_id: channelId, message: 'only for bob' } })
        .expect(201);
      expect(res.body).toMatchObject({ user_id: admin.id, channel_id: channelId, message: 'only for bob', type: 'system_ephemeral' });
      const event = await waitFor('ephemeral', async () => frames.find((f) => f.event === 'ephemeral_message'), 5000, 20);
      expect(JSON.parse(event.data!.post!)).toMatchObject({ id: res.body.id, message: 'only for bob' });
      ws.close();
      await h.as(admin).get(`/api/v4/posts/${res.body.id}`).expect(404);
    });

    it('is for system admins only, and checks its input', async () => {
      const body = { user_id: bob.id, post: { channel_id: channelId, message: 'x' } };
      const refused = await h.as(alice).post('/api/v4/posts/ephemeral').send(body).expect(403);
      expect(refused.body.message).toContain('create_post_ephemeral');
      await h.as(admin).post('/api/v4/posts/ephemeral').send({ user_id: bob.id }).expect(400);
      await h
        .as(admin)
        .post('/api/v4/posts/ephemeral')
        .send({ ...body, user_id: 'nope' })
        .expect(400);
      await h
        .as(admin)
        .post('/api/v4/posts/ephemeral')
        .send({ user_id: bob.id, post: { message: 'x' } })
        .expect(400);
    });
  });
});
