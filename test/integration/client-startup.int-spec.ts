import { DataSource } from 'typeorm';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/** What the Mattermost apps ask before anything else: config, license, version header, limits, unreads, device. */
describe('client start-up', () => {
  let h: GatewayHarness;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    h = await GatewayHarness.start({
      SITE_URL: 'https://chat.example.com/',
      MM_TEAMSETTINGS_SITENAME: 'Example Chat',
      MM_FILESETTINGS_MAXFILESIZE: '1048576',
      MM_PRIVACYSETTINGS_SHOWEMAILADDRESS: 'false',
    });
    admin = await h.signUp('admin');
    alice = await h.signUp('alice', admin);
    bob = await h.signUp('bob', admin);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('GET /config/client?format=old', () => {
    it('answers every value as a string, each setting as the suite has it', async () => {
      const res = await h.as(alice).get('/api/v4/config/client?format=old').expect(200);
      const config = res.body as Record<string, unknown>;
      expect(Object.values(config).every((v) => typeof v === 'string')).toBe(true);
      expect(config).toMatchObject({
        Version: '10.11.0',
        BuildNumber: 'fedchat',
        SiteURL: 'https://chat.example.com',
        SiteName: 'Example Chat',
        DiagnosticId: expect.stringMatching(/^[a-z0-9]{26}$/),
        ExperimentalSharedChannels: 'true',
        ExperimentalRemoteClusterService: 'true',
        CollapsedThreads: 'default_off',
        EnableFileAttachments: 'true',
        MaxFileSize: '1048576',
        EnableCustomEmoji: 'false',
        ShowEmailAddress: 'false',
        PostPriority: 'true',
        EnableOpenServer: 'false',
      });
      expect(config.TelemetryId).toBe(config.DiagnosticId);
    });

    it('keeps the diagnostic id across calls and users, and without format too', async () => {
      const a = await h.as(alice).get('/api/v4/config/client?format=old').expect(200);
      const b = await h.as(bob).get('/api/v4/config/client').expect(200);
      expect(b.body.DiagnosticId).toBe(a.body.DiagnosticId);
      const stored = await h.app.get(DataSource).query(`SELECT value FROM system WHERE name = 'DiagnosticId'`);
      expect(stored).toEqual([{ value: a.body.DiagnosticId }]);
    });

    it('gives a caller who is not signed in only what the login page needs', async () => {
      const res = await h.http.get('/api/v4/config/client?format=old').expect(200);
      expect(res.body).toMatchObject({ Version: '10.11.0', SiteName: 'Example Chat', EnableSignInWithUsername: 'true' });
      expect(res.body.ExperimentalSharedChannels).toBeUndefined();
      expect(res.body.MaxFileSize).toBeUndefined();
    });

    it('refuses another format', async () => {
      const res = await h.as(alice).get('/api/v4/config/client?format=new').expect(400);
      expect(res.body).toMatchObject({ id: 'api.context.invalid_param.app_error', status_code: 400 });
    });

    it('reports shared channels off when they are switched off', async () => {
      const off = await GatewayHarness.start({ MM_CONNECTEDWORKSPACESSETTINGS_ENABLESHAREDCHANNELS: 'false' });
      try {
        const first = await off.signUp('admin');
        const config = (await off.as(first).get('/api/v4/config/client?format=old').expect(200)).body;
        expect(config).toMatchObject({ ExperimentalSharedChannels: 'false', ExperimentalRemoteClusterService: 'true' });
        const license = (await off.http.get('/api/v4/license/client?format=old').expect(200)).body;
        expect(license).toMatchObject({ SharedChannels: 'false', RemoteClusterService: 'true' });
      } finally {
        await off.close();
      }
    });
  });

  describe('GET /license/client?format=old', () => {
    it('answers a license with the features the suite has, every value a string', async () => {
      const res = await h.http.get('/api/v4/license/client?format=old').expect(200);
      expect(Object.values(res.body).every((v) => typeof v === 'string')).toBe(true);
      expect(res.body).toMatchObject({
        IsLicensed: 'true',
        SharedChannels: 'true',
        RemoteClusterService: 'true',
        LDAP: 'false',
        SAML: 'false',
      });
    });

    it('refuses another format', async () => {
      await h.http.get('/api/v4/license/client?format=json').expect(400);
    });
  });

  describe('X-Version-Id', () => {
    it("is on every answer, in Mattermost's <version>.<build>.<config hash>.<licensed> form", async () => {
      const answers = await Promise.all([
        h.http.get('/api/v4/system/ping'),
        h.http.get('/api/v4/users/me'),
        h.as(alice).get('/api/v4/users/me'),
        h.as(alice).get('/api/v4/no/such/route'),
        h.http.get('/health/live'),
      ]);
      expect(answers.map((r) => r.status)).toEqual([200, 401, 200, 404, 200]);
      const ids = new Set(answers.map((r) => r.headers['x-version-id']));
      expect(ids.size).toBe(1);
      expect([...ids][0]).toMatch(/^10\.11\.0\.fedchat\.[0-9a-f]{32}\.true$/);
    });

    it('changes with the client config', async () => {
      const other = await GatewayHarness.start({ MM_TEAMSETTINGS_SITENAME: 'Other' });
      try {
        const a = (await h.http.get('/api/v4/system/ping')).headers['x-version-id'];
        const b = (await other.http.get('/api/v4/system/ping')).headers['x-version-id'];
        expect(b).not.toBe(a);
      } finally {
        await other.close();
      }
    });
  });

  describe('GET /limits/server', () => {
    it('has no limits; only admins learn the active user count', async () => {
      const asAdmin = await h.as(admin).get('/api/v4/limits/server').expect(200);
      expect(asAdmin.body).toEqual({
        maxUsersLimit: 0,
        maxUsersHardLimit: 0,
        activeUserCount: 3,
        postHistoryLimit: 0,
        lastAccessiblePostTime: 0,
      });
      const asUser = await h.as(alice).get('/api/v4/limits/server').expect(200);
      expect(asUser.body.activeUserCount).toBe(0);
      await h.http.get('/api/v4/limits/server').expect(401);
    });
  });

  describe('GET /users/{id}/teams/unread', () => {
    it('sums unread messages and mentions per team, but the excluded one', async () => {
      const { teamId, channelId } = await h.channelWith([alice, bob]);
      const other = await h.channelWith([alice]);
      const ds = h.app.get(DataSource);
      await ds.query(`UPDATE channels SET total_msg_count = 7 WHERE id = $1`, [channelId]);
      await ds.query(`UPDATE channel_members SET msg_count = 4, mention_count = 2 WHERE channel_id = $1 AND user_id = $2`, [
        channelId,
        alice.id,
      ]);
      const res = await h.as(alice).get('/api/v4/users/me/teams/unread').expect(200);
      const mine = res.body.find((t: { team_id: string }) => t.team_id === teamId);
      expect(mine).toEqual({
        team_id: teamId,
        msg_count: 3,
        mention_count: 2,
        msg_count_root: 3,
        mention_count_root: 2,
        thread_count: 0,
        thread_mention_count: 0,
        thread_urgent_mention_count: 0,
      });
      expect(res.body.map((t: { team_id: string }) => t.team_id).sort()).toEqual([teamId, other.teamId].sort());

      const excluded = await h.as(alice).get(`/api/v4/users/${alice.id}/teams/unread?exclude_team=${other.teamId}`).expect(200);
      expect(excluded.body.map((t: { team_id: string }) => t.team_id)).toEqual([teamId]);

      // A channel muted to mentions only adds its mentions, not its messages.
      await ds.query(`UPDATE channel_members SET notify_props = '{"mark_unread":"mention"}' WHERE channel_id = $1 AND user_id = $2`, [
        channelId,
        alice.id,
      ]);
      const muted = await h.as(alice).get('/api/v4/users/me/teams/unread').expect(200);
      expect(muted.body.find((t: { team_id: string }) => t.team_id === teamId)).toMatchObject({ msg_count: 0, mention_count: 2 });
    });

    it("refuses another user's unreads and a malformed exclude_team", async () => {
      await h.as(bob).get(`/api/v4/users/${alice.id}/teams/unread`).expect(403);
      await h.as(admin).get(`/api/v4/users/${alice.id}/teams/unread`).expect(200);
      await h.as(alice).get('/api/v4/users/me/teams/unread?exclude_team=nope').expect(400);
    });
  });

  describe('PUT /users/sessions/device', () => {
    it("attaches the device to the session and ends the device's older sessions", async () => {
      const first = await h.login('bob');
      const second = await h.login('bob');
      const body = { device_id: 'android_rn-v2:abc123' };
      expect((await h.as(first).put('/api/v4/users/sessions/device').send(body).expect(200)).body).toEqual({ status: 'OK' });
      await h.as(second).put('/api/v4/users/sessions/device').send(body).expect(200);
      await h.as(first).get('/api/v4/users/me').expect(401);
      await h.as(second).get('/api/v4/users/me').expect(200);
      const rows = await h.app.get(DataSource).query(`SELECT count(*)::int AS n FROM sessions WHERE device_id = $1`, [body.device_id]);
      expect(rows).toEqual([{ n: 1 }]);
    });

    it('refuses a missing device id and callers without a session', async () => {
      const res = await h.as(bob).put('/api/v4/users/sessions/device').send({}).expect(400);
      expect(res.body.id).toBe('api.context.invalid_body_param.app_error');
      await h.as(bob).put('/api/v4/users/sessions/device').send({ device_id: '' }).expect(400);
      await h.http.put('/api/v4/users/sessions/device').send({ device_id: 'x' }).expect(401);
    });
  });

  describe('custom emoji', () => {
    it("are disabled: the emoji routes answer Mattermost's 501", async () => {
      for (const path of ['/api/v4/emoji', '/api/v4/emoji/name/party', '/api/v4/emoji/autocomplete?name=pa']) {
        const res = await h.as(alice).get(path).expect(501);
        expect(res.body).toMatchObject({ id: 'api.emoji.disabled.app_error', status_code: 501 });
      }
      await h.as(alice).post('/api/v4/emoji/search').send({ term: 'pa' }).expect(501);
      await h.http.get('/api/v4/emoji').expect(401);
    });
  });

  describe('POST /groups/names', () => {
    it('answers an empty list (the suite has no groups), refuses a body that is not a list of names, needs a session', async () => {
      expect((await h.as(alice).post('/api/v4/groups/names').send(['admin', 'devs']).expect(200)).body).toEqual([]);
      await h
        .as(alice)
        .post('/api/v4/groups/names')
        .send({ names: ['x'] })
        .expect(400);
      await h.as(alice).post('/api/v4/groups/names').send([1, 2]).expect(400);
      await h.http.post('/api/v4/groups/names').send(['admin']).expect(401);
    });
  });
});
