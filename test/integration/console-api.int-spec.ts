import * as fs from 'node:fs';
import * as path from 'node:path';
import { newId } from '@fedchat/crypto';
import { FileTransferModule } from '../../apps/file-transfer/src/file-transfer.module';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/*
 * What the Connected Workspaces console needs from the API besides Mattermost's routes: the connection health figures
 * (`GET /remotecluster/{id}/health`), role and scheme edits with the method Mattermost's client sends (PUT), and the
 * console's own files under /console/ with their headers.
 */

let h: GatewayHarness;
let admin: TestUser;
let alice: TestUser;

beforeAll(async () => {
  h = await GatewayHarness.start({ SITE_URL: 'http://127.0.0.1:9', BUS_REQUEST_TIMEOUT_MS: '5000' }, [
    RemoteClusterModule,
    SharedChannelSyncModule,
    FileTransferModule,
  ]);
  admin = await h.signUp('conadmin');
  alice = await h.signUp('conalice', admin);
});
afterAll(async () => {
  await h?.close();
});

describe('GET /remotecluster/{id}/health', () => {
  it("counts one connection's undelivered channels, the age of the oldest change, refused posts and pending files", async () => {
    const { teamId, channelId } = await h.channelWith([admin]);
    const created = await h
      .as(admin)
      .post('/api/v4/remotecluster')
      .send({ name: 'health-peer', default_team_id: teamId, password: 'Secret-password-1!' })
      .expect(201);
    const remoteId: string = created.body.remote_cluster.remote_id;
    const idle = await h.as(admin).get(`/api/v4/remotecluster/${remoteId}/health`).expect(200);
    expect(idle.body).toEqual({ remote_id: remoteId, queue_size: 0, lag_ms: 0, refused_items: 0, file_transfers_pending: 0 });

    // A confirmed share with a peer that never answers (the connection is pending): its changes stay undelivered.
    await h.db.query(
      `INSERT INTO shared_channels (channel_id, team_id, home, share_name, creator_id, create_at, update_at) VALUES ($1, $2, true, 'c', $3, $4, $4)`,
      [channelId, teamId, admin.id, Date.now()],
    );
    await h.db.query(
      `INSERT INTO shared_channel_remotes (id, channel_id, remote_id, creator_id, is_invite_accepted, is_invite_confirmed, create_at, update_at)
       VALUES ($1, $2, $3, $4, true, true, $5, $5)`,
      [newId(), channelId, remoteId, admin.id, Date.now()],
    );
    const before = Date.now();
    const post = await h.as(admin).post('/api/v4/posts').send({ channel_id: channelId, message: 'waiting for the peer' }).expect(201);
    await h.db.query(
      `INSERT INTO sync_dead_letters (id, channel_id, remote_id, post_id, reason, attempts, state, create_at, update_at)
       VALUES ($1, $2, $3, $4, 'refused', 5, 'failed', $5, $5)`,
      [newId(), channelId, remoteId, post.body.id, Date.now()],
    );
    // Far in the future: no file-transfer worker picks it up while the test reads it.
    await h.db.query(
      `INSERT INTO shared_channel_attachments (id, file_id, remote_id, create_at, channel_id, post_id, status, next_try_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)`,
      [newId(), newId(), remoteId, Date.now(), channelId, post.body.id, Date.now() + 86_400_000],
    );
    await new Promise((r) => setTimeout(r, 50));

    const busy = await h.as(admin).get(`/api/v4/remotecluster/${remoteId}/health`).expect(200);
    expect(busy.body).toMatchObject({ remote_id: remoteId, queue_size: 1, refused_items: 1, file_transfers_pending: 1 });
    expect(busy.body.lag_ms).toBeGreaterThanOrEqual(50);
    expect(busy.body.lag_ms).toBeLessThan(Date.now() - before + 1000);

    // Another connection's figures are its own.
    const other = await h
      .as(admin)
      .post('/api/v4/remotecluster')
      .send({ name: 'health-other', default_team_id: teamId, password: 'Secret-password-1!' })
      .expect(201);
    const quiet = await h.as(admin).get(`/api/v4/remotecluster/${other.body.remote_cluster.remote_id}/health`).expect(200);
    expect(quiet.body).toMatchObject({ queue_size: 0, lag_ms: 0, refused_items: 0, file_transfers_pending: 0 });
  });

  it('needs manage_secure_connections and a known connection', async () => {
    await h.as(alice).get(`/api/v4/remotecluster/${newId()}/health`).expect(403);
    await h.as(admin).get(`/api/v4/remotecluster/${newId()}/health`).expect(404);
  });
});

