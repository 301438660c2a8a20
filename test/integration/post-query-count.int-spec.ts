import { hashToken } from '@fedchat/crypto';
import { WebSocketEventMessage, WebSocketEventPublished } from '@fedchat/contracts';
import { newRemote, newShare, tapEvents, waitFor } from '@fedchat/testing';
import { AuthService } from '../../apps/gateway/src/auth/auth.service';
import { GatewayHarness, TestUser } from '../support/gateway-harness';
import { CountedStatement, StatementCounter } from '../support/statement-counter';

/**
 * The cost of the chat core's hottest path, counted rather than timed (timing is noise on a shared machine): the
 * statements PostgreSQL receives for one `POST /api/v4/posts`, session and access checks included. Every statement
 * is a round trip, and while a post's transaction is open its channel's counters row stays locked, so posts of one
 * channel queue behind each other's round trips.
 */
let h: GatewayHarness;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
let channelId: string;
const events: WebSocketEventMessage[] = [];
const counter = new StatementCounter();

beforeAll(async () => {
  counter.install();
  h = await GatewayHarness.start();
  tapEvents(h.app, WebSocketEventPublished, (e) => {
    events.push(e);
  });
  admin = await h.signUp('qcadmin');
  alice = await h.signUp('qcalice', admin);
  bob = await h.signUp('qcbob', admin);
  ({ channelId } = await h.channelWith([alice, bob]));
});

afterAll(async () => {
  counter.restore();
  await h?.close();
});

/** Every statement while `work` runs: the requests' handlers run in the server's async context, not the test's. */
async function countStatements(work: () => Promise<void>): Promise<CountedStatement[]> {
  return (await counter.countAll(work)).statements;
}

const POSTS = 20;

it('creates a plain post in 1 statement (access checked by the write; the caller cached), its answer and event as a re-read gives', async () => {
  // Warm: the first request of a process may prepare what later ones reuse.
  await h.as(alice).post('/api/v4/posts').send({ channel_id: channelId, message: 'warm-up' }).expect(201);

  const answers: Record<string, unknown>[] = [];
  const seen = await countStatements(async () => {
    for (let i = 0; i < POSTS; i++) {
      const res = await h
        .as(alice)
        .post('/api/v4/posts')
        .send({ channel_id: channelId, message: `counted ${i}`, props: { b: 1, a: 'x' }, pending_post_id: `pending-${i}` })
        .expect(201);
      answers.push(res.body);
    }
  });
  const perPost = seen.length / POSTS;
  // Before: about 15 (session and user, channel and membership twice, BEGIN, stamp, insert, counters, member
  // read state, COMMIT, re-read, four metadata reads, the channel's members for the event).
  // Then 4 (the session, then its user), then 3 (the session or token and its user in one statement), then 2 (a
  // known caller comes from the gateway's cache, CallerCache, its invalidation tested in caller-cache.int-spec.ts).
  // Now the write-access check is part of the write statement.
  if (perPost > 1)
    throw new Error(
      `${perPost} statements per post, expected 1:\n${seen
        .slice(0, 30)
        .map((s) => s.text)
        .join('\n')}`,
    );
  // All of them prepared once per connection, not parsed and planned per post.
  expect(seen.filter((s) => !s.prepared)).toEqual([]);

  // The answer is exactly what reading the post back gives (plus the client's pending id), and so is the event.
  for (const answer of answers) {
    const reread = (await h.as(alice).get(`/api/v4/posts/${answer.id}`).expect(200)).body;
    expect(answer).toEqual({ ...reread, pending_post_id: answer.pending_post_id });
    const event = await waitFor(
      'posted event',
      async () => events.find((e) => e.event === 'posted' && JSON.parse(String(e.data.post)).id === answer.id),
      5_000,
      10,
    );
    expect(JSON.parse(String(event.data.post))).toEqual(answer);
    expect(event.broadcast.channel_id).toBe(channelId);
    expect([...(event.broadcast.user_ids ?? [])].sort()).toEqual([alice.id, bob.id].sort());
  }
  expect(answers.map((a) => a.pending_post_id)).toEqual(answers.map((_, i) => `pending-${i}`));
});

