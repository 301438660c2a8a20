import { createHash } from 'node:crypto';
import { Client4 } from '@mattermost/client';
import { DataSource } from 'typeorm';
import { WebSocketEventMessage, WebSocketEventPublished } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { tapEvents, waitFor } from '@fedchat/testing';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

const API = '/api/v4';

let h: GatewayHarness;
let db: DataSource;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let dave: TestUser;
const events: WebSocketEventMessage[] = [];

/** The websocket event matching `match`, published on the bus (every gateway's sockets get it from there). */
function event(match: (e: WebSocketEventMessage) => boolean, what: string): Promise<WebSocketEventMessage> {
  return waitFor(what, async () => events.find(match), 5000, 20);
}

type Team = { id: string; name: string };
type Channel = { id: string; name: string; type: string; team_id: string };

async function createTeam(by: TestUser, name: string, type: 'O' | 'I' = 'O'): Promise<Team> {
  return (await h.as(by).post(`${API}/teams`).send({ name, display_name: name.toUpperCase(), type }).expect(201)).body;
}

async function createChannel(by: TestUser, teamId: string, name: string, type: 'O' | 'P' = 'O'): Promise<Channel> {
  return (await h.as(by).post(`${API}/channels`).send({ team_id: teamId, name, display_name: name, type }).expect(201)).body;
}

async function channelByName(by: TestUser, teamId: string, name: string): Promise<Channel> {
  return (await h.as(by).get(`${API}/teams/${teamId}/channels/name/${name}`).expect(200)).body;
}

async function history(channelId: string, userId: string): Promise<{ join_time: string; leave_time: string | null }[]> {
  return db.query('SELECT join_time, leave_time FROM channel_member_history WHERE channel_id = $1 AND user_id = $2 ORDER BY join_time', [
    channelId,
    userId,
  ]);
}

beforeAll(async () => {
  h = await GatewayHarness.start();
  db = h.app.get(DataSource);
  tapEvents(h.app, WebSocketEventPublished, (e) => {
    events.push(e);
  });
  admin = await h.signUp('admin');
  alice = await h.signUp('alice', admin);
  bob = await h.signUp('bob', admin);
  carol = await h.signUp('carol', admin);
  dave = await h.signUp('dave', admin);
});
afterAll(async () => {
  await h?.close();
});

