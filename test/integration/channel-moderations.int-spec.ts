import { Bus } from '@fedchat/common';
import { peerTopicContract, PeerResponse } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { newRemote, newShare } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { GatewayHarness, TestUser } from '../support/gateway-harness';
import { EventRecorder } from '../support/ws-events';

/*
 * Channel moderations (issue 15): `GET /channels/{id}/moderations` and `PUT .../moderations/patch` withdraw posting,
 * reacting, adding members and channel-wide mentions from a channel's members; admins keep them; content a remote
 * sends into a shared channel is accepted whatever the local moderations say.
 */

const SYNC = peerTopicContract('sharedchannel_sync');

let h: GatewayHarness;
let db: DataSource;
let admin: TestUser;
/** A plain member of the channel. */
let bob: TestUser;
/** Made channel admin through the schemes API. */
let chanAdmin: TestUser;
/** Made team admin through the schemes API, and a member of the channel. */
let teamAdmin: TestUser;
/** In the team, not in the channel. */
let carol: TestUser;
let teamId: string;
let channelId: string;
let rootPostId: string;

beforeAll(async () => {
  h = await GatewayHarness.start({ SITE_URL: 'http://127.0.0.1:9' }, [RemoteClusterModule, SharedChannelSyncModule]);
  db = h.app.get(DataSource);
  admin = await h.signUp('modadmin');
  bob = await h.signUp('modbob', admin);
  chanAdmin = await h.signUp('modchanadmin', admin);
  teamAdmin = await h.signUp('modteamadmin', admin);
  carol = await h.signUp('modcarol', admin);
  ({ teamId, channelId } = await h.channelWith([admin, bob, chanAdmin, teamAdmin]));
  await h.as(admin).post(`/api/v4/teams/${teamId}/members`).send({ team_id: teamId, user_id: carol.id }).expect(201);
  const promote = { scheme_admin: true, scheme_user: true };
  await h.as(admin).put(`/api/v4/channels/${channelId}/members/${chanAdmin.id}/schemes`).send(promote).expect(200);
  await h.as(admin).put(`/api/v4/teams/${teamId}/members/${teamAdmin.id}/schemes`).send(promote).expect(200);
  rootPostId = (await h.as(admin).post('/api/v4/posts').send({ channel_id: channelId, message: 'root' }).expect(201)).body.id;
});

afterAll(async () => {
  await h?.close();
});

afterEach(async () => {
  await db.query('DELETE FROM channel_moderations');
});

function patch(user: TestUser, body: unknown, path = 'moderations/patch') {
  return h
    .as(user)
    .put(`/api/v4/channels/${channelId}/${path}`)
    .send(body as object);
}

function post(user: TestUser, message = 'hello') {
  return h.as(user).post('/api/v4/posts').send({ channel_id: channelId, message });
}

function react(user: TestUser, emoji = 'smile') {
  return h.as(user).post('/api/v4/reactions').send({ user_id: user.id, post_id: rootPostId, emoji_name: emoji });
}

function addToChannel(user: TestUser, target: TestUser) {
  return h.as(user).post(`/api/v4/channels/${channelId}/members`).send({ user_id: target.id });
}

const ALL_ALLOWED = ['create_post', 'create_reactions', 'manage_members', 'use_channel_mentions'].map((name) => ({
  name,
  roles: { guests: null, members: { value: true, enabled: true } },
}));

describe('GET /channels/{id}/moderations', () => {
  it("answers Mattermost's ChannelModeration list: all four allowed by default", async () => {
    const res = await h.as(admin).get(`/api/v4/channels/${channelId}/moderations`).expect(200);
    expect(res.body).toEqual(ALL_ALLOWED);
  });

  it('needs manage_system; bad and unknown ids, and direct channels, are refused', async () => {
    const forbidden = await h.as(bob).get(`/api/v4/channels/${channelId}/moderations`).expect(403);
    expect(forbidden.body.message).toContain('manage_system');
    await h.as(admin).get('/api/v4/channels/nope/moderations').expect(400);
    await h.as(admin).get(`/api/v4/channels/${newId()}/moderations`).expect(404);
    const direct = await h.as(admin).post('/api/v4/channels/direct').send([admin.id, bob.id]).expect(201);
    const res = await h.as(admin).get(`/api/v4/channels/${direct.body.id}/moderations`).expect(400);
    expect(res.body.id).toBe('api.channel.patch_channel_moderations.direct_or_group.app_error');
  });
});

