import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type request from 'supertest';
import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { newId } from '@fedchat/crypto';
import { waitFor } from '@fedchat/testing';
import { crc32 } from '../../apps/gateway/src/files/png';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/**
 * Who may read which users and channels, and what of another user's profile they see (docs/privacy.md).
 *
 * The actors: `member` (bob: in the team, the private channel and a DM with alice), `teamOnly` (carol: in the team,
 * in none of its private channels or DMs), `otherTeam` (dave: only in another team) and `admin`. READ_PATHS is the one
 * list of every read path of users and channels; each is requested as every actor.
 */
const API = '/api/v4';

type Actor = 'member' | 'teamOnly' | 'otherTeam' | 'admin';
const ACTORS: Actor[] = ['member', 'teamOnly', 'otherTeam', 'admin'];

interface World {
  teamId: string;
  otherTeamId: string;
  publicId: string;
  privateId: string;
  privateName: string;
  dmId: string;
  alice: TestUser;
}

interface ReadPath {
  path: (w: World) => string;
  /** POST body, for the read paths that take one (ids, usernames). */
  body?: (w: World) => unknown;
  allowed: Actor[];
  /** What a refusal answers: the user lists 403 (as Mattermost); channel reads 404 where the channel is hidden. */
  refused: number[];
}

const EVERYONE: Actor[] = ACTORS;
const TEAM: Actor[] = ['member', 'teamOnly', 'admin'];
const MEMBERS: Actor[] = ['member', 'admin'];
const FORBIDDEN = [403];
const HIDDEN = [403, 404];

