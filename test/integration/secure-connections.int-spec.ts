import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { ConnectionStateChanged, ConnectionStateChangedEvent } from '@fedchat/contracts';
import { decryptInvite, encryptInvite, hashToken, newId, toBase64UrlPadded } from '@fedchat/crypto';
import { addChannelMember, freePort, tapEvents, waitFor } from '@fedchat/testing';
import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { ClusterPlace, connectClusters, startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * Two clusters (gateway + remote-cluster app each, real PostgreSQL each, on loopback ports) connect through the REST
 * API and the slash command, ping each other, and refuse every kind of bad peer input.
 */

const FAST = {
  REMOTE_CLUSTER_PING_INTERVAL_MS: '300',
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '2000',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
};

interface Cluster extends TestCluster {
  states: ConnectionStateChanged[];
}

async function startCluster(name: string, reuse?: ClusterPlace): Promise<Cluster> {
  const cluster = await startTestCluster(name, FAST, [RemoteClusterModule], reuse);
  const states: ConnectionStateChanged[] = [];
  tapEvents(cluster.h.app, ConnectionStateChangedEvent, (e) => void states.push(e));
  return { ...cluster, states };
}

async function remoteOf(c: Cluster, id: string) {
  return (await c.h.as(c.admin).get(`/api/v4/remotecluster/${id}`).expect(200)).body;
}

/** fedchat_remote_cluster_online of a remote, or undefined without a series. */
async function onlineGauge(remoteId: string): Promise<number | undefined> {
  const metric = await register.getSingleMetric('fedchat_remote_cluster_online')?.get();
  return metric?.values.find((v) => v.labels.remote_id === remoteId)?.value;
}

function frame(remoteId: string, topic: string, payload: Record<string, unknown>) {
  return { remote_id: remoteId, msg: { id: newId(), topic, create_at: Date.now(), payload } };
}

let a: Cluster;
let b: Cluster;

beforeAll(async () => {
  a = await startCluster('a');
  b = await startCluster('b');
});
afterAll(async () => {
  await a?.h.close();
  await b?.h.close();
});

describe('secure connections between two clusters', () => {
  let remoteId: string;

  it('creates an invitation with a generated password and sanitised tokens', async () => {
    const res = await a.h.as(a.admin).post('/api/v4/remotecluster').send({ name: 'Pending.One_1', default_team_id: a.teamId }).expect(201);
    expect(res.body.password).toMatch(/^.{20}$/);
    expect(res.body.remote_cluster).toMatchObject({ name: 'pending.one_1', display_name: 'Pending.One_1', token: '', remote_token: '' });
    expect(res.body.remote_cluster.site_url).toMatch(/^pending_/);
    const invite = await decryptInvite(res.body.invite, res.body.password);
    expect(invite).toMatchObject({ remote_id: res.body.remote_cluster.remote_id, site_url: a.url, version: 3 });
    // Only the hash of the token is kept, except the pending invite token that a regenerated code must carry.
    const [row] = await a.h.app
      .get(DataSource)
      .query('SELECT token_hash, invite_token FROM remote_clusters WHERE remote_id = $1', [invite.remote_id]);
    expect(row.token_hash).toBe(hashToken(invite.token));
  });

  it('chooses at creation whether channels arrive automatically in a team or wait for review', async () => {
    const review = await a.h
      .as(a.admin)
      .post('/api/v4/remotecluster')
      .send({ name: 'review-one', auto_accept_channel_invites: false })
      .expect(201);
    expect(review.body.remote_cluster).toMatchObject({ auto_accept_channel_invites: false, default_team_id: '' });
    expect((await remoteOf(a, review.body.remote_cluster.remote_id)).auto_accept_channel_invites).toBe(false);
    const auto = await a.h.as(a.admin).post('/api/v4/remotecluster').send({ name: 'auto-one', default_team_id: a.teamId }).expect(201);
    expect(auto.body.remote_cluster).toMatchObject({ auto_accept_channel_invites: true, default_team_id: a.teamId });
    // Auto-accepting needs a destination team; a bad flag value or an unknown team is refused.
    expect(
      (await a.h.as(a.admin).post('/api/v4/remotecluster').send({ name: 'auto-two', auto_accept_channel_invites: true }).expect(400)).body
        .id,
    ).toBe('api.context.invalid_param.app_error');
    await a.h
      .as(a.admin)
      .post('/api/v4/remotecluster')
      .send({ name: 'auto-three', auto_accept_channel_invites: 'yes', default_team_id: a.teamId })
      .expect(400);
    await a.h
      .as(a.admin)
      .post('/api/v4/remotecluster')
      .send({ name: 'review-two', auto_accept_channel_invites: false, default_team_id: newId() })
      .expect(400);
    // accept_invite takes the same choice: review mode passes validation without a team (and fails later on the code).
    const acceptReview = await b.h
      .as(b.admin)
      .post('/api/v4/remotecluster/accept_invite')
      .send({ name: 'x', invite: review.body.invite, password: 'Wrong-Passw0rd!', auto_accept_channel_invites: false })
      .expect(400);
    expect(acceptReview.body.id).toBe('api.remote_cluster.invite_decrypt_error');
    const acceptNoTeam = await b.h
      .as(b.admin)
      .post('/api/v4/remotecluster/accept_invite')
      .send({ name: 'x', invite: review.body.invite, password: 'Wrong-Passw0rd!' })
      .expect(400);
    expect(acceptNoTeam.body.id).toBe('api.context.invalid_param.app_error');
  });

  it('refuses weak invitation passwords and generates a strong one when none is given', async () => {
    for (const weak of ['short-A1!', 'no-uppercase-123!', 'NO-LOWERCASE-123!', 'No-Digits-Here!!', 'NoSymbols12345678']) {
      const res = await a.h
        .as(a.admin)
        .post('/api/v4/remotecluster')
        .send({ name: 'weak', default_team_id: a.teamId, password: weak })
        .expect(400);
      expect(res.body).toMatchObject({ id: 'api.remote_cluster.invite_password.app_error', status_code: 400 });
      expect(res.body.message).toMatch(/at least 12 characters/);
    }
    const pending = await a.h.as(a.admin).post('/api/v4/remotecluster').send({ name: 'strong', default_team_id: a.teamId }).expect(201);
    expect(pending.body.password).toMatch(/\p{Ll}/u);
    expect(pending.body.password).toMatch(/\p{Lu}/u);
    expect(pending.body.password).toMatch(/[0-9]/);
    expect(pending.body.password).toMatch(/[^a-zA-Z0-9]/);
    const id = pending.body.remote_cluster.remote_id;
    const weakRegen = await a.h.as(a.admin).post(`/api/v4/remotecluster/${id}/generate_invite`).send({ password: 'password' }).expect(400);
    expect(weakRegen.body.id).toBe('api.remote_cluster.invite_password.app_error');
    const names = await a.h.app.get(DataSource).query('SELECT count(*)::int AS n FROM remote_clusters WHERE name = $1', ['weak']);
    expect(names[0].n).toBe(0);
    // The slash command prints a generated password once, and refuses a weak one.
    const run = (command: string) =>
      a.h.as(a.admin).post('/api/v4/commands/execute').send({ channel_id: a.channelId, command }).expect(200);
    const weakSlash = await run('/secure-connection create --name weak --password hunter2');
    expect(weakSlash.body.text).toMatch(/^Could not create the invitation: The invitation password must have at least 12 characters/);
    const generated = await run('/secure-connection create --name generated-pw');
    const password = /\*\*Password\*\* \(generated; shown only this once\): `([^`]+)`/.exec(generated.body.text)?.[1];
    expect(password).toHaveLength(20);
    const code = /```\n(.+)\n```/.exec(generated.body.text)![1];
    expect((await decryptInvite(code, password!)).site_url).toBe(a.url);
    expect((await run('/secure-connection create --name given-pw --password Given-Passw0rd!')).body.text).not.toContain('Password**');
  });

  it('regenerates an invitation for a pending connection with the same token; both codes work', async () => {
    const created = await a.h
      .as(a.admin)
      .post('/api/v4/remotecluster')
      .send({ name: 'regen', default_team_id: a.teamId, password: 'First-Passw0rd!' })
      .expect(201);
    const id = created.body.remote_cluster.remote_id;
    const again = await a.h
      .as(a.admin)
      .post(`/api/v4/remotecluster/${id}/generate_invite`)
      .send({ password: 'Second-Passw0rd!' })
      .expect(201);
    expect(again.text.endsWith('"\n')).toBe(true);
    const second = await decryptInvite(JSON.parse(again.text), 'Second-Passw0rd!');
    const first = await decryptInvite(created.body.invite, 'First-Passw0rd!');
    expect(second.token).toBe(first.token);
    await a.h.as(a.admin).post(`/api/v4/remotecluster/${id}/generate_invite`).send({}).expect(400);
  });

  it('refuses an expired invitation (48 h) and the acceptor forgets the connection', async () => {
    const created = await a.h
      .as(a.admin)
      .post('/api/v4/remotecluster')
      .send({ name: 'old', default_team_id: a.teamId, password: 'Pw-pw-pw-pw-1!' })
      .expect(201);
    const id = created.body.remote_cluster.remote_id;
    await a.h.app
      .get(DataSource)
      .query('UPDATE remote_clusters SET create_at = $1 WHERE remote_id = $2', [Date.now() - 49 * 3600 * 1000, id]);
    const res = await b.h
      .as(b.admin)
      .post('/api/v4/remotecluster/accept_invite')
      .send({ name: 'old', default_team_id: b.teamId, invite: created.body.invite, password: 'Pw-pw-pw-pw-1!' })
      .expect(500);
    expect(res.body.id).toBe('api.remote_cluster.accept_invitation_error');
    expect(res.body.message).toMatch(/expired/);
    await b.h.as(b.admin).get(`/api/v4/remotecluster/${id}`).expect(404);
  });

  it('names the inviting site when it does not answer, and the acceptor keeps nothing', async () => {
    const siteUrl = `http://127.0.0.1:${await freePort()}`;
    const remoteId = newId();
    const invite = await encryptInvite({ remote_id: remoteId, remote_team_id: '', site_url: siteUrl, token: newId() }, 'Pw-pw-pw-pw-1!');
    const res = await b.h
      .as(b.admin)
      .post('/api/v4/remotecluster/accept_invite')
      .send({ name: 'nobody', default_team_id: b.teamId, invite, password: 'Pw-pw-pw-pw-1!' })
      .expect(500);
    expect(res.body.id).toBe('api.remote_cluster.accept_invitation_error');
    expect(res.body.message).toContain(`Could not accept the invitation: the inviting site ${siteUrl} did not answer (`);
    expect(res.body.message).toContain('ECONNREFUSED');
    await b.h.as(b.admin).get(`/api/v4/remotecluster/${remoteId}`).expect(404);
  });

  it('connects through the REST API and both sides go online within seconds', async () => {
    remoteId = await connectClusters(a, b);
    const onA = await waitFor('A sees B online', async () => {
      const rc = await remoteOf(a, remoteId);
      return rc.last_ping_at > 0 ? rc : undefined;
    });
    expect(onA).toMatchObject({ site_url: b.url, token: '', remote_token: '', display_name: 'Peer B' });
    await waitFor('B sees A online', async () => ((await remoteOf(b, remoteId)).last_ping_at > 0 ? true : undefined));
    expect((await remoteOf(b, remoteId)).site_url).toBe(a.url);
    await waitFor('online events', async () =>
      a.states.some((s) => s.remote_id === remoteId && s.online) && b.states.some((s) => s.remote_id === remoteId && s.online)
        ? true
        : undefined,
    );
    const [row] = await a.h.app
      .get(DataSource)
      .query('SELECT invite_token, remote_token FROM remote_clusters WHERE remote_id = $1', [remoteId]);
    expect(row.invite_token).toBe('');
    expect(row.remote_token).toMatch(/^[a-z0-9]{26}$/);
    const list = await a.h.as(a.admin).get('/api/v4/remotecluster?only_confirmed=true').expect(200);
    expect(list.body.map((r: { remote_id: string }) => r.remote_id)).toEqual([remoteId]);
    const gen = await a.h
      .as(a.admin)
      .post(`/api/v4/remotecluster/${remoteId}/generate_invite`)
      .send({ password: 'Another-Passw0rd!' })
      .expect(400);
    expect(gen.body.id).toBe('api.remote_cluster.generate_invite_cluster_is_confirmed');
  });

  it('refuses bad invitations and leaves nothing behind', async () => {
    const created = await a.h
      .as(a.admin)
      .post('/api/v4/remotecluster')
      .send({ name: 'bad', default_team_id: a.teamId, password: 'Right-Passw0rd!' })
      .expect(201);
    const code: string = created.body.invite;
    const accept = (invite: string, password = 'Right-Passw0rd!') =>
      b.h.as(b.admin).post('/api/v4/remotecluster/accept_invite').send({ name: 'x', default_team_id: b.teamId, invite, password });
    expect((await accept(code, 'Wrong-Passw0rd!').expect(400)).body.id).toBe('api.remote_cluster.invite_decrypt_error');
    const raw = Buffer.from(code, 'base64url');
    raw[30] ^= 0xff;
    expect((await accept(toBase64UrlPadded(raw)).expect(400)).body.id).toBe('api.remote_cluster.invite_decrypt_error');
    expect((await accept(code.slice(0, 30)).expect(400)).body.id).toMatch(/invite_decrypt_error|base64_decode_error/);
    expect((await accept('***not base64***').expect(400)).body.id).toBe('api.remote_cluster.base64_decode_error');
    await b.h
      .as(b.admin)
      .post('/api/v4/remotecluster/accept_invite')
      .send({ name: 'x', invite: code, password: 'Right-Passw0rd!' })
      .expect(400);
    const metadata = await encryptInvite(
      { remote_id: newId(), remote_team_id: '', site_url: 'http://169.254.169.254', token: newId() },
      'pw',
    );
    expect((await accept(metadata, 'pw').expect(400)).body.id).toBe('api.remote_cluster.invalid_site_url');
    const count = await b.h.app.get(DataSource).query('SELECT count(*)::int AS n FROM remote_clusters');
    expect(count[0].n).toBe(1);
  });

  it('authenticates peers and refuses bad frames on ping, msg and confirm_invite', async () => {
    const [{ remote_token: bToA }] = await b.h.app
      .get(DataSource)
      .query('SELECT remote_token FROM remote_clusters WHERE remote_id = $1', [remoteId]);
    const peer = (path: string) =>
      a.h.http.post(`/api/v4/remotecluster/${path}`).set('X-RemoteCluster-Id', remoteId).set('X-RemoteCluster-Token', bToA);
    const pong = await peer('ping')
      .send(frame(remoteId, 'ping', { sent_at: 123 }))
      .expect(200);
    expect(pong.body).toEqual({ sent_at: 123, recv_at: expect.any(Number) });
    expect(
      (
        await peer('msg')
          .send(frame(remoteId, 'no_such_topic', {}))
          .expect(200)
      ).body,
    ).toEqual({ status: 'OK' });
    const unowned = await peer('msg')
      .send(frame(remoteId, 'sharedchannel_sync', { id: newId() }))
      .expect(200);
    expect(unowned.body.status).toBe('FAIL');

    await a.h.http
      .post('/api/v4/remotecluster/ping')
      .send(frame(remoteId, 'ping', {}))
      .expect(401);
    const wrong = await a.h.http
      .post('/api/v4/remotecluster/ping')
      .set('X-RemoteCluster-Id', remoteId)
      .set('X-RemoteCluster-Token', newId())
      .send(frame(remoteId, 'ping', {}));
    expect(wrong.status).toBe(401);
    expect(wrong.body.id).toBe('api.context.invalid_token.error');
    const noId = await a.h.http
      .post('/api/v4/remotecluster/ping')
      .set('X-RemoteCluster-Token', bToA)
      .send(frame(remoteId, 'ping', {}));
    expect(noId.body.id).toBe('api.context.remote_id_missing.app_error');
    const withSession = await peer('ping')
      .set('Authorization', `Bearer ${a.admin.token}`)
      .send(frame(remoteId, 'ping', {}));
    expect(withSession.status).toBe(401);
    // The header names of Mattermost's sharedchannel README are accepted as aliases.
    const readmeNames = await a.h.http
      .post('/api/v4/remotecluster/ping')
      .set('X-MM-RemoteCluster-Id', remoteId)
      .set('X-MM-RemoteCluster-Token', bToA)
      .send(frame(remoteId, 'ping', { sent_at: 7 }))
      .expect(200);
    expect(readmeNames.body.sent_at).toBe(7);
    const readmeWrong = await a.h.http
      .post('/api/v4/remotecluster/ping')
      .set('X-MM-RemoteCluster-Id', remoteId)
      .set('X-MM-RemoteCluster-Token', newId())
      .send(frame(remoteId, 'ping', {}));
    expect(readmeWrong.status).toBe(401);
    const readmeNoId = await a.h.http
      .post('/api/v4/remotecluster/ping')
      .set('X-MM-RemoteCluster-Token', bToA)
      .send(frame(remoteId, 'ping', {}));
    expect(readmeNoId.body.id).toBe('api.context.remote_id_missing.app_error');
    const mismatch = await peer('msg').send(frame(newId(), 'ping', {}));
    expect(mismatch.status).toBe(401);
    expect(mismatch.body.id).toBe('api.context.remote_id_mismatch.app_error');
    await peer('msg').set('Content-Type', 'application/json').send('{"remote_id":').expect(400);
    await peer('msg')
      .send({ remote_id: remoteId, msg: { id: 'short', topic: 'x', create_at: 1, payload: {} } })
      .expect(400);
    await peer('msg').send({ remote_id: remoteId }).expect(400);
    await peer('msg')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(frame(remoteId, 'x', { big: 'y'.repeat(400_000) })))
      .expect(413);
    // A replayed confirmation: the invite token was single-use, so it no longer authenticates.
    const replay = await peer('confirm_invite').send(
      frame(remoteId, 'invitation', { remote_id: remoteId, site_url: b.url, token: newId(), version: 3 }),
    );
    expect(replay.status).toBe(500);
    expect(replay.body.id).toBe('api.command_remote.confirm_invitation.error');
  });

  it('restricts the admin API to manage_secure_connections and validates input', async () => {
    const user = await a.h.signUp('plainuser', a.admin);
    expect((await a.h.as(user).get('/api/v4/remotecluster').expect(403)).body.id).toBe('api.context.permissions.app_error');
    await a.h.as(user).post('/api/v4/remotecluster').send({ name: 'x', default_team_id: a.teamId }).expect(403);
    await a.h.as(a.admin).post('/api/v4/remotecluster').send({ name: 'bad name!', default_team_id: a.teamId }).expect(400);
    await a.h.as(a.admin).post('/api/v4/remotecluster').send({ name: 'noteam' }).expect(400);
    await a.h.as(a.admin).post('/api/v4/remotecluster').send({ name: 'badteam', default_team_id: newId() }).expect(400);
    expect((await a.h.as(a.admin).get(`/api/v4/remotecluster/${newId()}`).expect(404)).body.id).toBe('api.remote_cluster.get.not_found');
    await a.h.as(a.admin).get('/api/v4/remotecluster/not-an-id').expect(400);
    const patched = await a.h.as(a.admin).patch(`/api/v4/remotecluster/${remoteId}`).send({ display_name: 'Bee' }).expect(200);
    expect(patched.body).toMatchObject({ display_name: 'Bee', token: '', remote_token: '' });
  });

  it('connects through the slash command and shows the status table', async () => {
    const c = await startCluster('c');
    try {
      const run = (cl: Cluster, command: string) =>
        cl.h.as(cl.admin).post('/api/v4/commands/execute').send({ channel_id: cl.channelId, command }).expect(200);
      const created = await run(a, '/secure-connection create --name peer.c-1 --displayname “Peer C” --password Hunter22-Hunter!');
      expect(created.body.text).toMatch(/^##### Invitation created\./);
      expect(created.body.text).toContain(`via** ${a.url}`);
      const code = /```\n(.+)\n```/.exec(created.body.text)![1];
      const cTeam = (await c.h.as(c.admin).get(`/api/v4/teams/${c.teamId}`).expect(200)).body.name;
      expect(
        (await run(c, `/secure-connection accept --name peer-a --password Hunter22-Hunter! --invite ${code} --team nosuchteam`)).body.text,
      ).toMatch(/^Unknown `team`: `nosuchteam`/);
      expect(
        (await run(c, `/secure-connection accept --name peer-a --password Hunter22-Hunter! --invite ${code} --autoaccept maybe`)).body.text,
      ).toBe('Invalid value for `autoaccept`: use Y or N.');
      const accepted = await run(
        c,
        `/secure-connection accept --name peer-a --password Hunter22-Hunter! --invite ${code} --autoaccept N --team ${cTeam}`,
      );
      expect(accepted.body.text).toBe(`##### Invitation accepted and confirmed.\nSiteURL: ${a.url}`);
      const onC = (await c.h.as(c.admin).get('/api/v4/remotecluster').expect(200)).body.find((r: { name: string }) => r.name === 'peer-a');
      expect(onC).toMatchObject({ auto_accept_channel_invites: false, default_team_id: c.teamId });
      const missing = await run(c, '/secure-connection accept --name x --invite abc');
      expect(missing.body.text).toBe('Missing or empty `password`');
      const bad = await run(c, '/secure-connection accept --name x --password p --invite abc');
      expect(bad.body.text).toMatch(/^Could not decode invitation/);
      expect((await run(c, '/secure-connection frobnicate')).body.text).toBe('Unknown action `frobnicate`');
      const status = await waitFor('C shows A online', async () => {
        const text: string = (await run(c, '/secure-connection status')).body.text;
        return /\| peer-a \| peer-a \| .* \| :x: \| :white_check_mark: \| :white_check_mark: \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| :x: \|/.test(
          text,
        )
          ? text
          : undefined;
      });
      expect(status.split('\n')[0]).toBe(
        '| Connection ID | Connection URL | Description | Name | Default team | Auto-accept channels | Invite accepted | Online | Last ping (UTC) | Deleted |',
      );
      expect(status).toContain(`| ${a.url} | peer-a | peer-a | ${c.teamId} |`);
      const onA = (await a.h.as(a.admin).get('/api/v4/remotecluster').expect(200)).body.find(
        (r: { name: string }) => r.name === 'peer.c-1',
      );
      expect(onA.display_name).toBe('Peer C');
      const user = await c.h.signUp('nobody', c.admin);
      await c.h.as(c.admin).post(`/api/v4/channels/${c.channelId}/members`).send({ user_id: user.id });
      await addChannelMember(c.h.db, c.channelId, user.id);
      const denied = await c.h
        .as(user)
        .post('/api/v4/commands/execute')
        .send({ channel_id: c.channelId, command: '/secure-connection status' })
        .expect(200);
      expect(denied.body.text).toBe('You require `manage_secure_connections` permission to manage secure connections.');
      const id = /\| ([a-z0-9]{26}) \| [^|]+ \| peer-a \| peer-a \|/.exec(status)![1];
      expect((await run(c, `/secure-connection remove --connectionID ${id}`)).body.text).toBe(`##### Secure connection ${id} removed.`);
      expect((await run(c, `/secure-connection remove --connectionID ${id}`)).body.text).toMatch(/NOT FOUND/);
    } finally {
      await c.h.close();
    }
  });

  it('announces offline once when the peer stops, and online once when it is back', async () => {
    const before = a.states.filter((s) => s.remote_id === remoteId).length;
    const bPort = b.port;
    const bDb = b.h.databaseUrl;
    await b.h.close();
    await waitFor(
      'A announces B offline',
      async () => (a.states.some((s) => s.remote_id === remoteId && !s.online) ? true : undefined),
      15_000,
    );
    expect(await onlineGauge(remoteId)).toBe(0);
    b = await startCluster('b', { port: bPort, databaseUrl: bDb });
    await waitFor(
      'A announces B online again',
      async () => (a.states.filter((s) => s.remote_id === remoteId).at(-1)?.online ? true : undefined),
      15_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const transitions = a.states.filter((s) => s.remote_id === remoteId).slice(before);
    expect(transitions.map((s) => s.online)).toEqual([false, true]);
    expect(await onlineGauge(remoteId)).toBe(1);
  });

  it('severs trust at once when a connection is deleted', async () => {
    const [{ remote_token: bToA }] = await b.h.app
      .get(DataSource)
      .query('SELECT remote_token FROM remote_clusters WHERE remote_id = $1', [remoteId]);
    const ping = () =>
      a.h.http
        .post('/api/v4/remotecluster/ping')
        .set('X-RemoteCluster-Id', remoteId)
        .set('X-RemoteCluster-Token', bToA)
        .send(frame(remoteId, 'ping', {}));
    expect((await ping()).status).toBe(200);
    await a.h.as(a.admin).delete(`/api/v4/remotecluster/${remoteId}`).expect(200, { status: 'OK' });
    expect((await ping()).status).toBe(401);
    const deleted = await remoteOf(a, remoteId);
    expect(deleted.delete_at).toBeGreaterThan(0);
    // Deleting it again, or deleting one that never existed, is a 404 (Mattermost looks the live connection up first).
    const again = await a.h.as(a.admin).delete(`/api/v4/remotecluster/${remoteId}`).expect(404);
    expect(again.body.id).toBe('api.remote_cluster.get.not_found');
    await a.h.as(a.admin).delete(`/api/v4/remotecluster/${newId()}`).expect(404);
    await a.h.as(a.admin).delete('/api/v4/remotecluster/not-an-id').expect(400);
  });
});