it('keeps the channel counters and the author read state that the write statement maintains', async () => {
  const before = (await h.as(alice).get(`/api/v4/channels/${channelId}`).expect(200)).body;
  const made = (await h.as(alice).post('/api/v4/posts').send({ channel_id: channelId, message: 'one more' }).expect(201)).body;
  const after = (await h.as(alice).get(`/api/v4/channels/${channelId}`).expect(200)).body;
  expect(after.total_msg_count).toBe(before.total_msg_count + 1);
  expect(after.total_msg_count_root).toBe(before.total_msg_count_root + 1);
  expect(after.last_post_at).toBe(made.create_at);
  expect(after.last_root_post_at).toBe(made.create_at);
  const member = (await h.as(alice).get(`/api/v4/channels/${channelId}/members/${alice.id}`).expect(200)).body;
  expect(member.msg_count).toBe(after.total_msg_count);
  expect(member.msg_count_root).toBe(after.total_msg_count_root);
  expect(member.last_viewed_at).toBe(made.create_at);
  const other = (await h.as(bob).get(`/api/v4/channels/${channelId}/members/${bob.id}`).expect(200)).body;
  expect(other.msg_count).toBeLessThan(after.total_msg_count);
});

it('refuses writes as before: non-members, archived channels, read-only shares; a shared channel still stamps the change', async () => {
  const carol = await h.signUp('qccarol', admin);
  const open = await h.channelWith([alice, bob]);
  const priv = await h.channelWith([alice, bob], 'P');
  const postAs = (user: TestUser, channel: string) => h.as(user).post('/api/v4/posts').send({ channel_id: channel, message: 'hi' });

  // Not a member of an open channel of a team one is not in: the read check refuses first (403 read_channel).
  expect((await postAs(carol, open.channelId).expect(403)).body.id).toBe('api.context.permissions.app_error');
  // Not a member of a private channel: it does not exist for them.
  await postAs(carol, priv.channelId).expect(404);
  // A member of the team but not of the open channel: may read it, may not post.
  await h.db.query(`INSERT INTO team_members (team_id, user_id, roles, create_at) VALUES ($1, $2, 'team_user', 0)`, [
    open.teamId,
    carol.id,
  ]);
  const notMember = (await postAs(carol, open.channelId).expect(403)).body;
  expect(notMember.id).toBe('api.context.permissions.app_error');
  expect(notMember.message).toContain('create_post');
  await postAs(carol, '0'.repeat(26)).expect(404);
  await postAs(carol, 'not-an-id').expect(400);

  // A read-only copy of a channel shared with us by a peer: members may read, not post.
  const remote = await newRemote(h.db);
  const copy = await h.channelWith([alice, bob]);
  await newShare(h.db, { channel_id: copy.channelId, creator_id: alice.id, remote_id: remote.remote_id, readonly: true }, [
    remote.remote_id,
  ]);
  expect((await postAs(alice, copy.channelId).expect(403)).body.id).toBe('api.post.create_post.shared_channel_read_only.app_error');

  // A channel shared from here: the plain post takes the share's change stamp, strictly after the previous one.
  const home = await h.channelWith([alice, bob]);
  await newShare(h.db, { channel_id: home.channelId, creator_id: alice.id }, [remote.remote_id]);
  await h.db.query(`UPDATE shared_channels SET last_change_at = $2 WHERE channel_id = $1`, [home.channelId, Date.now() + 60_000]);
  const [{ last_change_at: before }] = await h.db.query(`SELECT last_change_at FROM shared_channels WHERE channel_id = $1`, [
    home.channelId,
  ]);
  const made = (await postAs(alice, home.channelId).expect(201)).body;
  expect(made.create_at).toBe(Number(before) + 1);
  expect(made.update_at).toBe(Number(before) + 1);

  // Archived: members may no longer post.
  await h.db.query(`UPDATE channels SET delete_at = $2 WHERE id = $1`, [open.channelId, Date.now()]);
  expect((await postAs(alice, open.channelId).expect(403)).body.id).toBe('api.post.create_post.can_not_post_to_deleted.error');
});

