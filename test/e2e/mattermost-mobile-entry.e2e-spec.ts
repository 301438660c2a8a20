import { FEDERATION_PASSWORD, PostJson } from '@fedchat/testing';
import { AppWorld, startAppWorld, waitForPostOn } from './support/mattermost-apps';

/*
 * The Mattermost mobile app's entry, replayed call for call as it sends them (mattermost-mobile 2.43.0, build 799,
 * commit 06ed862d: app/actions/remote/entry/common.ts `entryRest`, entry/deferred.ts, and the REST client in
 * app/client/rest/*), against the embedded suite with a channel shared from a peer cluster. Every call must answer 2xx
 * with Mattermost's JSON shape: the app stores these objects field by field in its database, and timestamps it
 * compares as numbers.
 */

const MOBILE_VERSION = '2.43.0';
const DEVICE_ID = 'android_rn-v2:fedchat-e2e-device-token';
const PER_PAGE = 60;

let world: AppWorld;
let token = '';
/** Every answer of the replay, for the header check at the end. */
const answers: { call: string; headers: Headers }[] = [];

beforeAll(async () => {
  world = await startAppWorld();
});
afterAll(async () => {
  await world?.fed.stop();
});

/** One call as the app's network client makes it: its headers, bearer token once logged in, JSON in and out. */
async function call<T = any>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}) {
  const res = await fetch(`${world.a.url}/api/v4${path}`, {
    method,
    headers: {
      Accept: 'application/json',
      'X-Requested-With': 'XMLHttpRequest',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...extraHeaders,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  answers.push({ call: `${method} ${path}`, headers: res.headers });
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return { body: JSON.parse(text) as T, headers: res.headers };
}

/** The named fields are JSON numbers (the app sorts and compares them as such). */
function expectNumbers(object: Record<string, unknown>, ...fields: string[]): void {
  for (const field of fields) expect({ field, type: typeof object[field] }).toEqual({ field, type: 'number' });
}

function expectStrings(object: Record<string, unknown>, ...fields: string[]): void {
  for (const field of fields) expect({ field, type: typeof object[field] }).toEqual({ field, type: 'string' });
}

/** A user's own timestamps; Mattermost leaves `last_picture_update` out while it is 0, so it is checked when present. */
function expectUserTimestamps(user: Record<string, unknown>): void {
  expectNumbers(user, 'create_at', 'update_at', 'delete_at', 'last_password_update');
  if ('last_picture_update' in user) expectNumbers(user, 'last_picture_update');
}

let me: Record<string, any> = { roles: '' };
let teamMembers: Record<string, any>[] = [];
let channelMembers: Record<string, any>[] = [];

describe('Mattermost mobile app entry calls against the embedded suite', () => {
  it('logs in (POST /users/login with the device id) and gets a session token', async () => {
    const res = await call(
      'POST',
      '/users/login',
      { device_id: DEVICE_ID, voip_device_id: '', login_id: 'alice', password: FEDERATION_PASSWORD, token: '' },
      { 'Cache-Control': 'no-store' },
    );
    token = res.headers.get('token') ?? '';
    expect(token).not.toBe('');
    expect(res.body).toMatchObject({ id: world.alice.id, username: 'alice', roles: expect.any(String) });
    expectUserTimestamps(res.body);
  });

  it('fetches config and license (format=old) and preferences', async () => {
    const [config, license, preferences] = await Promise.all([
      call('GET', '/config/client?format=old'),
      call('GET', '/license/client?format=old'),
      call('GET', '/users/me/preferences'),
    ]);
    // The old format is a flat map of strings.
    expectStrings(config.body, 'Version', 'BuildNumber', 'SiteURL', 'SiteName', 'DiagnosticId', 'CollapsedThreads');
    for (const [key, value] of Object.entries(config.body)) expect({ key, type: typeof value }).toEqual({ key, type: 'string' });
    expect(config.body.SiteURL).toBe(world.a.url);
    expect(['true', 'false']).toContain(license.body.IsLicensed);
    for (const [key, value] of Object.entries(license.body)) expect({ key, type: typeof value }).toEqual({ key, type: 'string' });
    expect(Array.isArray(preferences.body)).toBe(true);
    for (const p of preferences.body) {
      expect(p).toMatchObject({ user_id: world.alice.id });
      expectStrings(p, 'category', 'name', 'value');
    }
  });

  it('fetches my teams, me and my team members', async () => {
    const [teams, meRes, members] = await Promise.all([
      call<Record<string, any>[]>('GET', '/users/me/teams'),
      call('GET', '/users/me'),
      call<Record<string, any>[]>('GET', '/users/me/teams/members'),
    ]);
    const team = teams.body.find((t) => t.id === world.a.teamId)!;
    expect(team).toMatchObject({ name: 'team-a', type: 'O' });
    expectNumbers(team, 'create_at', 'update_at', 'delete_at');
    me = meRes.body;
    expect(me).toMatchObject({ id: world.alice.id, username: 'alice', notify_props: expect.any(Object) });
    expectUserTimestamps(me);
    teamMembers = members.body;
    const member = teamMembers.find((m) => m.team_id === world.a.teamId)!;
    expect(member).toMatchObject({ user_id: world.alice.id, roles: expect.any(String), delete_at: 0 });
  });

  it('fetches the channels, channel members and sidebar categories of the team', async () => {
    const teamId = world.a.teamId;
    const [channels, members, categories] = await Promise.all([
      call<Record<string, any>[]>('GET', `/users/me/teams/${teamId}/channels?include_deleted=true&last_delete_at=0`),
      call<Record<string, any>[]>('GET', `/users/me/teams/${teamId}/channels/members`),
      call<{ categories: Record<string, any>[]; order: string[] }>('GET', `/users/me/teams/${teamId}/channels/categories`),
    ]);
    const byId = new Map(channels.body.map((c) => [c.id, c]));
    expect(byId.get(world.townId)).toMatchObject({ team_id: teamId, type: 'O', name: 'town' });
    expect(byId.get(world.townId)!.shared).toBeFalsy();
    expect(byId.get(world.sharedId)).toMatchObject({ team_id: teamId, name: 'peer-room', shared: true });
    expect(byId.get(world.dmId)).toMatchObject({ type: 'D', team_id: '' });
    for (const c of byId.values())
      expectNumbers(c, 'create_at', 'update_at', 'delete_at', 'last_post_at', 'total_msg_count', 'total_msg_count_root');

    channelMembers = members.body;
    const memberIds = channelMembers.map((m) => m.channel_id);
    expect(memberIds).toEqual(expect.arrayContaining([world.townId, world.sharedId, world.dmId]));
    for (const m of channelMembers) {
      expect(m).toMatchObject({ user_id: world.alice.id, roles: expect.any(String), notify_props: expect.any(Object) });
      expectNumbers(
        m,
        'last_viewed_at',
        'msg_count',
        'msg_count_root',
        'mention_count',
        'mention_count_root',
        'urgent_mention_count',
        'last_update_at',
      );
    }
    const town = channelMembers.find((m) => m.channel_id === world.townId)!;
    // bob's reply and his mention of alice are unread; one mention.
    expect(byId.get(world.townId)!.total_msg_count - town.msg_count).toBe(2);
    expect(town.mention_count).toBe(1);

    expect(categories.body.order).toHaveLength(categories.body.categories.length);
    const ofType = (type: string) => categories.body.categories.find((c) => c.type === type)!;
    expect(ofType('channels').channel_ids).toEqual(expect.arrayContaining([world.townId, world.sharedId]));
    expect(ofType('direct_messages').channel_ids).toContain(world.dmId);
    expect(ofType('favorites')).toMatchObject({ user_id: world.alice.id, team_id: teamId, channel_ids: [] });
    for (const c of categories.body.categories) {
      expectStrings(c, 'id', 'display_name', 'sorting');
      expectNumbers(c, 'sort_order');
      expect(typeof c.muted).toBe('boolean');
      expect(typeof c.collapsed).toBe('boolean');
    }
  });

  it('fetches the roles of me, my team members and my channel members (POST /roles/names)', async () => {
    const names = [
      ...new Set(
        [me.roles, ...teamMembers.map((m) => m.roles), ...channelMembers.map((m) => m.roles)].flatMap((r: string) => r.split(' ')),
      ),
    ].filter(Boolean);
    const roles = await call<Record<string, any>[]>('POST', '/roles/names', names);
    expect(names).toEqual(expect.arrayContaining(['system_user', 'team_user', 'channel_user']));
    expect(roles.body.map((r) => r.name).sort()).toEqual([...names].sort());
    for (const role of roles.body) {
      expectStrings(role, 'id', 'name', 'display_name');
      expectNumbers(role, 'create_at', 'update_at', 'delete_at');
      expect(Array.isArray(role.permissions)).toBe(true);
    }
    expect(roles.body.find((r) => r.name === 'channel_user')!.permissions).toContain('create_post');
  });

  it('fetches posts of a channel, then posts since, including one that arrived from the peer', async () => {
    const page = await call<{ order: string[]; posts: Record<string, PostJson> }>(
      'GET',
      `/channels/${world.townId}/posts?page=0&per_page=${PER_PAGE}&collapsedThreads=true&collapsedThreadsExtended=true`,
    );
    expect(page.body.order).toEqual(expect.arrayContaining([world.rootId, world.mentionId]));
    // With collapsed threads a page lists root posts only.
    for (const id of page.body.order) expect(page.body.posts[id].root_id).toBe('');
    for (const post of Object.values(page.body.posts)) expectNumbers(post as never, 'create_at', 'update_at', 'edit_at', 'delete_at');

    const before = await call<{ order: string[]; posts: Record<string, PostJson> }>(
      'GET',
      `/channels/${world.sharedId}/posts?page=0&per_page=${PER_PAGE}`,
    );
    const since = before.body.posts[world.peerPostId].update_at;
    const fresh = await world.b
      .api(world.dave.token)
      .post<PostJson>('/posts', { channel_id: world.sharedId, message: 'Posted while the app was away' });
    await waitForPostOn(world.a, world.sharedId, fresh.id);
    const changed = await call<{ order: string[]; posts: Record<string, PostJson> }>(
      'GET',
      `/channels/${world.sharedId}/posts?since=${since}&collapsedThreads=true&collapsedThreadsExtended=true`,
    );
    // Posts changed strictly after `since`: the new one, not the one the app already has.
    expect(Object.keys(changed.body.posts)).toContain(fresh.id);
    expect(Object.keys(changed.body.posts)).not.toContain(world.peerPostId);
    expect(changed.body.posts[fresh.id]).toMatchObject({ user_id: world.dave.id, message: 'Posted while the app was away' });
  });

  it('fetches the threads of the team (collapsed threads)', async () => {
    const threads = await call<{ threads: Record<string, any>[] } & Record<string, unknown>>(
      'GET',
      `/users/${world.alice.id}/teams/${world.a.teamId}/threads?extended=true&before=&after=&deleted=false&unread=false&since=0&totalsOnly=false&excludeDirect=false&per_page=${PER_PAGE}`,
    );
    expectNumbers(threads.body, 'total', 'total_unread_threads', 'total_unread_mentions');
    const thread = threads.body.threads.find((t) => t.id === world.rootId)!;
    // The list holds the threads alice follows (Mattermost's thread JSON has no is_following: the apps infer it).
    expect(thread).toMatchObject({ reply_count: 1, unread_replies: 1, post: { id: world.rootId } });
    expectNumbers(thread, 'last_reply_at', 'last_viewed_at', 'unread_mentions');
    expect(thread.participants.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining([world.bob.id]));
  });

  it('fetches profiles and statuses of the users it shows, the peer user with remote_id', async () => {
    const ids = [world.alice.id, world.bob.id, world.dave.id];
    const [profiles, statuses] = await Promise.all([
      call<Record<string, any>[]>('POST', '/users/ids', [world.bob.id, world.dave.id]),
      call<Record<string, any>[]>('POST', '/users/status/ids', ids),
    ]);
    const dave = profiles.body.find((u) => u.id === world.dave.id)!;
    expect(dave.remote_id).toBe(world.a.remoteIds.b);
    expect(profiles.body.find((u) => u.id === world.bob.id)!.remote_id).toBeFalsy();
    for (const u of profiles.body) expectNumbers(u, 'create_at', 'update_at', 'delete_at');
    expect(statuses.body.map((s) => s.user_id).sort()).toEqual([...ids].sort());
    for (const s of statuses.body) {
      expect(['online', 'away', 'dnd', 'offline']).toContain(s.status);
      expect(typeof s.manual).toBe('boolean');
      expectNumbers(s, 'last_activity_at');
    }
  });

  it('registers the device on the session (PUT /users/sessions/device)', async () => {
    const res = await call('PUT', '/users/sessions/device', {
      device_id: DEVICE_ID,
      device_notification_disabled: 'false',
      mobile_version: MOBILE_VERSION,
    });
    expect(res.body).toEqual({ status: 'OK' });
  });

  it('every answer carried the X-Version-Id header', () => {
    expect(answers.length).toBeGreaterThanOrEqual(15);
    expect(answers.filter((a) => !/^\d+\.\d+\.\d+/.test(a.headers.get('x-version-id') ?? '')).map((a) => a.call)).toEqual([]);
  });
});