describe('PUT /channels/{id}/moderations/patch', () => {
  it('withdraws posting from members; channel, team and system admins still post; giving it back restores it', async () => {
    await post(bob).expect(201);
    const res = await patch(admin, [{ name: 'create_post', roles: { members: false } }]).expect(200);
    expect(res.body[0]).toEqual({ name: 'create_post', roles: { guests: null, members: { value: false, enabled: true } } });
    expect(res.body.slice(1)).toEqual(ALL_ALLOWED.slice(1));
    expect((await h.as(admin).get(`/api/v4/channels/${channelId}/moderations`).expect(200)).body).toEqual(res.body);

    const refused = await post(bob).expect(403);
    expect(refused.body).toMatchObject({ id: 'api.context.permissions.app_error', status_code: 403 });
    expect(refused.body.message).toContain('create_post');
    await post(chanAdmin).expect(201);
    await post(teamAdmin).expect(201);
    await post(admin).expect(201);
    // Reacting is a separate switch.
    await react(bob).expect(201);

    await patch(admin, [{ name: 'create_post', roles: { members: true } }]).expect(200);
    await post(bob).expect(201);
  });

  it('withdraws reacting (adding and removing one’s own reaction)', async () => {
    await react(bob, 'tada').expect(201);
    await patch(admin, [{ name: 'create_reactions', roles: { members: false } }]).expect(200);
    expect((await react(bob, 'heart').expect(403)).body.message).toContain('add_reaction');
    const removal = await h.as(bob).delete(`/api/v4/users/${bob.id}/posts/${rootPostId}/reactions/tada`).expect(403);
    expect(removal.body.message).toContain('remove_reaction');
    await react(chanAdmin, 'heart').expect(201);
    await post(bob).expect(201);
  });

  it('withdraws adding members; admins still add, and joining a public channel oneself is not moderated', async () => {
    await patch(admin, [{ name: 'manage_members', roles: { members: false } }]).expect(200);
    expect((await addToChannel(bob, carol).expect(403)).body.message).toContain('manage_public_channel_members');
    await addToChannel(chanAdmin, carol).expect(201);
    await h.as(chanAdmin).delete(`/api/v4/channels/${channelId}/members/${carol.id}`).expect(200);
    await addToChannel(carol, carol).expect(201);
    await h.as(carol).delete(`/api/v4/channels/${channelId}/members/${carol.id}`).expect(200);
    await patch(admin, [{ name: 'manage_members', roles: { members: true } }]).expect(200);
    await addToChannel(bob, carol).expect(201);
    await h.as(admin).delete(`/api/v4/channels/${channelId}/members/${carol.id}`).expect(200);
  });

  it('withdraws channel-wide mentions: @channel from a member then notifies no one, from an admin everyone', async () => {
    const base = await h.listen();
    const watcher = await EventRecorder.connect(base, admin.token);
    try {
      const mentionsOf = async (author: TestUser, message: string) => {
        const id = (await post(author, message).expect(201)).body.id;
        const event = await watcher.next('posted', (e) => JSON.parse(String(e.data.post)).id === id);
        return event.data.mentions === undefined ? [] : (JSON.parse(String(event.data.mentions)) as string[]);
      };
      expect(await mentionsOf(bob, '@channel before')).toContain(admin.id);
      await patch(admin, [{ name: 'use_channel_mentions', roles: { members: false } }]).expect(200);
      expect(await mentionsOf(bob, '@channel after')).toEqual([]);
      // A named mention still reaches its user.
      expect(await mentionsOf(bob, '@channel and @modadmin')).toEqual([admin.id]);
      expect(await mentionsOf(chanAdmin, '@all from an admin')).toContain(bob.id);
    } finally {
      watcher.close();
    }
  });

  it('is also served at PUT /channels/{id}/moderations, the path the documentation writes', async () => {
    const res = await patch(admin, [{ name: 'create_post', roles: { members: false } }], 'moderations').expect(200);
    expect(res.body[0].roles.members.value).toBe(false);
    await post(bob).expect(403);
  });

  it('needs manage_system, also for channel and team admins', async () => {
    for (const user of [bob, chanAdmin, teamAdmin]) {
      const res = await patch(user, [{ name: 'create_post', roles: { members: false } }]).expect(403);
      expect(res.body.message).toContain('manage_system');
    }
    await post(bob).expect(201);
  });

  it('refuses bad bodies with 400 and changes nothing', async () => {
    const bodies: unknown[] = [
      {},
      [],
      ['create_post'],
      [{ name: 'create_posts', roles: { members: false } }],
      [{ name: 'create_post' }],
      [{ name: 'create_post', roles: 'members' }],
      [{ name: 'create_post', roles: { members: 'no' } }],
      [{ name: 'create_post', roles: { guests: 1 } }],
      Array.from({ length: 17 }, () => ({ name: 'create_post', roles: { members: false } })),
    ];
    for (const body of bodies) {
      const res = await patch(admin, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.status_code).toBe(400);
    }
    // Guests cannot be given anything: there are no guest accounts. Switching them off changes nothing.
    await patch(admin, [{ name: 'create_post', roles: { guests: true } }]).expect(400);
    await patch(admin, [{ name: 'create_post', roles: { guests: false } }]).expect(200);
    await h.as(admin).put('/api/v4/channels/nope/moderations/patch').send([]).expect(400);
    await h
      .as(admin)
      .put(`/api/v4/channels/${newId()}/moderations/patch`)
      .send([{ name: 'create_post', roles: { members: false } }])
      .expect(404);
    expect((await h.as(admin).get(`/api/v4/channels/${channelId}/moderations`).expect(200)).body).toEqual(ALL_ALLOWED);
    await post(bob).expect(201);
  });

  it('cannot give members what the channel user role does not grant (enabled: false)', async () => {
    const role = (await h.as(admin).get('/api/v4/roles/name/channel_user').expect(200)).body;
    const withoutReactions = role.permissions.filter((p: string) => p !== 'add_reaction' && p !== 'remove_reaction');
    await h.as(admin).patch(`/api/v4/roles/${role.id}/patch`).send({ permissions: withoutReactions }).expect(200);
    try {
      const moderations = (await h.as(admin).get(`/api/v4/channels/${channelId}/moderations`).expect(200)).body;
      expect(moderations[1]).toEqual({ name: 'create_reactions', roles: { guests: null, members: { value: false, enabled: false } } });
      const res = await patch(admin, [{ name: 'create_reactions', roles: { members: true } }]).expect(400);
      expect(res.body.id).toBe('api.channel.patch_channel_moderations.restricted.app_error');
      await react(bob, 'grin').expect(403);
    } finally {
      await h.as(admin).patch(`/api/v4/roles/${role.id}/patch`).send({ permissions: role.permissions }).expect(200);
    }
    await react(bob, 'grin').expect(201);
  });
});