it('decides write access inside the write statement as requireWrite decides it: moderations, admin roles, schemes', async () => {
  const frank = await h.signUp('qcfrank', admin);
  const chanAdmin = await h.signUp('qcchanadmin', admin);
  const teamAdmin = await h.signUp('qcteamadmin', admin);
  const storedAdmin = await h.signUp('qcstoredadmin', admin);
  const { teamId, channelId: moderated } = await h.channelWith([admin, frank, chanAdmin, teamAdmin, storedAdmin]);
  const promote = { scheme_admin: true, scheme_user: true };
  await h.as(admin).put(`/api/v4/channels/${moderated}/members/${chanAdmin.id}/schemes`).send(promote).expect(200);
  await h.as(admin).put(`/api/v4/teams/${teamId}/members/${teamAdmin.id}/schemes`).send(promote).expect(200);
  // An admin by the stored role name rather than the flag (as rows synced from elsewhere may say it).
  await h.db.query(`UPDATE channel_members SET roles = 'channel_user  channel_admin' WHERE channel_id = $1 AND user_id = $2`, [
    moderated,
    storedAdmin.id,
  ]);
  await h
    .as(admin)
    .put(`/api/v4/channels/${moderated}/moderations/patch`)
    .send([{ name: 'create_post', roles: { members: false } }])
    .expect(200);
  const counters = async () =>
    (await h.db.query(`SELECT total_msg_count, last_post_at FROM channels WHERE id = $1`, [moderated]))[0] as Record<string, unknown>;

  /** One post by `user`: its status and the statements it took. */
  const postCounted = async (user: TestUser, channel: string, message = 'decided') => {
    let status = 0;
    const seen = await countStatements(async () => {
      status = (await h.as(user).post('/api/v4/posts').send({ channel_id: channel, message })).status;
    });
    return { status, statements: seen.length };
  };
  // Each caller cached first, so the counts are the post's alone.
  for (const user of [frank, chanAdmin, teamAdmin, storedAdmin, admin]) await h.as(user).get('/api/v4/users/me').expect(200);

  // The withdrawn permission refuses a plain member with requireWrite's error, and nothing is written.
  const before = await counters();
  const refused = await h.as(frank).post('/api/v4/posts').send({ channel_id: moderated, message: 'no' }).expect(403);
  expect(refused.body.id).toBe('api.context.permissions.app_error');
  expect(refused.body.message).toContain('create_post');
  expect(await counters()).toEqual(before);
  // Admin roles keep it (channel admin by flag and by stored role, team admin, system admin): decided by the one statement.
  for (const user of [chanAdmin, storedAdmin, teamAdmin, admin]) {
    expect({ user: user.username, ...(await postCounted(user, moderated)) }).toEqual({ user: user.username, status: 201, statements: 1 });
  }

  // A team override scheme's channel user role grants posting in one statement too, and its edit takes effect at once.
  const scheme = (await h.as(admin).post('/api/v4/schemes').send({ display_name: 'Counted', scope: 'team' }).expect(201)).body;
  const { teamId: schemeTeam, channelId: schemeChannel } = await h.channelWith([admin, frank]);
  await h.as(admin).put(`/api/v4/teams/${schemeTeam}/scheme`).send({ scheme_id: scheme.id }).expect(200);
  expect(await postCounted(frank, schemeChannel)).toEqual({ status: 201, statements: 1 });
  const role = (await h.as(admin).get(`/api/v4/roles/name/${scheme.default_channel_user_role}`).expect(200)).body;
  await h
    .as(admin)
    .patch(`/api/v4/roles/${role.id}/patch`)
    .send({ permissions: role.permissions.filter((p: string) => p !== 'create_post') })
    .expect(200);
  expect((await h.as(frank).post('/api/v4/posts').send({ channel_id: schemeChannel, message: 'no' }).expect(403)).body.message).toContain(
    'create_post',
  );

  // A refused post in a shared channel leaves its change stamp alone.
  const remote = await newRemote(h.db);
  await newShare(h.db, { channel_id: moderated, creator_id: admin.id }, [remote.remote_id]);
  const stamp = async () => (await h.db.query(`SELECT last_change_at FROM shared_channels WHERE channel_id = $1`, [moderated]))[0];
  const stampBefore = await stamp();
  await h.as(frank).post('/api/v4/posts').send({ channel_id: moderated, message: 'no' }).expect(403);
  expect(await stamp()).toEqual(stampBefore);
});