/** Every read path of users and channels, and who may use it. */
const READ_PATHS: Record<string, ReadPath> = {
  'GET /users': { path: () => `${API}/users`, allowed: EVERYONE, refused: FORBIDDEN },
  'GET /users?in_team': { path: (w) => `${API}/users?in_team=${w.teamId}`, allowed: TEAM, refused: FORBIDDEN },
  'GET /users?not_in_team': { path: (w) => `${API}/users?not_in_team=${w.teamId}`, allowed: TEAM, refused: FORBIDDEN },
  'GET /users?in_channel=public': { path: (w) => `${API}/users?in_channel=${w.publicId}`, allowed: TEAM, refused: FORBIDDEN },
  'GET /users?in_channel=private': { path: (w) => `${API}/users?in_channel=${w.privateId}`, allowed: MEMBERS, refused: FORBIDDEN },
  'GET /users?not_in_channel=private': {
    path: (w) => `${API}/users?not_in_channel=${w.privateId}`,
    allowed: MEMBERS,
    refused: FORBIDDEN,
  },
  'GET /users?in_channel=dm': { path: (w) => `${API}/users?in_channel=${w.dmId}`, allowed: MEMBERS, refused: FORBIDDEN },
  'GET /users?not_in_channel=dm': { path: (w) => `${API}/users?not_in_channel=${w.dmId}`, allowed: MEMBERS, refused: FORBIDDEN },
  'GET /users?in_channel=unknown': { path: () => `${API}/users?in_channel=${newId()}`, allowed: [], refused: FORBIDDEN },
  'GET /users?in_team=unknown': { path: () => `${API}/users?in_team=${newId()}`, allowed: ['admin'], refused: FORBIDDEN },
  'GET /users/{id}': { path: (w) => `${API}/users/${w.alice.id}`, allowed: EVERYONE, refused: FORBIDDEN },
  'GET /users/username/{name}': { path: (w) => `${API}/users/username/${w.alice.username}`, allowed: EVERYONE, refused: FORBIDDEN },
  'POST /users/ids': { path: () => `${API}/users/ids`, body: (w) => [w.alice.id], allowed: EVERYONE, refused: FORBIDDEN },
  'POST /users/usernames': { path: () => `${API}/users/usernames`, body: (w) => [w.alice.username], allowed: EVERYONE, refused: FORBIDDEN },
  'POST /users/status/ids': { path: () => `${API}/users/status/ids`, body: (w) => [w.alice.id], allowed: EVERYONE, refused: FORBIDDEN },
  'GET /users/email/{email}': { path: () => `${API}/users/email/alice@example.com`, allowed: EVERYONE, refused: FORBIDDEN },
  'GET /users/autocomplete': { path: () => `${API}/users/autocomplete?name=al`, allowed: EVERYONE, refused: FORBIDDEN },
  'GET /users/autocomplete?in_team': { path: (w) => `${API}/users/autocomplete?in_team=${w.teamId}`, allowed: TEAM, refused: FORBIDDEN },
  'GET /users/autocomplete?in_channel=private': {
    path: (w) => `${API}/users/autocomplete?in_channel=${w.privateId}&in_team=${w.teamId}`,
    allowed: MEMBERS,
    refused: FORBIDDEN,
  },
  'GET /users/autocomplete?in_channel=dm': {
    path: (w) => `${API}/users/autocomplete?in_channel=${w.dmId}`,
    allowed: MEMBERS,
    refused: FORBIDDEN,
  },
  'POST /users/search': { path: () => `${API}/users/search`, body: () => ({ term: 'al' }), allowed: EVERYONE, refused: FORBIDDEN },
  'POST /users/search in_channel=private': {
    path: () => `${API}/users/search`,
    body: (w) => ({ term: 'al', in_channel_id: w.privateId }),
    allowed: MEMBERS,
    refused: FORBIDDEN,
  },
  'POST /users/search team_id': {
    path: () => `${API}/users/search`,
    body: (w) => ({ term: 'al', team_id: w.teamId }),
    allowed: TEAM,
    refused: FORBIDDEN,
  },
  'GET /users/{id}/teams/unread': { path: (w) => `${API}/users/${w.alice.id}/teams/unread`, allowed: ['admin'], refused: FORBIDDEN },
  'POST /teams/{id}/channels/search': {
    path: (w) => `${API}/teams/${w.teamId}/channels/search`,
    body: () => ({ term: 'a' }),
    allowed: TEAM,
    refused: HIDDEN,
  },
  'GET /users/{id}/remote_origin': { path: (w) => `${API}/users/${w.alice.id}/remote_origin`, allowed: ['admin'], refused: FORBIDDEN },
  'GET /users/{id}/teams': { path: (w) => `${API}/users/${w.alice.id}/teams`, allowed: ['admin'], refused: FORBIDDEN },
  'GET /users/{id}/channels': { path: (w) => `${API}/users/${w.alice.id}/channels`, allowed: ['admin'], refused: FORBIDDEN },
  'GET /users/{id}/teams/{team}/channels': {
    path: (w) => `${API}/users/${w.alice.id}/teams/${w.teamId}/channels`,
    allowed: ['admin'],
    refused: FORBIDDEN,
  },
  'GET /teams/{id}': { path: (w) => `${API}/teams/${w.teamId}`, allowed: EVERYONE, refused: HIDDEN },
  'GET /teams/{id}/members': { path: (w) => `${API}/teams/${w.teamId}/members`, allowed: TEAM, refused: HIDDEN },
  'GET /teams/{id}/channels': { path: (w) => `${API}/teams/${w.teamId}/channels`, allowed: TEAM, refused: HIDDEN },
  'GET /channels/{public}': { path: (w) => `${API}/channels/${w.publicId}`, allowed: TEAM, refused: HIDDEN },
  'GET /channels/{public}/members': { path: (w) => `${API}/channels/${w.publicId}/members`, allowed: TEAM, refused: HIDDEN },
  'GET /channels/{private}': { path: (w) => `${API}/channels/${w.privateId}`, allowed: MEMBERS, refused: HIDDEN },
  'GET /channels/{private}/members': { path: (w) => `${API}/channels/${w.privateId}/members`, allowed: MEMBERS, refused: HIDDEN },
  'GET /channels/{private}/members/{id}': {
    path: (w) => `${API}/channels/${w.privateId}/members/${w.alice.id}`,
    allowed: MEMBERS,
    refused: HIDDEN,
  },
  'GET /channels/{private}/posts': { path: (w) => `${API}/channels/${w.privateId}/posts`, allowed: MEMBERS, refused: HIDDEN },
  'GET /channels/{private}/pinned': { path: (w) => `${API}/channels/${w.privateId}/pinned`, allowed: MEMBERS, refused: HIDDEN },
  'GET /teams/{id}/channels/name/{private}': {
    path: (w) => `${API}/teams/${w.teamId}/channels/name/${w.privateName}`,
    allowed: MEMBERS,
    refused: HIDDEN,
  },
  'GET /channels/{dm}': { path: (w) => `${API}/channels/${w.dmId}`, allowed: MEMBERS, refused: HIDDEN },
  'GET /channels/{dm}/members': { path: (w) => `${API}/channels/${w.dmId}/members`, allowed: MEMBERS, refused: HIDDEN },
  'GET /channels/{dm}/posts': { path: (w) => `${API}/channels/${w.dmId}/posts`, allowed: MEMBERS, refused: HIDDEN },
};

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let h: GatewayHarness;
let db: DataSource;
let config: AppConfig;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let dave: TestUser;
let world: World;
let as: Record<Actor, TestUser>;

