import { Client4 } from '@mattermost/client';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/*
 * Mattermost's own JS client (Client4, as the webapp and mattermost-redux use it) reads roles and works with
 * preferences and sidebar categories: the shapes it sends are accepted and the shapes it gets are what it expects.
 */

let h: GatewayHarness;
let alice: TestUser;
let client: Client4;
let teamId: string;

beforeAll(async () => {
  h = await GatewayHarness.start();
  const url = await h.listen();
  const admin = await h.signUp('admin');
  alice = await h.signUp('alice', admin);
  client = new Client4();
  client.setUrl(url);
  client.setIncludeCookies(false);
  client.setToken(alice.token);
  teamId = (await client.createTeam({ name: 'client-team', display_name: 'Client team', type: 'O' } as never)).id;
});
afterAll(async () => {
  await h?.close();
});

describe('Mattermost Client4 against roles, preferences and sidebar categories', () => {
  it('loads the roles of the user, the team membership and the channel memberships, as the webapp does at start', async () => {
    const me = await client.getMe();
    const [member] = await client.getMyTeamMembers();
    const townSquare = await client.getChannelByName(teamId, 'town-square');
    const channelMember = await client.getMyChannelMember(townSquare.id);
    const names = [me.roles, member.roles, channelMember.roles].join(' ').split(' ').filter(Boolean);
    const roles = await client.getRolesByNames([...new Set(names)]);
    expect(roles.map((r) => r.name).sort()).toEqual(['channel_user', 'system_user', 'team_admin', 'team_user']);
    const channelUser = roles.find((r) => r.name === 'channel_user');
    expect(channelUser?.permissions).toContain('create_post');
    expect((await client.getRole(channelUser?.id ?? '')).name).toBe('channel_user');
    expect((await client.getRoleByName('team_admin')).permissions).toContain('add_user_to_team');
  });

  it('saves, reads and deletes preferences', async () => {
    const theme = { user_id: alice.id, category: 'theme', name: teamId, value: JSON.stringify({ sidebarBg: '#1e325c' }) };
    expect(await client.savePreferences(alice.id, [theme])).toEqual({ status: 'OK' });
    expect(await client.getMyPreferences()).toEqual([theme]);
    expect(await client.getUserPreferences(alice.id)).toEqual([theme]);
    await client.deletePreferences(alice.id, [theme]);
    expect(await client.getMyPreferences()).toEqual([]);
  });

  it('reads, creates, moves, reorders and deletes sidebar categories', async () => {
    const { categories, order } = await client.getChannelCategories(alice.id, teamId);
    expect(categories.map((c) => c.type)).toEqual(['favorites', 'channels', 'direct_messages']);
    const [favorites, channels] = categories;
    const townSquare = (await client.getChannelByName(teamId, 'town-square')).id;
    expect(channels.channel_ids).toContain(townSquare);

    const custom = await client.createChannelCategory(alice.id, teamId, {
      user_id: alice.id,
      team_id: teamId,
      display_name: 'Work',
      channel_ids: [townSquare],
    });
    expect(custom.channel_ids).toEqual([townSquare]);
    const moved = await client.updateChannelCategories(alice.id, teamId, [
      { ...custom, channel_ids: [] },
      { ...favorites, channel_ids: [townSquare] },
    ]);
    expect(moved.map((c) => c.channel_ids)).toEqual([[], [townSquare]]);
    expect((await client.getChannelCategory(alice.id, teamId, favorites.id)).channel_ids).toEqual([townSquare]);
    const renamed = await client.updateChannelCategory(alice.id, teamId, { ...custom, display_name: 'Projects', channel_ids: [] });
    expect(renamed.display_name).toBe('Projects');

    const newOrder = [...(await client.getChannelCategoryOrder(alice.id, teamId))].reverse();
    expect(await client.updateChannelCategoryOrder(alice.id, teamId, newOrder)).toEqual(newOrder);
    await client.deleteChannelCategory(alice.id, teamId, custom.id);
    expect((await client.getChannelCategories(alice.id, teamId)).order).toEqual(newOrder.filter((id) => id !== custom.id));
    expect(order).toHaveLength(3);
  });
});