it('a direct channel post (it mentions the other member) still takes the general path, with its mention', async () => {
  const direct = (await h.as(alice).post('/api/v4/channels/direct').send([alice.id, bob.id]).expect(201)).body;
  const made = (await h.as(alice).post('/api/v4/posts').send({ channel_id: direct.id, message: 'just us' }).expect(201)).body;
  const event = await waitFor(
    'posted event',
    async () => events.find((e) => e.event === 'posted' && JSON.parse(String(e.data.post)).id === made.id),
    5_000,
    10,
  );
  expect(JSON.parse(String(event.data.mentions))).toEqual([bob.id]);
  const member = (await h.as(bob).get(`/api/v4/channels/${direct.id}/members/${bob.id}`).expect(200)).body;
  expect(member.mention_count).toBe(1);
});

it('the one-statement session lookup refuses what the two-statement one refused, and answers with the same user', async () => {
  // The rows are edited behind the gateway's back here, so each edit drops the cached callers as the process making
  // it would (AuthService.changed); the lookup itself is what this test is about.
  const forget = (userId: string) => h.app.get(AuthService).forgetCallers(userId);
  const dora = await h.signUp('qcdora', admin);
  const me = (await h.as(dora).get('/api/v4/users/me').expect(200)).body;
  expect(me).toMatchObject({ id: dora.id, username: 'qcdora', roles: 'system_user', delete_at: 0 });
  // The user as the handlers see it, converted as TypeORM converts it (numbers, jsonb).
  expect(typeof me.create_at).toBe('number');
  expect(me.notify_props).toEqual(expect.any(Object));

  // An expired session is refused and removed.
  const expired = await h.login('qcdora');
  await h.db.query(`UPDATE sessions SET expires_at = 1 WHERE token_hash = $1`, [hashToken(expired.token)]);
  forget(dora.id);
  await h.as(expired).get('/api/v4/users/me').expect(401);
  const [{ left }] = await h.db.query(`SELECT count(*)::int AS left FROM sessions WHERE token_hash = $1`, [hashToken(expired.token)]);
  expect(left).toBe(0);
  await h.as(dora).get('/api/v4/users/me').expect(200);

  // A logged-out session is refused at once.
  const other = await h.login('qcdora');
  await h.as(other).post('/api/v4/users/logout').expect(200);
  await h.as(other).get('/api/v4/users/me').expect(401);

  // A personal access token authenticates as its user until deactivated.
  const pat = (await h.as(admin).post(`/api/v4/users/${dora.id}/tokens`).send({ description: 'qc' }).expect(200)).body;
  const asPat = { ...dora, token: pat.token as string };
  expect((await h.as(asPat).get('/api/v4/users/me').expect(200)).body.id).toBe(dora.id);
  await h.db.query(`UPDATE user_access_tokens SET is_active = false WHERE id = $1`, [pat.id]);
  forget(dora.id);
  await h.as(asPat).get('/api/v4/users/me').expect(401);
  await h.db.query(`UPDATE user_access_tokens SET is_active = true WHERE id = $1`, [pat.id]);
  forget(dora.id);
  await h.as(asPat).get('/api/v4/users/me').expect(200);

  // A deactivated user's session and token are refused, whatever is left of them.
  await h.db.query(`UPDATE users SET delete_at = $2 WHERE id = $1`, [dora.id, Date.now()]);
  forget(dora.id);
  await h.as(dora).get('/api/v4/users/me').expect(401);
  await h.as(asPat).get('/api/v4/users/me').expect(401);
  await h
    .as({ ...dora, token: 'x'.repeat(26) })
    .get('/api/v4/users/me')
    .expect(401);
});

it('keeps authenticating when another version adds a column to users (a prepared statement names its columns)', async () => {
  const erin = await h.signUp('qcerin', admin);
  // Prepare the lookup on the connection the next requests reuse.
  for (let i = 0; i < 3; i++) {
    h.app.get(AuthService).forgetCallers(erin.id);
    await h.as(erin).get('/api/v4/users/me').expect(200);
  }
  await h.db.query(`ALTER TABLE users ADD COLUMN qc_added integer NOT NULL DEFAULT 0`);
  try {
    for (let i = 0; i < 3; i++) {
      // Past the caller cache, so the prepared lookup itself runs after the change.
      h.app.get(AuthService).forgetCallers(erin.id);
      await h.as(erin).get('/api/v4/users/me').expect(200);
    }
  } finally {
    await h.db.query(`ALTER TABLE users DROP COLUMN qc_added`);
  }
});