function call(user: TestUser, route: ReadPath): request.Test {
  const url = route.path(world);
  return route.body
    ? h
        .as(user)
        .post(url)
        .send(route.body(world) as object)
    : h.as(user).get(url);
}

beforeAll(async () => {
  h = await GatewayHarness.start();
  db = h.app.get(DataSource);
  config = h.app.get<AppConfig>(APP_CONFIG);
  admin = await h.signUp('admin');
  alice = await h.signUp('alice', admin);
  bob = await h.signUp('bob', admin);
  carol = await h.signUp('carol', admin);
  dave = await h.signUp('dave', admin);
  as = { member: bob, teamOnly: carol, otherTeam: dave, admin };

  const team = (await h.as(alice).post(`${API}/teams`).send({ name: 'privacy', display_name: 'Privacy', type: 'O' }).expect(201)).body;
  for (const u of [bob, carol])
    await h.as(alice).post(`${API}/teams/${team.id}/members`).send({ team_id: team.id, user_id: u.id }).expect(201);
  const other = (await h.as(dave).post(`${API}/teams`).send({ name: 'elsewhere', display_name: 'Elsewhere', type: 'O' }).expect(201)).body;
  const channel = (type: 'O' | 'P', name: string) =>
    h.as(alice).post(`${API}/channels`).send({ team_id: team.id, name, display_name: name, type }).expect(201);
  const open = (await channel('O', 'open-talk')).body;
  const secret = (await channel('P', 'secret-talk')).body;
  await h.as(alice).post(`${API}/channels/${secret.id}/members`).send({ user_id: bob.id }).expect(201);
  const dm = (await h.as(alice).post(`${API}/channels/direct`).send([alice.id, bob.id]).expect(201)).body;
  world = {
    teamId: team.id,
    otherTeamId: other.id,
    publicId: open.id,
    privateId: secret.id,
    privateName: secret.name,
    dmId: dm.id,
    alice,
  };
  // Alice's private settings, which other users must not see.
  await h
    .as(alice)
    .put(`${API}/users/me/patch`)
    .send({ first_name: 'Alice', last_name: 'Liddell', notify_props: { mention_keys: 'rabbit,wonderland', email: 'true' } })
    .expect(200);
});
afterAll(async () => {
  await h?.close();
});

describe('authorization matrix over every read path of users and channels', () => {
  const cases = Object.entries(READ_PATHS).flatMap(([name, route]) => ACTORS.map((actor) => [name, actor, route] as const));

  it.each(cases)('%s as %s', async (_name, actor, route) => {
    const res = await call(as[actor], route);
    if (route.allowed.includes(actor)) {
      expect(res.status).toBe(200);
    } else {
      expect(route.refused).toContain(res.status);
      expect(res.body.status_code).toBe(res.status);
    }
  });

  it('still answers the members to those who may read the channel', async () => {
    const names = async (user: TestUser, query: string) =>
      ((await h.as(user).get(`${API}/users?${query}`).expect(200)).body as { username: string }[]).map((u) => u.username).sort();
    expect(await names(bob, `in_channel=${world.privateId}`)).toEqual(['alice', 'bob']);
    expect(await names(admin, `in_channel=${world.dmId}`)).toEqual(['alice', 'bob']);
    expect(await names(carol, `in_channel=${world.publicId}`)).toEqual(['alice']);
    expect(await names(carol, `in_team=${world.teamId}`)).toEqual(['alice', 'bob', 'carol']);
    expect(await names(carol, `not_in_team=${world.teamId}`)).toEqual(['admin', 'dave']);
  });

  it('answers 400 for a filter that is not an id', async () => {
    for (const param of ['in_team', 'not_in_team', 'in_channel', 'not_in_channel']) {
      const res = await h.as(bob).get(`${API}/users?${param}=nope`).expect(400);
      expect(res.body.id).toBe('api.context.invalid_param.app_error');
    }
  });
});