describe('moderations apply locally only', () => {
  it("a remote's post and reaction into a channel whose members may neither post nor react are accepted", async () => {
    const R = newId();
    await newRemote(db, { remote_id: R, name: 'peer-mod', creator_id: admin.id });
    await newShare(db, { channel_id: channelId, creator_id: admin.id }, [R], { last_post_update_at: Date.now() + 3_600_000 });
    await patch(admin, [
      { name: 'create_post', roles: { members: false } },
      { name: 'create_reactions', roles: { members: false } },
    ]).expect(200);

    const remoteUser = newId();
    const postId = newId();
    const now = Date.now();
    const res: PeerResponse = await h.app.get(Bus).request(SYNC, {
      remote_id: R,
      msg: {
        id: newId(),
        topic: 'sharedchannel_sync',
        create_at: now,
        payload: {
          channel_id: channelId,
          users: { [remoteUser]: { id: remoteUser, username: 'remo', email: 'remo@origin.example', update_at: now } },
          posts: [{ id: postId, user_id: remoteUser, channel_id: channelId, create_at: now, update_at: now, message: 'from the remote' }],
          reactions: [{ user_id: remoteUser, post_id: rootPostId, emoji_name: 'wave', create_at: now, update_at: now, delete_at: 0 }],
        },
      },
    });
    expect(res.status).toBe('OK');
    expect(res.payload).toMatchObject({ post_errors: [], reaction_errors: [] });
    expect(await db.query('SELECT message, remote_id FROM posts WHERE id = $1', [postId])).toEqual([
      { message: 'from the remote', remote_id: R },
    ]);
    expect(
      await db.query(`SELECT 1 FROM reactions WHERE post_id = $1 AND user_id = $2 AND delete_at = 0`, [rootPostId, remoteUser]),
    ).toHaveLength(1);
    // Locally the moderation holds.
    await post(bob).expect(403);
  });
});