describe('role and scheme edits with PUT, as Client4 sends them', () => {
  it('PUT /roles/{id}/patch changes the role like PATCH', async () => {
    const role = (await h.as(admin).get('/api/v4/roles/name/system_user').expect(200)).body;
    const granted = await h
      .as(admin)
      .put(`/api/v4/roles/${role.id}/patch`)
      .send({ permissions: [...role.permissions, 'manage_secure_connections'] })
      .expect(200);
    expect(granted.body.permissions).toContain('manage_secure_connections');
    await h.as(alice).get('/api/v4/remotecluster').expect(200);
    await h.as(alice).put(`/api/v4/roles/${role.id}/patch`).send({ permissions: role.permissions }).expect(403);
    await h.as(admin).put(`/api/v4/roles/${role.id}/patch`).send({ permissions: role.permissions }).expect(200);
    await h.as(alice).get('/api/v4/remotecluster').expect(403);
  });

  it('PUT /schemes/{id}/patch renames a scheme like PATCH', async () => {
    const scheme = (await h.as(admin).post('/api/v4/schemes').send({ display_name: 'Partners', scope: 'team' }).expect(201)).body;
    const renamed = await h.as(admin).put(`/api/v4/schemes/${scheme.id}/patch`).send({ display_name: 'Partner teams' }).expect(200);
    expect(renamed.body.display_name).toBe('Partner teams');
    await h.as(alice).put(`/api/v4/schemes/${scheme.id}/patch`).send({ display_name: 'x' }).expect(403);
  });
});

describe('GET /teams/{team_id}/channels/private', () => {
  it("lists a team's private channels to a system admin, not its public ones, and refuses everyone else", async () => {
    const { teamId, channelId: privateId } = await h.channelWith([alice], 'P');
    const { channelId: publicId } = await h.channelWith([alice]);
    await h.db.query('UPDATE channels SET team_id = $1 WHERE id = $2', [teamId, publicId]);
    const listed = await h.as(admin).get(`/api/v4/teams/${teamId}/channels/private`).expect(200);
    expect(listed.body.map((c: { id: string; type: string }) => [c.id, c.type])).toEqual([[privateId, 'P']]);
    await h.as(alice).get(`/api/v4/teams/${teamId}/channels/private`).expect(403);
    await h.as(admin).get(`/api/v4/teams/${newId()}/channels/private`).expect(404);
    await h.as(admin).get('/api/v4/teams/not-an-id/channels/private').expect(400);
  });
});

describe('GET /schemes', () => {
  it('lists every team scheme, used or not, newest first, with paging and a scope filter', async () => {
    const first = (await h.as(admin).post('/api/v4/schemes').send({ display_name: 'Unused one', scope: 'team' }).expect(201)).body;
    const second = (await h.as(admin).post('/api/v4/schemes').send({ display_name: 'Unused two', scope: 'team' }).expect(201)).body;
    const all = (await h.as(admin).get('/api/v4/schemes?scope=team&per_page=200').expect(200)).body as Array<{ id: string }>;
    const ids = all.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining([first.id, second.id]));
    expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
    expect(all.find((s) => s.id === first.id)).toMatchObject({ display_name: 'Unused one', scope: 'team' });
    const page = (await h.as(admin).get('/api/v4/schemes?page=0&per_page=1').expect(200)).body as Array<{ id: string }>;
    expect(page.map((s) => s.id)).toEqual([ids[0]]);
    expect((await h.as(admin).get('/api/v4/schemes?scope=channel').expect(200)).body).toEqual([]);
    await h.as(admin).get('/api/v4/schemes?scope=system').expect(400);
    await h.as(alice).get('/api/v4/schemes').expect(403);
  });
});

describe('/console/', () => {
  const built = fs.existsSync(path.join(__dirname, '../../dist/console/index.html'));

  it('needs the console built (npm run build) for the tests below', () => {
    expect(built).toBe(true);
  });

  it('answers index.html for any console path, never cached, with a strict CSP and no framing', async () => {
    for (const p of ['/console/', '/console', '/console/connections/abc', '/console/permissions']) {
      const res = await h.http.get(p).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
      expect(res.headers['cache-control']).toBe('no-cache');
      const csp = res.headers['content-security-policy'];
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.text).toContain('<div id="root"></div>');
    }
  });

  it('serves hashed assets with their content type, cached for a year; a missing asset is 404, not the page', async () => {
    const page = await h.http.get('/console/').expect(200);
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(page.text)![1];
    const style = /href="(\/console\/assets\/[^"]+\.css)"/.exec(page.text)![1];
    const js = await h.http.get(script).expect(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript|^application\/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await h.http.get(style).expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    await h.http.get('/console/assets/index-missing.js').expect(404);
    await h.http.get('/console/assets/../../package.json').expect(404);
  });

  it('has no inline script or style in the page, which the CSP would refuse', async () => {
    const page = await h.http.get('/console/').expect(200);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.toMatch(/<style|style="/);
  });

  it('leaves the API alone: unknown API paths still answer JSON', async () => {
    const res = await h.http.get('/api/v4/console-nothing').expect(404);
    expect(res.headers['content-type']).toMatch(/json/);
  });
});