/** Every read path that answers alice's profile, and where in the answer it is. */
const PROFILE_PATHS: Record<string, (viewer: TestUser) => Promise<Record<string, unknown>>> = {
  'GET /users/{id}': async (viewer) => (await h.as(viewer).get(`${API}/users/${alice.id}`).expect(200)).body,
  'GET /users/username/{name}': async (viewer) => (await h.as(viewer).get(`${API}/users/username/alice`).expect(200)).body,
  'POST /users/ids': async (viewer) => (await h.as(viewer).post(`${API}/users/ids`).send([alice.id]).expect(200)).body[0],
  'POST /users/usernames': async (viewer) => (await h.as(viewer).post(`${API}/users/usernames`).send(['alice']).expect(200)).body[0],
  'GET /users': async (viewer) => pick((await h.as(viewer).get(`${API}/users?per_page=200`).expect(200)).body, alice.id),
  'GET /users?in_team': async (viewer) => pick((await h.as(viewer).get(`${API}/users?in_team=${world.teamId}`).expect(200)).body, alice.id),
  'GET /users?in_channel': async (viewer) =>
    pick((await h.as(viewer).get(`${API}/users?in_channel=${world.publicId}`).expect(200)).body, alice.id),
};

function pick(users: Record<string, unknown>[], id: string): Record<string, unknown> {
  const found = users.find((u) => u.id === id);
  if (!found) throw new Error(`user ${id} not in the answer`);
  return found;
}

describe('what of another user’s profile each viewer sees (Mattermost SanitizeProfile)', () => {
  const paths = Object.keys(PROFILE_PATHS);

  it.each(paths)('%s: other users get no notify_props, password date, auth service or email verification', async (name) => {
    const seen = await PROFILE_PATHS[name](bob);
    expect(seen).toMatchObject({ id: alice.id, username: 'alice', notify_props: {}, last_password_update: 0, auth_service: '' });
    expect(seen.email_verified).toBe(false);
    expect(JSON.stringify(seen)).not.toContain('rabbit');
    expect(seen).not.toHaveProperty('password');
    expect(seen).not.toHaveProperty('auth_data');
    // Shown by default (Mattermost's PrivacySettings defaults).
    expect(seen).toMatchObject({ email: 'alice@example.com', first_name: 'Alice', last_name: 'Liddell' });
  });

  it.each(paths)('%s: the user themself and system admins see the whole profile', async (name) => {
    for (const viewer of [alice, admin]) {
      const seen = await PROFILE_PATHS[name](viewer);
      expect((seen.notify_props as Record<string, string>).mention_keys).toBe('rabbit,wonderland');
      expect(seen.last_password_update).toBeGreaterThan(0);
      expect(seen.email).toBe('alice@example.com');
    }
  });

  it('hides email and full name from other users when the privacy settings say so, not from admins', async () => {
    config.privacy.showEmailAddress = false;
    config.privacy.showFullName = false;
    try {
      for (const name of paths) {
        expect(await PROFILE_PATHS[name](bob)).toMatchObject({ email: '', first_name: '', last_name: '' });
        expect(await PROFILE_PATHS[name](admin)).toMatchObject({ email: 'alice@example.com', first_name: 'Alice', last_name: 'Liddell' });
      }
    } finally {
      config.privacy.showEmailAddress = true;
      config.privacy.showFullName = true;
    }
  });
});