describe('switched off, also through the deprecated ExperimentalSettings names', () => {
  it('/secure-connection says the service is disabled and creates nothing (MM_EXPERIMENTALSETTINGS_ENABLEREMOTECLUSTERSERVICE=false)', async () => {
    const off = await startTestCluster('off', { ...FAST, MM_EXPERIMENTALSETTINGS_ENABLEREMOTECLUSTERSERVICE: 'false' }, [
      RemoteClusterModule,
    ]);
    try {
      const run = (command: string) =>
        off.h.as(off.admin).post('/api/v4/commands/execute').send({ channel_id: off.channelId, command }).expect(200);
      for (const command of ['/secure-connection create --name nope', '/secure-connection status', '/share-channel status']) {
        expect((await run(command)).body.text).toMatch(/^(Secure Connection|Shared Channels) Service is disabled\.$/);
      }
      expect((await run('/secure-connection create --name nope')).body.text).toBe('Secure Connection Service is disabled.');
      await off.h.as(off.admin).post('/api/v4/remotecluster').send({ name: 'nope', default_team_id: off.teamId }).expect(501);
      const rows = await off.h.app.get(DataSource).query('SELECT count(*)::int AS n FROM remote_clusters');
      expect(rows[0].n).toBe(0);
    } finally {
      await off.h.close();
    }
  });

  it('/share-channel says shared channels are disabled (MM_EXPERIMENTALSETTINGS_ENABLESHAREDCHANNELS=false)', async () => {
    const off = await startTestCluster('offsc', { ...FAST, MM_EXPERIMENTALSETTINGS_ENABLESHAREDCHANNELS: 'false' }, [RemoteClusterModule]);
    try {
      const res = await off.h
        .as(off.admin)
        .post('/api/v4/commands/execute')
        .send({ channel_id: off.channelId, command: `/share-channel invite --connectionID ${newId()}` })
        .expect(200);
      expect(res.body.text).toBe('Shared Channels Service is disabled.');
      expect(off.h.app.get<AppConfig>(APP_CONFIG).deprecatedSettings).toEqual([
        { name: 'MM_EXPERIMENTALSETTINGS_ENABLESHAREDCHANNELS', replacement: 'MM_CONNECTEDWORKSPACESSETTINGS_ENABLESHAREDCHANNELS' },
      ]);
    } finally {
      await off.h.close();
    }
  });
});
