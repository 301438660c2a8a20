import { DataSource } from 'typeorm';
import { joinChannel, newChannelRow, directChannelName } from '@fedchat/chat';
import { newId } from '@fedchat/crypto';
import { Channel } from '@fedchat/models';
import { GatewayHarness, TestUser } from '../support/gateway-harness';
import { EventRecorder } from '../support/ws-events';

let h: GatewayHarness;
let baseUrl: string;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
let teamId: string;
let otherTeamId: string;
const sockets: EventRecorder[] = [];

interface Category {
  id: string;
  user_id: string;
  team_id: string;
  type: string;
  display_name: string;
  sorting: string;
  sort_order: number;
  muted: boolean;
  collapsed: boolean;
  channel_ids: string[];
}

beforeAll(async () => {
  h = await GatewayHarness.start();
  baseUrl = await h.listen();
  admin = await h.signUp('admin');
  alice = await h.signUp('alice', admin);
  bob = await h.signUp('bob', admin);
  teamId = (await h.as(alice).post('/api/v4/teams').send({ name: 'team-a', display_name: 'A', type: 'O' }).expect(201)).body.id;
  await h.as(bob).post(`/api/v4/teams/${teamId}/members`).send({ team_id: teamId, user_id: bob.id }).expect(201);
  otherTeamId = (await h.as(bob).post('/api/v4/teams').send({ name: 'team-b', display_name: 'B', type: 'I' }).expect(201)).body.id;
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

const path = (user: TestUser | string, team = teamId) =>
  `/api/v4/users/${typeof user === 'string' ? user : user.id}/teams/${team}/channels/categories`;

async function categoriesOf(user: TestUser): Promise<{ categories: Category[]; order: string[] }> {
  return (await h.as(user).get(path(user)).expect(200)).body;
}

async function categoryOfType(user: TestUser, type: string): Promise<Category> {
  const found = (await categoriesOf(user)).categories.find((c) => c.type === type);
  if (!found) throw new Error(`no ${type} category`);
  return found;
}

async function createChannel(user: TestUser, name: string, type: 'O' | 'P' = 'O'): Promise<string> {
  return (await h.as(user).post('/api/v4/channels').send({ team_id: teamId, name, display_name: name, type }).expect(201)).body.id;
}

/** Writes a channel and its membership the way shared-channel-sync does for a channel accepted from a peer. */
async function channelFromPeer(fields: Pick<Channel, 'team_id' | 'type' | 'display_name' | 'name'>, memberIds: string[]): Promise<string> {
  const ds = h.app.get(DataSource);
  const now = Date.now();
  const channel: Channel = { ...newChannelRow({ ...fields, creator_id: memberIds[0] }, now), shared: true };
  await ds.transaction(async (tx) => {
    await tx.getRepository(Channel).insert({ ...channel });
    for (const id of memberIds) await joinChannel(tx, channel.id, id, { admin: false, now });
  });
  return channel.id;
}

describe('sidebar categories', () => {
  it('gives each user favorites, channels and direct messages in Mattermost shape, with the team’s channels and the user’s DMs', async () => {
    const dm = (await h.as(alice).post('/api/v4/channels/direct').send([alice.id, bob.id]).expect(201)).body.id;
    const { categories, order } = await categoriesOf(alice);
    expect(categories.map((c) => c.type)).toEqual(['favorites', 'channels', 'direct_messages']);
    expect(order).toEqual(categories.map((c) => c.id));
    expect(categories.map((c) => c.id)).toEqual(['favorites', 'channels', 'direct_messages'].map((t) => `${t}_${alice.id}_${teamId}`));
    expect(categories.map((c) => c.display_name)).toEqual(['Favorites', 'Channels', 'Direct Messages']);
    for (const c of categories) {
      expect(Object.keys(c).sort()).toEqual(
        ['channel_ids', 'collapsed', 'display_name', 'id', 'muted', 'sort_order', 'sorting', 'team_id', 'type', 'user_id'].sort(),
      );
      expect(c.user_id).toBe(alice.id);
      expect(c.team_id).toBe(teamId);
      expect(typeof c.sort_order).toBe('number');
    }
    const teamChannels = (await h.as(alice).get(`/api/v4/users/me/teams/${teamId}/channels`).expect(200)).body
      .filter((c: { type: string }) => c.type === 'O' || c.type === 'P')
      .map((c: { id: string }) => c.id);
    expect(teamChannels).toHaveLength(2);
    expect([...categories[1].channel_ids].sort()).toEqual([...teamChannels].sort());
    expect(categories[2].channel_ids).toEqual([dm]);
    expect(categories[0].channel_ids).toEqual([]);
    // Bob's DM shows in every team of his, and his categories are his own.
    const bobs = (await h.as(bob).get(path(bob, otherTeamId)).expect(200)).body;
    expect(bobs.categories[2].channel_ids).toEqual([dm]);
    expect(bobs.categories[0].id).toBe(`favorites_${bob.id}_${otherTeamId}`);
  });

  it('lists new channels in the right default category: local, shared from a peer, DMs with remote users', async () => {
    const local = await createChannel(alice, 'local-new');
    const shared = await channelFromPeer({ team_id: teamId, type: 'O', display_name: 'From peer', name: 'from-peer' }, [alice.id]);
    const ds = h.app.get(DataSource);
    const remoteUser = newId();
    await ds.query(
      `INSERT INTO users (id, create_at, update_at, username, email, roles, remote_id) VALUES ($1, 1, 1, $2, $3, 'system_user', $4)`,
      [remoteUser, `carol:peer${remoteUser.slice(0, 4)}`, `${remoteUser}@remote.invalid`, newId()],
    );
    const remoteDm = await channelFromPeer({ team_id: '', type: 'D', display_name: '', name: directChannelName(alice.id, remoteUser) }, [
      alice.id,
      remoteUser,
    ]);
    const { categories } = await categoriesOf(alice);
    const [favorites, channels, direct] = categories;
    expect(channels.channel_ids).toEqual(expect.arrayContaining([local, shared]));
    expect(direct.channel_ids).toContain(remoteDm);
    expect(favorites.channel_ids).toEqual([]);
    // An archived channel is not listed unless the user placed it.
    const archived = await createChannel(alice, 'archived-soon');
    await h.as(alice).delete(`/api/v4/channels/${archived}`).expect(200);
    expect((await categoryOfType(alice, 'channels')).channel_ids).not.toContain(archived);
    expect(direct.channel_ids).not.toContain(shared);
    expect(channels.channel_ids).not.toContain(remoteDm);
  });

  it('creates a custom category after Favorites, moving its channels there, and tells the user', async () => {
    const socket = await socketOf(alice);
    const channel = await createChannel(alice, 'for-custom');
    const bobsOnly = await createChannel(bob, 'bobs-only', 'P');
    const res = await h
      .as(alice)
      .post(path(alice))
      .send({ user_id: alice.id, team_id: teamId, display_name: '  Projects ', channel_ids: [channel, bobsOnly] })
      .expect(200);
    const created: Category = res.body;
    expect(created).toMatchObject({ type: 'custom', display_name: 'Projects', user_id: alice.id, team_id: teamId, channel_ids: [channel] });
    expect(created.id).toMatch(/^[a-z0-9]{26}$/);
    const event = await socket.next('sidebar_category_created');
    expect(event.data).toEqual({ category_id: created.id });
    expect(event.broadcast.team_id).toBe(teamId);
    const { categories, order } = await categoriesOf(alice);
    expect(order.slice(0, 2)).toEqual([`favorites_${alice.id}_${teamId}`, created.id]);
    expect(categories.map((c) => c.sort_order)).toEqual(categories.map((_, i) => i * 10));
    expect(created.sort_order).toBe(10);
    expect(categories.find((c) => c.type === 'channels')?.channel_ids).not.toContain(channel);
    expect(
      (
        await h
          .as(alice)
          .get(`${path(alice)}/${created.id}`)
          .expect(200)
      ).body,
    ).toEqual(created);
  });

  it('moves a channel into favorites, keeps the favorite_channel preference in step, and sends the updated categories', async () => {
    const socket = await socketOf(alice);
    const channel = await createChannel(alice, 'to-favorite');
    const favorites = await categoryOfType(alice, 'favorites');
    const updated = (
      await h
        .as(alice)
        .put(path(alice))
        .send([{ ...favorites, channel_ids: [channel] }])
        .expect(200)
    ).body;
    expect(updated).toHaveLength(1);
    expect(updated[0].channel_ids).toEqual([channel]);
    const event = await socket.next('sidebar_category_updated');
    expect(JSON.parse(event.data.updatedCategories as string)).toEqual(updated);
    expect((await categoryOfType(alice, 'channels')).channel_ids).not.toContain(channel);
    const prefs = (await h.as(alice).get('/api/v4/users/me/preferences/favorite_channel').expect(200)).body;
    expect(prefs).toEqual([{ user_id: alice.id, category: 'favorite_channel', name: channel, value: 'true' }]);
    const changed = await socket.next('preferences_changed', (e) => String(e.data.preferences).includes(channel));
    expect(JSON.parse(changed.data.preferences as string)[0]).toMatchObject({ category: 'favorite_channel', name: channel });

    // And back: out of favorites, the preference goes and the channel returns to Channels.
    await h
      .as(alice)
      .put(`${path(alice)}/${favorites.id}`)
      .send({ ...favorites, channel_ids: [] })
      .expect(200);
    expect((await h.as(alice).get('/api/v4/users/me/preferences/favorite_channel').expect(200)).body).toEqual([]);
    expect((await categoryOfType(alice, 'channels')).channel_ids).toContain(channel);
    await socket.next('preferences_deleted', (e) => String(e.data.preferences).includes(channel));
  });

  it('follows favorite_channel preferences into the favorites category and out again', async () => {
    const socket = await socketOf(alice);
    const channel = await createChannel(alice, 'pref-favorite');
    const favorite = { user_id: alice.id, category: 'favorite_channel', name: channel, value: 'true' };
    await h.as(alice).put('/api/v4/users/me/preferences').send([favorite]).expect(200);
    expect((await categoryOfType(alice, 'favorites')).channel_ids).toContain(channel);
    const event = await socket.next('sidebar_category_updated', (e) => String(e.data.updatedCategories).includes(channel));
    expect(event.broadcast.team_id).toBe(teamId);
    await h
      .as(alice)
      .put('/api/v4/users/me/preferences')
      .send([{ ...favorite, value: 'false' }])
      .expect(200);
    expect((await categoryOfType(alice, 'favorites')).channel_ids).not.toContain(channel);
    await h
      .as(alice)
      .put('/api/v4/users/me/preferences')
      .send([{ ...favorite, value: '1' }])
      .expect(200);
    expect((await categoryOfType(alice, 'favorites')).channel_ids).toContain(channel);
    await h.as(alice).post('/api/v4/users/me/preferences/delete').send([favorite]).expect(200);
    expect((await categoryOfType(alice, 'favorites')).channel_ids).not.toContain(channel);
    expect((await categoryOfType(alice, 'channels')).channel_ids).toContain(channel);
  });

  it('tells the user of a first favourite saved before their categories exist', async () => {
    const erin = await h.signUp('erin', admin);
    await h.as(erin).post(`/api/v4/teams/${teamId}/members`).send({ team_id: teamId, user_id: erin.id }).expect(201);
    const channel = await createChannel(erin, 'erins-first');
    const socket = await socketOf(erin);
    await h
      .as(erin)
      .put('/api/v4/users/me/preferences')
      .send([{ user_id: erin.id, category: 'favorite_channel', name: channel, value: 'true' }])
      .expect(200);
    const event = await socket.next('sidebar_category_updated');
    const favorites = JSON.parse(event.data.updatedCategories as string).find((c: Category) => c.type === 'favorites');
    expect(favorites.channel_ids).toEqual([channel]);
  });

  it('makes a DM a favourite in every team of the user', async () => {
    const dm = (await h.as(bob).post('/api/v4/channels/direct').send([bob.id, alice.id]).expect(201)).body.id;
    const socket = await socketOf(bob);
    const favorites = (await h.as(bob).get(path(bob)).expect(200)).body.categories[0];
    await h
      .as(bob)
      .put(path(bob))
      .send([{ ...favorites, channel_ids: [dm] }])
      .expect(200);
    const elsewhere = (await h.as(bob).get(path(bob, otherTeamId)).expect(200)).body.categories;
    expect(elsewhere[0].channel_ids).toEqual([dm]);
    expect(elsewhere[2].channel_ids).not.toContain(dm);
    const event = await socket.next('sidebar_category_updated', (e) => e.broadcast.team_id === otherTeamId);
    expect(JSON.parse(event.data.updatedCategories as string)[0].channel_ids).toEqual([dm]);
    await h
      .as(bob)
      .put(path(bob))
      .send([{ ...favorites, channel_ids: [] }])
      .expect(200);
    expect((await h.as(bob).get(path(bob, otherTeamId)).expect(200)).body.categories[2].channel_ids).toContain(dm);
  });

  it('starts a new team’s favorites from the favorite_channel preferences', async () => {
    const dave = await h.signUp('dave', admin);
    const dm = (await h.as(dave).post('/api/v4/channels/direct').send([dave.id, alice.id]).expect(201)).body.id;
    const other = (await h.as(dave).post('/api/v4/channels/direct').send([dave.id, bob.id]).expect(201)).body.id;
    const notFavorite = (await h.as(dave).post('/api/v4/channels/direct').send([dave.id, admin.id]).expect(201)).body.id;
    const favorite = (name: string, value: string) => ({ user_id: dave.id, category: 'favorite_channel', name, value });
    await h
      .as(dave)
      .put('/api/v4/users/me/preferences')
      .send([favorite(dm, 'true'), favorite(other, '1'), favorite(notFavorite, 'false')])
      .expect(200);
    await h.as(dave).post(`/api/v4/teams/${teamId}/members`).send({ team_id: teamId, user_id: dave.id }).expect(201);
    const [favorites, , direct] = (await h.as(dave).get(path(dave)).expect(200)).body.categories;
    expect([...favorites.channel_ids].sort()).toEqual([dm, other].sort());
    expect(direct.channel_ids).toEqual([notFavorite]);
  });

  it('reorders categories and tells the user; refuses an incomplete or foreign order', async () => {
    const socket = await socketOf(alice);
    const { order } = await categoriesOf(alice);
    const reversed = [...order].reverse();
    expect(
      (
        await h
          .as(alice)
          .put(`${path(alice)}/order`)
          .send(reversed)
          .expect(200)
      ).body,
    ).toEqual(reversed);
    expect(
      (
        await h
          .as(alice)
          .get(`${path(alice)}/order`)
          .expect(200)
      ).body,
    ).toEqual(reversed);
    expect((await socket.next('sidebar_category_order_updated')).data).toEqual({ order: reversed });
    await h
      .as(alice)
      .put(`${path(alice)}/order`)
      .send(reversed.slice(1))
      .expect(400);
    await h
      .as(alice)
      .put(`${path(alice)}/order`)
      .send([...reversed, reversed[0]])
      .expect(400);
    const bobsFavorites = (await categoriesOf(bob)).order[0];
    await h
      .as(alice)
      .put(`${path(alice)}/order`)
      .send([...reversed.slice(1), bobsFavorites])
      .expect(400);
    await h
      .as(alice)
      .put(`${path(alice)}/order`)
      .send({ order: reversed })
      .expect(400);
    expect(
      (
        await h
          .as(alice)
          .get(`${path(alice)}/order`)
          .expect(200)
      ).body,
    ).toEqual(reversed);
  });

  it('updates a category’s name, sorting, collapsed and muted; a default category keeps its name and type', async () => {
    const custom = (await categoriesOf(alice)).categories.find((c) => c.type === 'custom') as Category;
    const renamed = (
      await h
        .as(alice)
        .put(`${path(alice)}/${custom.id}`)
        .send({ ...custom, display_name: 'Renamed', sorting: 'alpha', collapsed: true, muted: true, type: 'favorites' })
        .expect(200)
    ).body;
    expect(renamed).toMatchObject({ display_name: 'Renamed', sorting: 'alpha', collapsed: true, muted: true, type: 'custom' });
    const channels = await categoryOfType(alice, 'channels');
    const kept = (
      await h
        .as(alice)
        .put(path(alice))
        .send([{ ...channels, display_name: 'Mine', sorting: 'recent' }])
        .expect(200)
    ).body[0];
    expect(kept).toMatchObject({ display_name: 'Channels', sorting: 'recent', type: 'channels' });
    // The direct-messages category can be neither muted nor reordered by hand (as in Mattermost).
    const direct = await categoryOfType(alice, 'direct_messages');
    const sameDirect = (
      await h
        .as(alice)
        .put(path(alice))
        .send([{ ...direct, muted: true, channel_ids: [...direct.channel_ids].reverse().slice(1), collapsed: true }])
        .expect(200)
    ).body[0];
    expect(sameDirect).toEqual({ ...direct, collapsed: true });
  });

  it('mutes the channels of a muted category, and of a channel moved into it, and unmutes them again', async () => {
    const socket = await socketOf(alice);
    const markUnread = async (channelId: string) =>
      (await h.as(alice).get(`/api/v4/channels/${channelId}/members/me`).expect(200)).body.notify_props.mark_unread;
    const inside = await createChannel(alice, 'mute-inside');
    const moved = await createChannel(alice, 'mute-moved');
    const quiet: Category = (
      await h
        .as(alice)
        .post(path(alice))
        .send({ user_id: alice.id, team_id: teamId, display_name: 'Quiet', channel_ids: [inside] })
        .expect(200)
    ).body;
    await h
      .as(alice)
      .put(path(alice))
      .send([{ ...quiet, muted: true }])
      .expect(200);
    expect(await markUnread(inside)).toBe('mention');
    const event = await socket.next('channel_member_updated');
    expect(JSON.parse(event.data.channelMember as string)).toMatchObject({ channel_id: inside, user_id: alice.id });
    expect(await markUnread(moved)).toBe('all');
    const channels = await categoryOfType(alice, 'channels');
    await h
      .as(alice)
      .put(path(alice))
      .send([
        { ...channels, channel_ids: channels.channel_ids.filter((id) => id !== moved) },
        { ...quiet, muted: true, channel_ids: [inside, moved] },
      ])
      .expect(200);
    expect(await markUnread(moved)).toBe('mention');
    await h
      .as(alice)
      .put(`${path(alice)}/${quiet.id}`)
      .send({ ...quiet, muted: false, channel_ids: [inside, moved] })
      .expect(200);
    expect([await markUnread(inside), await markUnread(moved)]).toEqual(['all', 'all']);
  });

  it('deletes a custom category (its channels return to Channels) but not a default one', async () => {
    const socket = await socketOf(alice);
    const channel = await createChannel(alice, 'in-doomed');
    const doomed = (
      await h
        .as(alice)
        .post(path(alice))
        .send({ user_id: alice.id, team_id: teamId, display_name: 'Doomed', channel_ids: [channel] })
        .expect(200)
    ).body;
    expect(
      (
        await h
          .as(alice)
          .delete(`${path(alice)}/${doomed.id}`)
          .expect(200)
      ).body,
    ).toEqual({ status: 'OK' });
    expect((await socket.next('sidebar_category_deleted')).data).toEqual({ category_id: doomed.id });
    expect((await categoryOfType(alice, 'channels')).channel_ids).toContain(channel);
    await h
      .as(alice)
      .get(`${path(alice)}/${doomed.id}`)
      .expect(403);
    const favorites = await categoryOfType(alice, 'favorites');
    expect(
      (
        await h
          .as(alice)
          .delete(`${path(alice)}/${favorites.id}`)
          .expect(400)
      ).body.id,
    ).toBe('app.channel.sidebar_categories.app_error');
  });

  it('lets only the user themself (or a system admin) see or change their categories', async () => {
    const bobs = await categoriesOf(bob);
    const bobSocket = await socketOf(bob);
    await h.as(alice).get(path(bob)).expect(403);
    await h
      .as(alice)
      .get(`${path(bob)}/order`)
      .expect(403);
    await h
      .as(alice)
      .get(`${path(bob)}/${bobs.order[0]}`)
      .expect(403);
    await h.as(alice).put(path(bob)).send([bobs.categories[0]]).expect(403);
    await h
      .as(alice)
      .put(`${path(bob)}/order`)
      .send(bobs.order)
      .expect(403);
    await h.as(alice).post(path(bob)).send({ user_id: bob.id, team_id: teamId, display_name: 'Sneaky' }).expect(403);
    await h
      .as(alice)
      .delete(`${path(bob)}/${bobs.order[0]}`)
      .expect(403);
    // Bob's category through Alice's own path is not hers either.
    await h
      .as(alice)
      .get(`${path(alice)}/${bobs.order[0]}`)
      .expect(403);
    await h
      .as(alice)
      .put(`${path(alice)}/${bobs.order[0]}`)
      .send({ ...bobs.categories[0], user_id: alice.id })
      .expect(403);
    await h.as(alice).put(path(alice)).send([bobs.categories[0]]).expect(400);
    expect(await categoriesOf(bob)).toEqual(bobs);
    expect(bobSocket.events.filter((e) => e.event.startsWith('sidebar_'))).toEqual([]);
    expect((await h.as(admin).get(path(bob)).expect(200)).body).toEqual(bobs);
    // Alice is not in Bob's other team.
    await h.as(alice).get(path(alice, otherTeamId)).expect(403);
    await h.http.get(path(alice)).expect(401);
  });

  it('answers bad input with Mattermost errors', async () => {
    const channels = await categoryOfType(alice, 'channels');
    await h.as(alice).get(path(alice, 'not-a-team')).expect(400);
    await h
      .as(alice)
      .get(`${path(alice)}/Bad-Id!`)
      .expect(400);
    await h
      .as(alice)
      .put(path(alice))
      .send({ ...channels })
      .expect(400);
    await h.as(alice).put(path(alice)).send([]).expect(400);
    await h
      .as(alice)
      .put(path(alice))
      .send([{ ...channels, channel_ids: 'x' }])
      .expect(400);
    await h
      .as(alice)
      .put(path(alice))
      .send([{ ...channels, muted: 'yes' }])
      .expect(400);
    await h
      .as(alice)
      .put(path(alice))
      .send([{ ...channels, sorting: 'sideways' }])
      .expect(400);
    const create = (body: object) =>
      h
        .as(alice)
        .post(path(alice))
        .send({ user_id: alice.id, team_id: teamId, ...body });
    await create({ display_name: '' }).expect(400);
    await create({ display_name: 'x'.repeat(65) }).expect(400);
    await create({ display_name: 'ok', user_id: bob.id }).expect(400);
    await create({ display_name: 'ok', team_id: otherTeamId }).expect(400);
    await h
      .as(alice)
      .put(`${path(alice)}/${channels.id}`)
      .send({ ...channels, team_id: otherTeamId })
      .expect(400);
    expect(await categoryOfType(alice, 'channels')).toEqual(channels);
  });
});