describe('original values of remote users', () => {
  let remy: TestUser;
  const remoteId = newId();
  const originId = newId();

  beforeAll(async () => {
    remy = await h.signUp('remy', admin);
    // What user sync stores for a remote user: its real username and email at the origin, and the first owner.
    await db.query(`UPDATE users SET remote_id = $2, username = 'remy:origin', email = $3, props = $4 WHERE id = $1`, [
      remy.id,
      remoteId,
      `${newId()}@remote.invalid`,
      JSON.stringify({ RemoteUsername: 'remy', RemoteEmail: 'remy@origin.example', OriginalRemoteId: originId, keep: 'me' }),
    ]);
  });

  it('are never in the user JSON, not even for admins', async () => {
    for (const viewer of [bob, admin]) {
      const one = (await h.as(viewer).get(`${API}/users/${remy.id}`).expect(200)).body;
      const listed = pick((await h.as(viewer).post(`${API}/users/ids`).send([remy.id]).expect(200)).body, remy.id);
      for (const seen of [one, listed]) {
        expect(seen.props).toEqual({ keep: 'me' });
        expect(seen.remote_id).toBe(remoteId);
        expect(JSON.stringify(seen)).not.toContain('remy@origin.example');
      }
    }
  });

  it('cannot be claimed by a local user through their own props', async () => {
    const props = { RemoteEmail: 'forged@example.com', RemoteUsername: 'someone', OriginalRemoteId: newId(), theme: 'dark' };
    await h.as(carol).put(`${API}/users/me/patch`).send({ props }).expect(200);
    const [row] = await db.query('SELECT props FROM users WHERE id = $1', [carol.id]);
    expect(row.props).toEqual({ theme: 'dark' });
  });

  it('are shown to system admins by GET /users/{id}/remote_origin only', async () => {
    const origin = (await h.as(admin).get(`${API}/users/${remy.id}/remote_origin`).expect(200)).body;
    expect(origin).toEqual({
      user_id: remy.id,
      remote_id: remoteId,
      original_remote_id: originId,
      remote_username: 'remy',
      remote_email: 'remy@origin.example',
    });
    const refused = await h.as(bob).get(`${API}/users/${remy.id}/remote_origin`).expect(403);
    expect(refused.body.id).toBe('api.context.permissions.app_error');
    await h.as(admin).get(`${API}/users/${newId()}/remote_origin`).expect(404);
  });
});

describe('changing one’s email takes the current password', () => {
  it('refuses a missing or wrong password and keeps the email', async () => {
    const missing = await h.as(carol).put(`${API}/users/me/patch`).send({ email: 'carol2@example.com' }).expect(400);
    expect(missing.body).toMatchObject({ id: 'api.context.invalid_param.app_error', status_code: 400 });
    const wrong = await h
      .as(carol)
      .put(`${API}/users/${carol.id}/patch`)
      .send({ email: 'carol2@example.com', password: 'not-it' })
      .expect(401);
    expect(wrong.body.id).toBe('api.user.check_user_password.invalid.app_error');
    const [row] = await db.query('SELECT email FROM users WHERE id = $1', [carol.id]);
    expect(row.email).toBe('carol@example.com');
  });

  it('changes it with the right password, and other fields need none', async () => {
    const ok = await h.as(carol).put(`${API}/users/me/patch`).send({ email: 'Carol2@example.com', password: 'password-123' }).expect(200);
    expect(ok.body.email).toBe('carol2@example.com');
    await h.as(carol).put(`${API}/users/me/patch`).send({ nickname: 'C', email: 'carol2@example.com' }).expect(200);
  });

  it('lets an admin change another user’s email without a password, not their own', async () => {
    await h.as(admin).put(`${API}/users/${carol.id}/patch`).send({ email: 'carol@example.com' }).expect(200);
    await h.as(admin).put(`${API}/users/me/patch`).send({ email: 'root@example.com' }).expect(400);
  });
});