describe('teams', () => {
  it('creates a team with its default channels; the creator is team admin and joins both', async () => {
    const res = await h.as(alice).post(`${API}/teams`).send({ name: 'rocket', display_name: 'Rocket', type: 'O' }).expect(201);
    const team = res.body;
    expect(team).toMatchObject({
      name: 'rocket',
      display_name: 'Rocket',
      type: 'O',
      delete_at: 0,
      description: '',
      email: 'alice@example.com',
      allow_open_invite: true,
      scheme_id: null,
      group_constrained: null,
      policy_id: null,
    });
    expect(team.id).toMatch(/^[a-z0-9]{26}$/);
    expect(team.invite_id).toMatch(/^[a-z0-9]{26}$/);
    expect(team.create_at).toBeGreaterThan(0);

    const member = await h.as(alice).get(`${API}/teams/${team.id}/members/me`).expect(200);
    expect(member.body).toMatchObject({
      team_id: team.id,
      user_id: alice.id,
      roles: 'team_user team_admin',
      delete_at: 0,
      scheme_guest: false,
    });

    const mine = await h.as(alice).get(`${API}/users/me/teams/${team.id}/channels`).expect(200);
    expect(mine.body.map((c: Channel) => c.name).sort()).toEqual(['off-topic', 'town-square']);
    const town = mine.body.find((c: Channel) => c.name === 'town-square');
    expect(town).toMatchObject({ display_name: 'Town Square', type: 'O', team_id: team.id });
    expect(mine.body.find((c: Channel) => c.name === 'off-topic').display_name).toBe('Off-Topic');
    await event((e) => e.event === 'added_to_team' && e.data.team_id === team.id && e.broadcast.user_id === alice.id, 'added_to_team');
  });

  it('validates team input and refuses duplicate names', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ name: 'Upper', display_name: 'x', type: 'O' }, 'model.team.is_valid.url.app_error'],
      [{ name: 'a', display_name: 'x', type: 'O' }, 'model.team.is_valid.url.app_error'],
      [{ name: '1team', display_name: 'x', type: 'O' }, 'model.team.is_valid.url.app_error'],
      [{ name: 'has space', display_name: 'x', type: 'O' }, 'model.team.is_valid.url.app_error'],
      [{ name: 'x'.repeat(65), display_name: 'x', type: 'O' }, 'model.team.is_valid.url.app_error'],
      [{ name: 'api', display_name: 'x', type: 'O' }, 'model.team.is_valid.reserved.app_error'],
      [{ name: 'admin-team', display_name: 'x', type: 'O' }, 'model.team.is_valid.reserved.app_error'],
      [{ name: 'goodname', display_name: ' ', type: 'O' }, 'model.team.is_valid.name.app_error'],
      [{ name: 'goodname', display_name: 'x'.repeat(65), type: 'O' }, 'model.team.is_valid.name.app_error'],
      [{ name: 'goodname', display_name: 'x', type: 'X' }, 'model.team.is_valid.type.app_error'],
      [{ display_name: 'x', type: 'O' }, 'api.context.invalid_body_param.app_error'],
      [{ name: 'goodname', type: 'O' }, 'api.context.invalid_body_param.app_error'],
      [{ name: 42, display_name: 'x', type: 'O' }, 'api.context.invalid_body_param.app_error'],
    ];
    for (const [body, id] of bad) {
      const res = await h.as(bob).post(`${API}/teams`).send(body);
      expect({ body, status: res.status, id: res.body.id }).toEqual({ body, status: 400, id });
    }
    await h.as(bob).post(`${API}/teams`).send('not json at all').set('Content-Type', 'application/json').expect(400);
    const dup = await h.as(bob).post(`${API}/teams`).send({ name: 'rocket', display_name: 'Again', type: 'O' }).expect(400);
    expect(dup.body).toMatchObject({ id: 'store.sql_team.save_team.existing.app_error', status_code: 400 });
    // Nothing half-written: no second team, no orphan channels.
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM teams WHERE name = 'rocket'`);
    expect(n).toBe(1);
    const [{ orphans }] = await db.query(
      `SELECT count(*)::int AS orphans FROM channels c WHERE c.team_id <> '' AND NOT EXISTS (SELECT 1 FROM teams t WHERE t.id = c.team_id)`,
    );
    expect(orphans).toBe(0);
  });

  it('gets teams by id and name, hiding invite-only teams from outsiders and sanitizing for non-admins', async () => {
    const open = (await h.as(alice).get(`${API}/teams/name/rocket`).expect(200)).body;
    const byId = await h.as(bob).get(`${API}/teams/${open.id}`).expect(200);
    expect(byId.body).toMatchObject({ id: open.id, name: 'rocket', email: '', invite_id: '' });
    expect((await h.as(admin).get(`${API}/teams/${open.id}`).expect(200)).body.email).toBe('alice@example.com');

    const closed = await createTeam(alice, 'hideout', 'I');
    const forbidden = await h.as(bob).get(`${API}/teams/${closed.id}`).expect(403);
    expect(forbidden.body.id).toBe('api.context.permissions.app_error');
    await h.as(bob).get(`${API}/teams/name/hideout`).expect(403);
    await h.as(admin).get(`${API}/teams/${closed.id}`).expect(200);

    expect((await h.as(bob).get(`${API}/teams/not-an-id`).expect(400)).body.id).toBe('api.context.invalid_param.app_error');
    await h.as(bob).get(`${API}/teams/${newId()}`).expect(404);
    expect((await h.as(bob).get(`${API}/teams/name/no-such-team`).expect(404)).body.id).toBe('app.team.get_by_name.missing.app_error');
    await h.http.get(`${API}/teams/${open.id}`).expect(401);
  });

  it('adds members (admins add anyone, users join open teams), joins them to the default channels, lists them', async () => {
    const team = await createTeam(alice, 'adders');
    const closed = await createTeam(alice, 'closedshop', 'I');

    const added = await h.as(alice).post(`${API}/teams/${team.id}/members`).send({ team_id: team.id, user_id: bob.id }).expect(201);
    expect(added.body).toMatchObject({ team_id: team.id, user_id: bob.id, roles: 'team_user', delete_at: 0, scheme_admin: false });
    await event((e) => e.event === 'added_to_team' && e.data.team_id === team.id && e.data.user_id === bob.id, 'added_to_team for bob');
    const bobChannels = await h.as(bob).get(`${API}/users/me/teams/${team.id}/channels`).expect(200);
    expect(bobChannels.body.map((c: Channel) => c.name).sort()).toEqual(['off-topic', 'town-square']);
    const town = await channelByName(bob, team.id, 'town-square');
    await event((e) => e.event === 'user_added' && e.broadcast.channel_id === town.id && e.data.user_id === bob.id, 'user_added');
    expect(await history(town.id, bob.id)).toEqual([{ join_time: expect.any(Number), leave_time: null }]);

    // Idempotent: adding again returns the same membership.
    await h.as(alice).post(`${API}/teams/${team.id}/members`).send({ user_id: bob.id }).expect(201);
    expect(await history(town.id, bob.id)).toHaveLength(1);

    // Self-join an open team; not an invite-only one; a plain member cannot add others.
    await h.as(carol).post(`${API}/teams/${team.id}/members`).send({ user_id: carol.id }).expect(201);
    await h.as(carol).post(`${API}/teams/${closed.id}/members`).send({ user_id: carol.id }).expect(403);
    await h.as(carol).post(`${API}/teams/${team.id}/members`).send({ user_id: dave.id }).expect(403);
    await h.as(admin).post(`${API}/teams/${closed.id}/members`).send({ user_id: dave.id }).expect(201);

    // Bad input.
    await h.as(alice).post(`${API}/teams/${team.id}/members`).send({ user_id: 'nope' }).expect(400);
    await h.as(alice).post(`${API}/teams/${team.id}/members`).send({}).expect(400);
    await h.as(alice).post(`${API}/teams/${team.id}/members`).send({ team_id: closed.id, user_id: dave.id }).expect(400);
    await h.as(alice).post(`${API}/teams/${team.id}/members`).send({ user_id: newId() }).expect(404);
    await h.as(alice).post(`${API}/teams/bad/members`).send({ user_id: dave.id }).expect(400);
    await h.as(alice).post(`${API}/teams/${newId()}/members`).send({ user_id: dave.id }).expect(404);

    const members = await h.as(bob).get(`${API}/teams/${team.id}/members?page=0&per_page=100`).expect(200);
    expect(members.body.map((m: { user_id: string }) => m.user_id).sort()).toEqual([alice.id, bob.id, carol.id].sort());
    const page = await h.as(bob).get(`${API}/teams/${team.id}/members?page=1&per_page=2`).expect(200);
    expect(page.body).toHaveLength(1);
    await h.as(dave).get(`${API}/teams/${team.id}/members`).expect(403);
    await h.as(dave).get(`${API}/teams/${team.id}/members/${bob.id}`).expect(403);
    expect((await h.as(bob).get(`${API}/teams/${team.id}/members/${dave.id}`).expect(404)).body.id).toBe(
      'app.team.get_member.missing.app_error',
    );
  });

  it("lists a user's teams and memberships: self or admin only", async () => {
    const teams = await h.as(bob).get(`${API}/users/me/teams`).expect(200);
    expect(teams.body.map((t: Team) => t.name).sort()).toEqual(['adders']);
    const byId = await h.as(bob).get(`${API}/users/${bob.id}/teams`).expect(200);
    expect(byId.body).toEqual(teams.body);
    const memberships = await h.as(bob).get(`${API}/users/me/teams/members`).expect(200);
    expect(memberships.body).toEqual([expect.objectContaining({ user_id: bob.id, team_id: teams.body[0].id, roles: 'team_user' })]);

    await h.as(bob).get(`${API}/users/${alice.id}/teams`).expect(403);
    await h.as(bob).get(`${API}/users/${alice.id}/teams/members`).expect(403);
    const asAdmin = await h.as(admin).get(`${API}/users/${alice.id}/teams`).expect(200);
    expect(asAdmin.body.map((t: Team) => t.name)).toEqual(expect.arrayContaining(['rocket', 'hideout', 'adders', 'closedshop']));
    await h.as(admin).get(`${API}/users/not-an-id/teams`).expect(400);
  });

  it('removes members (self, team admin or system admin): soft delete, out of every team channel, history closed', async () => {
    const team = await createTeam(alice, 'leavers');
    await h.as(alice).post(`${API}/teams/${team.id}/members`).send({ user_id: bob.id }).expect(201);
    await h.as(alice).post(`${API}/teams/${team.id}/members`).send({ user_id: carol.id }).expect(201);
    const extra = await createChannel(alice, team.id, 'side-room');
    await h.as(alice).post(`${API}/channels/${extra.id}/members`).send({ user_id: bob.id }).expect(201);
    const town = await channelByName(alice, team.id, 'town-square');

    // A plain member cannot remove someone else.
    await h.as(carol).delete(`${API}/teams/${team.id}/members/${bob.id}`).expect(403);

    await h.as(alice).delete(`${API}/teams/${team.id}/members/${bob.id}`).expect(200, { status: 'OK' });
    const gone = await h.as(alice).get(`${API}/teams/${team.id}/members/${bob.id}`).expect(200);
    expect(gone.body.delete_at).toBeGreaterThan(0);
    const [{ n }] = await db.query(
      `SELECT count(*)::int AS n FROM channel_members cm JOIN channels c ON c.id = cm.channel_id WHERE c.team_id = $1 AND cm.user_id = $2`,
      [team.id, bob.id],
    );
    expect(n).toBe(0);
    for (const channelId of [town.id, extra.id]) {
      const rows = await history(channelId, bob.id);
      expect(rows).toHaveLength(1);
      expect(Number(rows[0].leave_time)).toBeGreaterThanOrEqual(Number(rows[0].join_time));
    }
    await event((e) => e.event === 'leave_team' && e.data.team_id === team.id && e.data.user_id === bob.id, 'leave_team');
    expect((await h.as(bob).get(`${API}/users/me/teams`).expect(200)).body.map((t: Team) => t.id)).not.toContain(team.id);
    expect(
      (await h.as(alice).get(`${API}/teams/${team.id}/members`).expect(200)).body.map((m: { user_id: string }) => m.user_id),
    ).not.toContain(bob.id);
    // Bob no longer reads the team's channels.
    await h.as(bob).get(`${API}/channels/${town.id}`).expect(403);

    // Self-removal, then removing again is a 404.
    await h.as(carol).delete(`${API}/teams/${team.id}/members/me`).expect(200);
    await h.as(alice).delete(`${API}/teams/${team.id}/members/${carol.id}`).expect(404);

    // Re-joining revives the membership and opens a new history period.
    const back = await h.as(bob).post(`${API}/teams/${team.id}/members`).send({ user_id: bob.id }).expect(201);
    expect(back.body).toMatchObject({ delete_at: 0, roles: 'team_user' });
    const rows = await history(town.id, bob.id);
    expect(rows).toHaveLength(2);
    expect(rows[1].leave_time).toBeNull();

    // System admin can remove anyone.
    await h.as(admin).delete(`${API}/teams/${team.id}/members/${bob.id}`).expect(200);
    await h.as(admin).delete(`${API}/teams/${team.id}/members/not-an-id`).expect(400);
  });
});

describe('channels', () => {
  let team: Team;
  let outsider: TestUser;

  beforeAll(async () => {
    team = await createTeam(alice, 'chatters');
    for (const u of [bob, carol]) await h.as(alice).post(`${API}/teams/${team.id}/members`).send({ user_id: u.id }).expect(201);
    outsider = await h.signUp('outsider', admin);
  });

  it('creates public and private channels; the creator is channel admin; rows and history are written', async () => {
    const res = await h
      .as(alice)
      .post(`${API}/channels`)
      .send({ team_id: team.id, name: 'general-talk', display_name: 'General talk', type: 'O', purpose: 'talk', header: 'hi' })
      .expect(201);
    const channel = res.body;
    expect(channel).toMatchObject({
      team_id: team.id,
      type: 'O',
      name: 'general-talk',
      display_name: 'General talk',
      purpose: 'talk',
      header: 'hi',
      creator_id: alice.id,
      delete_at: 0,
      last_post_at: 0,
      total_msg_count: 0,
      extra_update_at: 0,
      shared: false,
      scheme_id: null,
    });
    expect(channel.id).toMatch(/^[a-z0-9]{26}$/);
    await event(
      (e) => e.event === 'channel_created' && e.data.channel_id === channel.id && e.broadcast.user_id === alice.id,
      'channel_created',
    );
    const member = await h.as(alice).get(`${API}/channels/${channel.id}/members/me`).expect(200);
    expect(member.body).toMatchObject({
      channel_id: channel.id,
      user_id: alice.id,
      roles: 'channel_user channel_admin',
      scheme_admin: true,
      scheme_guest: false,
      msg_count: 0,
      mention_count: 0,
    });
    expect(member.body.notify_props).toMatchObject({ desktop: 'default', mark_unread: 'all' });
    expect(await history(channel.id, alice.id)).toEqual([{ join_time: expect.any(Number), leave_time: null }]);

    const priv = await createChannel(alice, team.id, 'secret-plans', 'P');
    expect(priv.type).toBe('P');
    // The same name in another team is fine.
    const other = await createTeam(bob, 'other-team');
    await createChannel(bob, other.id, 'general-talk');
  });

  it('validates channel input and refuses duplicates and outsiders', async () => {
    const base = { team_id: team.id, name: 'valid-name', display_name: 'Valid', type: 'O' };
    const bad: [Record<string, unknown>, string][] = [
      [{ ...base, name: 'Bad Name' }, 'model.channel.is_valid.2_or_more.app_error'],
      [{ ...base, name: '' }, 'model.channel.is_valid.2_or_more.app_error'],
      [{ ...base, name: 'x'.repeat(65) }, 'model.channel.is_valid.2_or_more.app_error'],
      [{ ...base, display_name: '' }, 'model.channel.is_valid.display_name.app_error'],
      [{ ...base, display_name: 'x'.repeat(65) }, 'model.channel.is_valid.display_name.app_error'],
      [{ ...base, type: 'X' }, 'model.channel.is_valid.type.app_error'],
      [{ ...base, type: 'D' }, 'api.channel.create_channel.direct_channel.app_error'],
      [{ ...base, purpose: 'x'.repeat(251) }, 'model.channel.is_valid.purpose.app_error'],
      [{ ...base, header: 'x'.repeat(1025) }, 'model.channel.is_valid.header.app_error'],
      [{ ...base, team_id: 'nope' }, 'api.context.invalid_param.app_error'],
      [{ team_id: team.id, display_name: 'x', type: 'O' }, 'api.context.invalid_body_param.app_error'],
      [{ team_id: team.id, name: 'x', display_name: 'x' }, 'api.context.invalid_body_param.app_error'],
      [{ ...base, header: 5 }, 'api.context.invalid_body_param.app_error'],
    ];
    for (const [body, id] of bad) {
      const res = await h.as(alice).post(`${API}/channels`).send(body);
      expect({ body, status: res.status, id: res.body.id }).toEqual({ body, status: 400, id });
    }
    const dup = await h
      .as(bob)
      .post(`${API}/channels`)
      .send({ ...base, name: 'general-talk' })
      .expect(400);
    expect(dup.body.id).toBe('store.sql_channel.save_channel.exists.app_error');
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM channels WHERE team_id = $1 AND name = 'general-talk'`, [team.id]);
    expect(n).toBe(1);

    await h.as(outsider).post(`${API}/channels`).send(base).expect(403);
    await h
      .as(admin)
      .post(`${API}/channels`)
      .send({ ...base, team_id: newId() })
      .expect(404);
  });

  it('gets channels by id, team id + name and team name + name, with 403/404 for outsiders', async () => {
    const open = await channelByName(alice, team.id, 'general-talk');
    const priv = await channelByName(alice, team.id, 'secret-plans');
    // Team members read public channels without joining.
    expect((await h.as(carol).get(`${API}/channels/${open.id}`).expect(200)).body.name).toBe('general-talk');
    expect((await h.as(carol).get(`${API}/teams/name/chatters/channels/name/general-talk`).expect(200)).body.id).toBe(open.id);
    // Private: 404 for non-members, even team members.
    await h.as(carol).get(`${API}/channels/${priv.id}`).expect(404);
    expect((await h.as(carol).get(`${API}/teams/${team.id}/channels/name/secret-plans`).expect(404)).body.id).toBe(
      'app.channel.get_by_name.missing.app_error',
    );
    // Outside the team: 403 for public.
    expect((await h.as(outsider).get(`${API}/channels/${open.id}`).expect(403)).body.id).toBe('api.context.permissions.app_error');
    await h.as(outsider).get(`${API}/teams/${team.id}/channels/name/general-talk`).expect(403);
    await h.as(outsider).get(`${API}/channels/${priv.id}`).expect(404);
    // System admin sees everything.
    await h.as(admin).get(`${API}/channels/${priv.id}`).expect(200);

    await h.as(alice).get(`${API}/channels/not-an-id`).expect(400);
    await h.as(alice).get(`${API}/channels/${newId()}`).expect(404);
    await h.as(alice).get(`${API}/teams/${team.id}/channels/name/nothing-here`).expect(404);
    await h.as(alice).get(`${API}/teams/bad/channels/name/general-talk`).expect(400);
    await h.as(alice).get(`${API}/teams/name/no-team/channels/name/general-talk`).expect(404);
  });

  it('adds and removes channel members with the right permissions, events and history', async () => {
    const open = await channelByName(alice, team.id, 'general-talk');
    const priv = await channelByName(alice, team.id, 'secret-plans');

    const added = await h.as(alice).post(`${API}/channels/${open.id}/members`).send({ user_id: bob.id, channel_id: open.id }).expect(201);
    expect(added.body).toMatchObject({ channel_id: open.id, user_id: bob.id, roles: 'channel_user', scheme_admin: false });
    const ev = await event(
      (e) => e.event === 'user_added' && e.broadcast.channel_id === open.id && e.data.user_id === bob.id,
      'user_added',
    );
    expect(ev.data.team_id).toBe(team.id);
    expect(ev.broadcast.user_ids).toEqual(expect.arrayContaining([alice.id, bob.id]));
    // Adding again is idempotent.
    await h.as(alice).post(`${API}/channels/${open.id}/members`).send({ user_id: bob.id }).expect(201);
    expect(await history(open.id, bob.id)).toHaveLength(1);

    // Joining a public channel oneself is fine; adding others takes membership.
    await h.as(carol).post(`${API}/channels/${open.id}/members`).send({ user_id: 'me' }).expect(201);
    // A private channel one is not in: 404; its members may add others.
    await h.as(carol).post(`${API}/channels/${priv.id}/members`).send({ user_id: carol.id }).expect(404);
    await h.as(alice).post(`${API}/channels/${priv.id}/members`).send({ user_id: bob.id }).expect(201);
    await h.as(bob).post(`${API}/channels/${priv.id}/members`).send({ user_id: carol.id }).expect(201);
    // Users outside the team cannot be added; unknown users neither.
    expect((await h.as(alice).post(`${API}/channels/${open.id}/members`).send({ user_id: outsider.id }).expect(404)).body.id).toBe(
      'app.team.get_member.missing.app_error',
    );
    await h.as(alice).post(`${API}/channels/${open.id}/members`).send({ user_id: newId() }).expect(404);
    await h.as(alice).post(`${API}/channels/${open.id}/members`).send({ user_id: 'bad' }).expect(400);
    await h.as(alice).post(`${API}/channels/${open.id}/members`).send({}).expect(400);
    await h.as(alice).post(`${API}/channels/${open.id}/members`).send({ user_ids: 'x' }).expect(400);
    await h.as(outsider).post(`${API}/channels/${open.id}/members`).send({ user_id: outsider.id }).expect(403);

    // Bulk form answers with a list.
    const side = await createChannel(alice, team.id, 'bulk-room');
    const bulk = await h
      .as(alice)
      .post(`${API}/channels/${side.id}/members`)
      .send({ user_ids: [bob.id, carol.id] })
      .expect(201);
    expect(bulk.body.map((m: { user_id: string }) => m.user_id).sort()).toEqual([bob.id, carol.id].sort());

    const list = await h.as(bob).get(`${API}/channels/${open.id}/members`).expect(200);
    expect(list.body.map((m: { user_id: string }) => m.user_id).sort()).toEqual([alice.id, bob.id, carol.id].sort());
    expect((await h.as(bob).get(`${API}/channels/${open.id}/members?page=0&per_page=2`).expect(200)).body).toHaveLength(2);
    await h.as(outsider).get(`${API}/channels/${priv.id}/members`).expect(404);
    expect((await h.as(bob).get(`${API}/channels/${open.id}/members/${outsider.id}`).expect(404)).body.id).toBe(
      'app.channel.get_member.missing.app_error',
    );

    // Removing others takes a channel admin; leaving is always allowed.
    await h.as(bob).delete(`${API}/channels/${open.id}/members/${carol.id}`).expect(403);
    await h.as(carol).delete(`${API}/channels/${open.id}/members/me`).expect(200, { status: 'OK' });
    await h.as(alice).delete(`${API}/channels/${open.id}/members/${bob.id}`).expect(200);
    const removed = await event(
      (e) => e.event === 'user_removed' && e.broadcast.channel_id === open.id && e.data.user_id === bob.id,
      'user_removed to channel',
    );
    expect(removed.data.remover_id).toBe(alice.id);
    await event(
      (e) => e.event === 'user_removed' && e.broadcast.user_id === bob.id && e.data.channel_id === open.id,
      'user_removed to the user',
    );
    const rows = await history(open.id, bob.id);
    expect(rows).toHaveLength(1);
    expect(rows[0].leave_time).not.toBeNull();
    await h.as(alice).delete(`${API}/channels/${open.id}/members/${bob.id}`).expect(404);

    // Re-joining opens a new period.
    await h.as(bob).post(`${API}/channels/${open.id}/members`).send({ user_id: bob.id }).expect(201);
    const again = await history(open.id, bob.id);
    expect(again).toHaveLength(2);
    expect(again[1].leave_time).toBeNull();

    // Town Square cannot be left.
    const town = await channelByName(alice, team.id, 'town-square');
    expect((await h.as(bob).delete(`${API}/channels/${town.id}/members/me`).expect(400)).body.id).toBe(
      'api.channel.remove.default.app_error',
    );
  });

  it('patches channels: admins rename, members edit header and purpose, outsiders cannot', async () => {
    const open = await channelByName(alice, team.id, 'general-talk');
    const before = (await h.as(alice).get(`${API}/channels/${open.id}`).expect(200)).body;

    const patched = await h
      .as(alice)
      .put(`${API}/channels/${open.id}/patch`)
      .send({ display_name: 'General', name: 'general' })
      .expect(200);
    expect(patched.body).toMatchObject({ id: open.id, display_name: 'General', name: 'general', purpose: 'talk' });
    expect(patched.body.update_at).toBeGreaterThanOrEqual(before.update_at);
    const ev = await event((e) => e.event === 'channel_updated' && e.broadcast.channel_id === open.id, 'channel_updated');
    expect(typeof ev.data.channel).toBe('string');
    expect(JSON.parse(ev.data.channel as string).name).toBe('general');

    // Bob is a member but not an admin: header yes, rename no.
    await h.as(bob).put(`${API}/channels/${open.id}/patch`).send({ header: 'new header' }).expect(200);
    await h.as(bob).put(`${API}/channels/${open.id}/patch`).send({ display_name: 'Mine now' }).expect(403);
    // Carol (left the channel) may not even change the header; outsiders neither.
    await h.as(carol).put(`${API}/channels/${open.id}/patch`).send({ header: 'x' }).expect(403);
    await h.as(outsider).put(`${API}/channels/${open.id}/patch`).send({ header: 'x' }).expect(403);
    // System admins may.
    await h.as(admin).put(`${API}/channels/${open.id}/patch`).send({ purpose: 'by admin' }).expect(200);

    await h.as(alice).put(`${API}/channels/${open.id}/patch`).send({ name: 'Bad Name' }).expect(400);
    await h.as(alice).put(`${API}/channels/${open.id}/patch`).send({ header: 7 }).expect(400);
    const dup = await h.as(alice).put(`${API}/channels/${open.id}/patch`).send({ name: 'secret-plans' }).expect(400);
    expect(dup.body.id).toBe('store.sql_channel.save_channel.exists.app_error');
    const town = await channelByName(alice, team.id, 'town-square');
    expect((await h.as(alice).put(`${API}/channels/${town.id}/patch`).send({ name: 'plaza' }).expect(400)).body.id).toBe(
      'api.channel.update_channel.tried.app_error',
    );
    const after = (await h.as(alice).get(`${API}/channels/${open.id}`).expect(200)).body;
    expect(after).toMatchObject({ name: 'general', header: 'new header', purpose: 'by admin' });
  });

  it('archives channels: admins only, not Town Square, read-only afterwards', async () => {
    const doomed = await createChannel(alice, team.id, 'doomed');
    await h.as(alice).post(`${API}/channels/${doomed.id}/members`).send({ user_id: bob.id }).expect(201);
    await h.as(bob).delete(`${API}/channels/${doomed.id}`).expect(403);
    await h.as(outsider).delete(`${API}/channels/${doomed.id}`).expect(403);
    await h.as(alice).delete(`${API}/channels/${doomed.id}`).expect(200, { status: 'OK' });
    const ev = await event((e) => e.event === 'channel_deleted' && e.data.channel_id === doomed.id, 'channel_deleted');
    expect(ev.data.delete_at).toBeGreaterThan(0);

    const archived = (await h.as(bob).get(`${API}/channels/${doomed.id}`).expect(200)).body;
    expect(archived.delete_at).toBeGreaterThan(0);
    await h.as(bob).get(`${API}/teams/${team.id}/channels/name/doomed`).expect(404);
    await h.as(bob).get(`${API}/teams/${team.id}/channels/name/doomed?include_deleted=true`).expect(200);
    await h.as(alice).delete(`${API}/channels/${doomed.id}`).expect(400);
    expect((await h.as(alice).post(`${API}/channels/${doomed.id}/members`).send({ user_id: carol.id }).expect(400)).body.id).toBe(
      'api.channel.add_user.to.channel.failed.deleted.app_error',
    );
    expect((await h.as(alice).put(`${API}/channels/${doomed.id}/patch`).send({ header: 'x' }).expect(400)).body.id).toBe(
      'api.channel.update_channel.deleted.app_error',
    );
    // Members stay; archived channels drop out of listings unless asked for.
    const mine = await h.as(bob).get(`${API}/users/me/teams/${team.id}/channels`).expect(200);
    expect(mine.body.map((c: Channel) => c.id)).not.toContain(doomed.id);
    const withDeleted = await h.as(bob).get(`${API}/users/me/teams/${team.id}/channels?include_deleted=true`).expect(200);
    expect(withDeleted.body.map((c: Channel) => c.id)).toContain(doomed.id);
    expect((await h.as(bob).get(`${API}/teams/${team.id}/channels`).expect(200)).body.map((c: Channel) => c.id)).not.toContain(doomed.id);

    const town = await channelByName(alice, team.id, 'town-square');
    expect((await h.as(admin).delete(`${API}/channels/${town.id}`).expect(400)).body.id).toBe(
      'api.channel.delete_channel.cannot.app_error',
    );
    // Team admins may archive channels they did not create.
    const bobs = await createChannel(bob, team.id, 'bobs-room');
    await h.as(alice).delete(`${API}/channels/${bobs.id}`).expect(200);
  });

  it('creates direct channels idempotently', async () => {
    const res = await h.as(alice).post(`${API}/channels/direct`).send([alice.id, bob.id]).expect(201);
    const dm = res.body;
    const [lo, hi] = [alice.id, bob.id].sort();
    expect(dm).toMatchObject({ type: 'D', team_id: '', name: `${lo}__${hi}`, display_name: '' });
    const ev = await event((e) => e.event === 'direct_added' && e.broadcast.channel_id === dm.id, 'direct_added');
    expect(ev.data).toEqual({ creator_id: alice.id, teammate_id: bob.id });
    expect(ev.broadcast.user_ids).toEqual(expect.arrayContaining([alice.id, bob.id]));

    const again = await h.as(bob).post(`${API}/channels/direct`).send([bob.id, alice.id]).expect(201);
    expect(again.body.id).toBe(dm.id);
    const concurrent = await Promise.all([1, 2, 3].map(() => h.as(carol).post(`${API}/channels/direct`).send([carol.id, dave.id])));
    expect(concurrent.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(new Set(concurrent.map((r) => r.body.id)).size).toBe(1);

    const members = await h.as(alice).get(`${API}/channels/${dm.id}/members`).expect(200);
    expect(members.body.map((m: { user_id: string }) => m.user_id).sort()).toEqual([alice.id, bob.id].sort());
    expect(await history(dm.id, bob.id)).toHaveLength(1);

    // A direct channel with oneself is allowed, as in Mattermost.
    const self = await h.as(dave).post(`${API}/channels/direct`).send([dave.id, dave.id]).expect(201);
    expect(self.body.name).toBe(`${dave.id}__${dave.id}`);

    // Bad input and strangers.
    expect((await h.as(alice).post(`${API}/channels/direct`).send([alice.id, newId()]).expect(400)).body.id).toBe(
      'api.channel.create_direct_channel.invalid_user.app_error',
    );
    await h.as(alice).post(`${API}/channels/direct`).send([alice.id]).expect(400);
    await h.as(alice).post(`${API}/channels/direct`).send([alice.id, 'bad']).expect(400);
    await h.as(alice).post(`${API}/channels/direct`).send({ user_id: bob.id }).expect(400);
    await h.as(carol).post(`${API}/channels/direct`).send([alice.id, bob.id]).expect(403);
    await h.as(carol).get(`${API}/channels/${dm.id}`).expect(404);
    await h.as(carol).get(`${API}/channels/${dm.id}/members`).expect(404);

    // Members may change the header only; the channel cannot be archived, left, or joined by others.
    await h.as(bob).put(`${API}/channels/${dm.id}/patch`).send({ header: 'our dm' }).expect(200);
    await h.as(bob).put(`${API}/channels/${dm.id}/patch`).send({ display_name: 'x' }).expect(400);
    await h.as(carol).put(`${API}/channels/${dm.id}/patch`).send({ header: 'x' }).expect(404);
    await h.as(alice).delete(`${API}/channels/${dm.id}`).expect(400);
    await h.as(alice).delete(`${API}/channels/${dm.id}/members/${bob.id}`).expect(400);
    await h.as(alice).post(`${API}/channels/${dm.id}/members`).send({ user_id: carol.id }).expect(400);
  });

  it('creates group channels idempotently, named by the hash of the member ids', async () => {
    const res = await h.as(alice).post(`${API}/channels/group`).send([bob.id, carol.id]).expect(201);
    const gm = res.body;
    const ids = [alice.id, bob.id, carol.id].sort();
    expect(gm).toMatchObject({
      type: 'G',
      team_id: '',
      name: createHash('sha1').update(ids.join('')).digest('hex'),
      display_name: 'alice, bob, carol',
    });
    const ev = await event((e) => e.event === 'group_added' && e.broadcast.channel_id === gm.id, 'group_added');
    expect(JSON.parse(ev.data.teammate_ids as string).sort()).toEqual(ids);

    const again = await h.as(carol).post(`${API}/channels/group`).send([carol.id, alice.id, bob.id]).expect(201);
    expect(again.body.id).toBe(gm.id);
    const members = await h.as(bob).get(`${API}/channels/${gm.id}/members`).expect(200);
    expect(members.body.map((m: { user_id: string }) => m.user_id).sort()).toEqual(ids);

    expect((await h.as(alice).post(`${API}/channels/group`).send([bob.id]).expect(400)).body.id).toBe(
      'api.channel.create_group.bad_size.app_error',
    );
    await h.as(alice).post(`${API}/channels/group`).send([alice.id, bob.id, alice.id]).expect(400);
    const many = await Promise.all(Array.from({ length: 8 }, () => h.signUp(undefined, admin)));
    await h
      .as(alice)
      .post(`${API}/channels/group`)
      .send(many.map((u) => u.id))
      .expect(400);
    expect((await h.as(alice).post(`${API}/channels/group`).send([bob.id, newId()]).expect(400)).body.id).toBe(
      'api.channel.create_group.bad_user.app_error',
    );
    await h.as(alice).post(`${API}/channels/group`).send([bob.id, 'bad']).expect(400);
    await h.as(alice).post(`${API}/channels/group`).send('nope').set('Content-Type', 'application/json').expect(400);
    await h.as(dave).get(`${API}/channels/${gm.id}`).expect(404);
    await h.as(alice).delete(`${API}/channels/${gm.id}`).expect(400);
    await h.as(alice).delete(`${API}/channels/${gm.id}/members/me`).expect(400);
  });

  it("lists a user's channels (per team with DMs/GMs, and all) and a team's public channels", async () => {
    const perTeam = await h.as(bob).get(`${API}/users/me/teams/${team.id}/channels`).expect(200);
    const names = perTeam.body.map((c: Channel) => c.name);
    expect(names).toEqual(expect.arrayContaining(['town-square', 'off-topic', 'general', 'secret-plans', 'bulk-room']));
    const types = new Set(perTeam.body.map((c: Channel) => c.type));
    expect(types).toEqual(new Set(['O', 'P', 'D', 'G']));
    expect(perTeam.body.every((c: Channel) => c.team_id === team.id || c.team_id === '')).toBe(true);

    const all = await h.as(bob).get(`${API}/users/me/channels`).expect(200);
    const otherTeam = (await h.as(bob).get(`${API}/teams/name/other-team`).expect(200)).body;
    expect(all.body.some((c: Channel) => c.team_id === otherTeam.id)).toBe(true);
    expect(all.body.length).toBeGreaterThan(perTeam.body.length);

    await h.as(bob).get(`${API}/users/${alice.id}/channels`).expect(403);
    await h.as(bob).get(`${API}/users/${alice.id}/teams/${team.id}/channels`).expect(403);
    await h.as(admin).get(`${API}/users/${alice.id}/teams/${team.id}/channels`).expect(200);
    await h.as(outsider).get(`${API}/users/me/teams/${team.id}/channels`).expect(403);
    await h.as(bob).get(`${API}/users/me/teams/bad/channels`).expect(400);

    const publicList = await h.as(carol).get(`${API}/teams/${team.id}/channels`).expect(200);
    const publicNames = publicList.body.map((c: Channel) => c.name);
    expect(publicNames).toEqual(expect.arrayContaining(['town-square', 'off-topic', 'general', 'bulk-room']));
    expect(publicNames).not.toContain('secret-plans');
    expect(publicList.body.every((c: Channel) => c.type === 'O')).toBe(true);
    expect((await h.as(carol).get(`${API}/teams/${team.id}/channels?page=0&per_page=2`).expect(200)).body).toHaveLength(2);
    await h.as(outsider).get(`${API}/teams/${team.id}/channels`).expect(403);
    await h.as(carol).get(`${API}/teams/bad/channels`).expect(400);
  });
});