describe('user_updated over the websocket', () => {
  type Frame = { event?: string; data?: { user?: Record<string, unknown> } };

  async function connect(url: string, user: TestUser): Promise<{ frames: Frame[]; ws: WebSocket }> {
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${user.token}` } });
    const frames: Frame[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await waitFor('hello', async () => frames.find((f) => f.event === 'hello'), 5000, 20);
    return { frames, ws };
  }

  it('gives the user and admins the whole profile, everyone else the sanitized one, once each', async () => {
    const url = (await h.listen()).replace('http', 'ws') + `${API}/websocket`;
    const sockets = { alice: await connect(url, alice), admin: await connect(url, admin), bob: await connect(url, bob) };
    try {
      await h.as(alice).put(`${API}/users/me/patch`).send({ nickname: 'Ally' }).expect(200);
      const updates = (name: keyof typeof sockets) =>
        sockets[name].frames.filter((f) => f.event === 'user_updated' && f.data?.user?.id === alice.id && f.data.user.nickname === 'Ally');
      await waitFor(
        'every socket got user_updated',
        async () => (Object.keys(sockets) as (keyof typeof sockets)[]).every((n) => updates(n).length > 0) || undefined,
        5000,
        20,
      );
      await new Promise((resolve) => setTimeout(resolve, 200)); // a second copy would have arrived by now
      for (const name of ['alice', 'admin'] as const) {
        expect(updates(name)).toHaveLength(1);
        expect(updates(name)[0].data!.user!.notify_props).toMatchObject({ mention_keys: 'rabbit,wonderland' });
      }
      expect(updates('bob')).toHaveLength(1);
      const seenByBob = updates('bob')[0].data!.user!;
      expect(seenByBob).toMatchObject({ notify_props: {}, last_password_update: 0 });
      expect(JSON.stringify(seenByBob)).not.toContain('rabbit');
    } finally {
      for (const s of Object.values(sockets)) s.ws.terminate();
    }
  });
});

describe('profile pictures are decoded, bounded and re-encoded', () => {
  /** A PNG of a few dozen bytes that declares a huge image; with `pixels`, a little compressed pixel data follows. */
  function declaredPng(width: number, height: number, pixels = false): Buffer {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const chunk = (type: string, data: Buffer) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(data.length, 0);
      head.write(type, 4, 'ascii');
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
      return Buffer.concat([head, data, crc]);
    };
    const idat = pixels ? [chunk('IDAT', deflateSync(Buffer.alloc(4096)))] : [];
    return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), ...idat, chunk('IEND', Buffer.alloc(0))]);
  }

  const stored = async (userId: string) => (await db.query('SELECT last_picture_update FROM users WHERE id = $1', [userId]))[0];

  it('refuses an image over Mattermost’s pixel limit before decoding it, and a 45-byte PNG declaring 100000×100000', async () => {
    const bomb = declaredPng(100_000, 100_000);
    expect(bomb.length).toBe(45);
    const tiny = await h.as(dave).post(`${API}/users/me/image`).attach('image', bomb, 'bomb.png');
    expect(tiny.status).toBe(400);
    expect(['api.user.upload_profile_user.check_image_limits.app_error', 'api.user.upload_profile_user.decode.app_error']).toContain(
      tiny.body.id,
    );
    for (const [width, height] of [
      [100_000, 100_000],
      [7681, 4320],
    ]) {
      const res = await h
        .as(dave)
        .post(`${API}/users/me/image`)
        .attach('image', declaredPng(width, height, true), 'big.png');
      expect(res.status).toBe(400);
      expect(res.body.id).toBe('api.user.upload_profile_user.check_image_limits.app_error');
    }
    expect(Number((await stored(dave.id)).last_picture_update)).toBe(0);
  });

  it('stores a 128×128 PNG whatever was uploaded, and serves that', async () => {
    const photo = await sharp({ create: { width: 900, height: 300, channels: 3, background: '#88aa22' } })
      .jpeg()
      .toBuffer();
    await h.as(dave).post(`${API}/users/me/image`).attach('image', photo, 'photo.jpg').expect(200);
    const served = await h
      .as(bob)
      .get(`${API}/users/${dave.id}/image`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(served.headers['content-type']).toBe('image/png');
    const meta = await sharp(served.body as Buffer).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 128, 128]);
  });
});