describe("Mattermost's Client4", () => {
  it('drives the team and channel endpoints unchanged', async () => {
    const url = await h.listen();
    const client = (user: TestUser) => {
      const c = new Client4();
      c.setUrl(url);
      c.setIncludeCookies(false);
      c.setToken(user.token);
      return c;
    };
    const a = client(alice);
    const b = client(bob);

    const team = await a.createTeam({ name: 'clientfour', display_name: 'Client Four', type: 'O' } as never);
    expect(team.name).toBe('clientfour');
    expect((await b.getTeamByName('clientfour')).id).toBe(team.id);
    const member = await a.addToTeam(team.id, bob.id);
    expect(member.roles).toBe('team_user');
    expect((await b.getMyTeams()).map((t) => t.id)).toContain(team.id);
    expect((await b.getMyTeamMembers()).map((m) => m.team_id)).toContain(team.id);
    expect((await a.getTeamMember(team.id, bob.id)).user_id).toBe(bob.id);
    expect((await a.getTeamMembers(team.id)).map((m) => m.user_id).sort()).toEqual([alice.id, bob.id].sort());

    const open = await a.createChannel({ team_id: team.id, name: 'client-open', display_name: 'Client open', type: 'O' } as never);
    const priv = await a.createChannel({ team_id: team.id, name: 'client-priv', display_name: 'Client priv', type: 'P' } as never);
    expect((await b.getChannelByName(team.id, 'client-open')).id).toBe(open.id);
    expect((await b.getChannelByNameAndTeamName('clientfour', 'client-open')).id).toBe(open.id);
    expect((await b.getChannel(open.id)).display_name).toBe('Client open');
    await expect(b.getChannel(priv.id)).rejects.toMatchObject({ status_code: 404 });

    expect((await a.addToChannel(bob.id, priv.id)).user_id).toBe(bob.id);
    expect((await a.addToChannels([bob.id], open.id)).map((m) => m.user_id)).toEqual([bob.id]);
    expect((await b.getChannelMembers(priv.id)).map((m) => m.user_id).sort()).toEqual([alice.id, bob.id].sort());
    expect((await b.getMyChannelMember(priv.id)).roles).toBe('channel_user');
    expect((await b.getChannelMember(priv.id, alice.id)).roles).toBe('channel_user channel_admin');

    const patched = await a.patchChannel(open.id, { header: 'patched by client4' } as never);
    expect(patched.header).toBe('patched by client4');
    const dm = await a.createDirectChannel([alice.id, bob.id]);
    expect(dm.type).toBe('D');
    const gm = await a.createGroupChannel([alice.id, bob.id, carol.id]);
    expect(gm.type).toBe('G');

    const mine = await b.getMyChannels(team.id);
    expect(mine.map((c) => c.id)).toEqual(expect.arrayContaining([open.id, priv.id, dm.id, gm.id]));
    expect((await b.getAllTeamsChannels()).map((c) => c.id)).toEqual(expect.arrayContaining([open.id, priv.id, dm.id, gm.id]));
    expect((await b.getChannels(team.id)).map((c) => c.name)).toEqual(expect.arrayContaining(['client-open', 'town-square', 'off-topic']));

    await b.removeFromChannel(bob.id, open.id);
    await a.deleteChannel(priv.id);
    expect((await a.getChannel(priv.id)).delete_at).toBeGreaterThan(0);
    await expect(b.createChannel({ team_id: team.id, name: 'client-open', display_name: 'x', type: 'O' } as never)).rejects.toMatchObject({
      status_code: 400,
      server_error_id: 'store.sql_channel.save_channel.exists.app_error',
    });
    await a.removeFromTeam(team.id, bob.id);
    expect((await b.getMyTeams()).map((t) => t.id)).not.toContain(team.id);
  });
});
