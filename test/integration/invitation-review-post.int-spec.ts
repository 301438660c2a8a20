import { Bus } from '@fedchat/common';
import { peerTopicContract } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { EventStream, newTeam, openEvents, waitFor, WsEventJson } from '@fedchat/testing';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { TestUser } from '../support/gateway-harness';
import { startTestCluster, TestCluster } from '../support/test-clusters';

/*
 * Reviewing a channel invitation from the system bot's direct message, between two real clusters: A invites one of
 * its channels to B, whose connection to A holds invitations for review. Everything on B goes through what its users
 * use: the REST API (Mattermost's DoPostAction route, the channel and invitation routes) and the websocket.
 */

const FAST = {
  REMOTE_CLUSTER_PING_INTERVAL_MS: '300',
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: '2000',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  SHARED_CHANNELS_POLL_INTERVAL_MS: '100',
  SHARED_CHANNELS_RETRY_MAX_MS: '800',
};

interface PostJson {
  id: string;
  user_id: string;
  channel_id: string;
  message: string;
  edit_at: number;
  props: { attachments?: Record<string, unknown>[] } & Record<string, unknown>;
}

let a: TestCluster;
let b: TestCluster;
let remoteId: string;
/** B's second system admin, and a plain user. */
let admin2: TestUser;
let plain: TestUser;
/** A team on B with only the plain user and admin2 in it (admins may choose any team). */
let teamX: { id: string; display_name: string };
const streams: EventStream[] = [];
let adminEvents: EventStream;
let admin2Events: EventStream;
let counter = 0;

function act(user: TestUser, postId: string, actionId: string, body: Record<string, unknown> | string = {}) {
  const req = b.h.as(user).post(`/api/v4/posts/${postId}/actions/${actionId}`);
  return typeof body === 'string' ? req.set('Content-Type', 'application/json').send(body) : req.send(body);
}

/** A channel on A invited to B through A's REST API; B holds it for review. */
async function inviteFromA(): Promise<{ id: string; name: string; display_name: string }> {
  const name = `review-${++counter}-${Date.now() % 100000}`;
  const ch = (
    await a.h
      .as(a.admin)
      .post('/api/v4/channels')
      .send({ team_id: a.teamId, name, display_name: `Review ${counter}`, type: 'O' })
      .expect(201)
  ).body;
  await a.h.as(a.admin).post(`/api/v4/remotecluster/${remoteId}/channels/${ch.id}/invite`).send({}).expect(200);
  return ch;
}

function postOf(e: WsEventJson): PostJson {
  return JSON.parse(e.data.post as string) as PostJson;
}

/** The bot's `posted` review post about the channel, as the user's websocket delivered it. */
async function reviewPost(events: EventStream, displayName: string): Promise<PostJson> {
  const e = await events.next(
    (ev) => ev.event === 'posted' && Array.isArray(postOf(ev).props.attachments) && postOf(ev).message.includes(displayName),
    `review post about ${displayName}`,
  );
  return postOf(e);
}

async function edited(events: EventStream, postId: string): Promise<PostJson> {
  return postOf(await events.next((e) => e.event === 'post_edited' && postOf(e).id === postId, `post_edited of ${postId}`));
}

async function invitationOf(channelId: string): Promise<{ id: string; status: string; team_id: string }> {
  const res = await b.h.as(b.admin).get('/api/v4/sharedchannels/invitations').expect(200);
  return res.body.find((i: { channel_id: string }) => i.channel_id === channelId);
}

function expectError(res: { status: number; body: Record<string, unknown> }, status: number, id: string): void {
  expect({ status: res.status, id: res.body.id }).toEqual({ status, id });
  expect(res.body).toMatchObject({ status_code: status, message: expect.any(String) });
}

beforeAll(async () => {
  a = await startTestCluster('a', FAST, [RemoteClusterModule, SharedChannelSyncModule]);
  b = await startTestCluster('b', FAST, [RemoteClusterModule, SharedChannelSyncModule]);
  // B accepts the connection in review mode: channel invitations wait for a decision.
  const created = await a.h
    .as(a.admin)
    .post('/api/v4/remotecluster')
    .send({ name: 'peer-b', display_name: 'Peer B', default_team_id: a.teamId, password: 'Review-Passw0rd!' })
    .expect(201);
  const accepted = await b.h
    .as(b.admin)
    .post('/api/v4/remotecluster/accept_invite')
    .send({
      name: 'peer-a',
      display_name: 'Peer A',
      invite: created.body.invite,
      password: 'Review-Passw0rd!',
      auto_accept_channel_invites: false,
    })
    .expect(201);
  remoteId = accepted.body.remote_id;
  await waitFor('A sees B confirmed', async () => {
    const rows = await a.h.db.query('SELECT site_url FROM remote_clusters WHERE remote_id = $1', [remoteId]);
    return rows[0]?.site_url === b.url ? true : undefined;
  });

  admin2 = await b.h.signUp('badmin2', b.admin);
  await b.h.as(b.admin).put(`/api/v4/users/${admin2.id}/roles`).send({ roles: 'system_user system_admin' }).expect(200);
  plain = await b.h.signUp('bplain', b.admin);
  const team = await newTeam(b.h.db, { display_name: 'Team X' });
  teamX = { id: team.id, display_name: team.display_name };
  await b.h.as(b.admin).post(`/api/v4/teams/${team.id}/members`).send({ team_id: team.id, user_id: plain.id }).expect(201);

  for (const user of [b.admin, admin2]) streams.push(await openEvents(b.url, user.token));
  [adminEvents, admin2Events] = streams;
});

afterAll(async () => {
  for (const s of streams) s.close();
  await a?.h.close();
  await b?.h.close();
});

describe('accepting a pending channel from the bot message', () => {
  let ch: { id: string; name: string; display_name: string };
  let post: PostJson;
  let post2: PostJson;

  it('sends every user allowed to decide a direct message with the menu and buttons, in Mattermost attachment JSON', async () => {
    ch = await inviteFromA();
    post = await reviewPost(adminEvents, ch.display_name);
    post2 = await reviewPost(admin2Events, ch.display_name);
    expect(post2.id).not.toBe(post.id);
    const inv = await invitationOf(ch.id);
    expect(inv.status).toBe('pending');

    const bot = (await b.h.as(b.admin).get('/api/v4/users/username/system-bot').expect(200)).body;
    expect(post.user_id).toBe(bot.id);
    expect(post.message).toContain('Peer A');
    expect(post.message).toContain(inv.id);
    const [attachment] = post.props.attachments!;
    expect(attachment).toMatchObject({ title: ch.display_name, color: expect.any(String), fallback: expect.any(String) });
    // What the clients get: no `integration` (kept on the server), no `data_source` (static options).
    expect(attachment.actions).toEqual([
      { id: 'destinationteam', type: 'select', name: 'Destination team', options: expect.any(Array) },
      { id: 'accept', type: 'button', name: 'Accept', style: 'primary' },
      { id: 'decline', type: 'button', name: 'Decline', style: 'danger' },
    ]);
    const options = (attachment.actions as { options?: { text: string; value: string }[] }[])[0].options!;
    // System admins may choose any team.
    expect(options).toEqual(
      expect.arrayContaining([
        { text: teamX.display_name, value: teamX.id },
        { text: expect.any(String), value: b.teamId },
      ]),
    );
    for (const o of options) expect(Object.keys(o).sort()).toEqual(['text', 'value']);

    // The REST API shows the same post, still without the integration; the database keeps it.
    const viaRest = (await b.h.as(b.admin).get(`/api/v4/posts/${post.id}`).expect(200)).body;
    expect(viaRest.props).toEqual(post.props);
    const [stored] = await b.h.db.query('SELECT props FROM posts WHERE id = $1', [post.id]);
    expect(stored.props.attachments[0].actions[1].integration).toEqual({
      url: 'fedchat:shared-channel-invitation-review',
      context: { invitation_id: inv.id, action: 'accept' },
    });
  });

  it('refuses users who may not decide or cannot see the post (403)', async () => {
    expectError(await act(plain, post.id, 'accept'), 403, 'api.context.permissions.app_error');
    expectError(await act(plain, post.id, 'destinationteam', { selected_option: teamX.id }), 403, 'api.context.permissions.app_error');
    expect((await invitationOf(ch.id)).status).toBe('pending');
  });

  it('answers bad input with Mattermost errors and changes nothing', async () => {
    expectError(await act(b.admin, post.id, 'nosuchaction'), 404, 'api.post.do_action.action_id.app_error');
    expectError(await act(b.admin, post.id, 'bad-id!'), 400, 'api.context.invalid_param.app_error');
    expectError(await act(b.admin, newId(), 'accept'), 404, 'app.post.get.app_error');
    expectError(await act(b.admin, 'not-an-id', 'accept'), 400, 'api.context.invalid_param.app_error');
    expectError(await act(b.admin, post.id, 'destinationteam', { selected_option: 5 }), 400, 'api.context.invalid_body_param.app_error');
    expect((await act(b.admin, post.id, 'destinationteam', '{"selected_option": ')).status).toBe(400);
    expectError(await act(b.admin, post.id, 'destinationteam', {}), 400, 'api.context.invalid_param.app_error');
    // Not one of the menu's teams: an unknown id, and a team made after the post.
    expectError(
      await act(b.admin, post.id, 'destinationteam', { selected_option: newId() }),
      400,
      'api.shared_channel.invitation.invalid_team.app_error',
    );
    const later = await newTeam(b.h.db, { display_name: 'Later team' });
    expectError(
      await act(b.admin, post.id, 'destinationteam', { selected_option: later.id }),
      400,
      'api.shared_channel.invitation.invalid_team.app_error',
    );
    // Accept before choosing a team: refused, and said in the conversation (the apps do not show action errors).
    const noTeam = await act(b.admin, post.id, 'accept');
    expectError(noTeam, 400, 'api.shared_channel.invitation.team_required.app_error');
    const notice = await adminEvents.next(
      (e) => e.event === 'ephemeral_message' && postOf(e).message === noTeam.body.message,
      'ephemeral refusal',
    );
    expect(postOf(notice).channel_id).toBe(post.channel_id);
    // A user's own post with an action of another integration: Mattermost's integration error, no outgoing call.
    const own = await b.h
      .as(b.admin)
      .post('/api/v4/posts')
      .send({
        channel_id: b.channelId,
        message: 'forged',
        props: {
          attachments: [
            {
              actions: [
                {
                  id: 'accept',
                  type: 'button',
                  name: 'Accept',
                  integration: { url: 'fedchat:shared-channel-invitation-review', context: {} },
                },
                { id: 'hook', type: 'button', name: 'Hook', integration: { url: 'http://127.0.0.1:9/hook', context: {} } },
              ],
            },
          ],
        },
      })
      .expect(201);
    expectError(await act(b.admin, own.body.id, 'accept'), 400, 'api.post.do_action.action_integration.app_error');
    expectError(await act(b.admin, own.body.id, 'hook'), 400, 'api.post.do_action.action_integration.app_error');
    expect((await invitationOf(ch.id)).status).toBe('pending');
    expect((await b.h.as(b.admin).get(`/api/v4/channels/${ch.id}`)).status).toBe(404);
  });

  it('accepts into the team chosen in the menu; every copy of the message shows the outcome', async () => {
    const chosen = await act(b.admin, post.id, 'destinationteam', { selected_option: teamX.id }).expect(200);
    expect(chosen.body).toEqual({ status: 'OK', trigger_id: expect.stringMatching(/^[a-z0-9]{26}$/) });
    // Another admin's choice is theirs alone: admin2 has chosen nothing.
    expectError(await act(admin2, post2.id, 'accept'), 400, 'api.shared_channel.invitation.team_required.app_error');

    await act(b.admin, post.id, 'accept').expect(200);
    const channel = (await b.h.as(b.admin).get(`/api/v4/channels/${ch.id}`).expect(200)).body;
    expect(channel).toMatchObject({ team_id: teamX.id, name: ch.name, shared: true });
    expect(await invitationOf(ch.id)).toMatchObject({ status: 'accepted', team_id: teamX.id });

    const outcome = `Accepted into team ${teamX.display_name} by @${b.admin.username}.`;
    for (const [events, p] of [
      [adminEvents, post],
      [admin2Events, post2],
    ] as const) {
      const updated = await edited(events, p.id);
      expect(updated.message).toContain(outcome);
      expect(updated.props.attachments).toEqual([expect.objectContaining({ text: outcome })]);
      expect(updated.props.attachments![0]).not.toHaveProperty('actions');
    }
    // The home learns of it.
    await waitFor('A confirmed', async () => {
      const rows = await a.h.db.query('SELECT is_invite_confirmed FROM shared_channel_remotes WHERE channel_id = $1', [ch.id]);
      return rows[0]?.is_invite_confirmed ? true : undefined;
    });
  });

  it('tells a second click who decided (also from a copy that was not updated yet)', async () => {
    const again = await act(admin2, post2.id, 'accept');
    expectError(again, 400, 'api.shared_channel.invitation.already_decided.app_error');
    expect(again.body.message).toContain(`Accepted into team ${teamX.display_name} by @${b.admin.username}.`);
    await admin2Events.next((e) => e.event === 'ephemeral_message' && postOf(e).message === again.body.message, 'ephemeral refusal');
    expectError(await act(b.admin, post.id, 'decline'), 400, 'api.shared_channel.invitation.already_decided.app_error');
    expect((await invitationOf(ch.id)).status).toBe('accepted');
    // Another post of the bot (the channel's "now shared" notice) is no review post, whatever action is asked of it.
    const notice = await waitFor('the shared notice', async () => {
      const list = (await b.h.as(b.admin).get(`/api/v4/channels/${ch.id}/posts`).expect(200)).body;
      return Object.values(list.posts as Record<string, PostJson>).find((p) => p.message === 'This channel is now shared with Peer A.');
    });
    expectError(await act(b.admin, notice.id, 'accept'), 404, 'api.post.do_action.action_id.app_error');
  });
});

describe('declining from the bot message', () => {
  it('declines, the home ends its share, and the messages say who declined', async () => {
    const ch = await inviteFromA();
    const post = await reviewPost(adminEvents, ch.display_name);
    const post2 = await reviewPost(admin2Events, ch.display_name);
    await act(admin2, post2.id, 'decline').expect(200);
    expect((await invitationOf(ch.id)).status).toBe('rejected');
    const outcome = `Declined by @${admin2.username}.`;
    expect((await edited(adminEvents, post.id)).props.attachments).toEqual([expect.objectContaining({ text: outcome })]);
    expect((await edited(admin2Events, post2.id)).message).toContain(outcome);
    await waitFor('A ends its share', async () => {
      const rows = await a.h.db.query('SELECT 1 FROM shared_channels WHERE channel_id = $1', [ch.id]);
      return rows.length === 0 ? true : undefined;
    });
    expect((await b.h.as(b.admin).get(`/api/v4/channels/${ch.id}`)).status).toBe(404);
    expectError(
      await act(b.admin, post.id, 'destinationteam', { selected_option: teamX.id }),
      400,
      'api.shared_channel.invitation.already_decided.app_error',
    );
  });

  it('a decision through the REST review routes updates the messages too', async () => {
    const ch = await inviteFromA();
    const post = await reviewPost(adminEvents, ch.display_name);
    const inv = await invitationOf(ch.id);
    await b.h.as(admin2).post(`/api/v4/sharedchannels/invitations/${inv.id}/accept`).send({ team_id: b.teamId }).expect(200);
    const updated = await edited(adminEvents, post.id);
    expect(updated.message).toContain(`by @${admin2.username}.`);
    expectError(await act(b.admin, post.id, 'accept'), 400, 'api.shared_channel.invitation.already_decided.app_error');
  });
});

describe('a user granted manage_shared_channels by the system scheme', () => {
  it('gets the message too, with only their own teams in the menu, and may not act once the permission is gone', async () => {
    const role = (await b.h.as(b.admin).get('/api/v4/roles/name/system_user').expect(200)).body;
    const patch = (permissions: string[]) => b.h.as(b.admin).patch(`/api/v4/roles/${role.id}/patch`).send({ permissions }).expect(200);
    await patch([...role.permissions, 'manage_shared_channels']);
    const plainEvents = await openEvents(b.url, plain.token);
    streams.push(plainEvents);
    try {
      const ch = await inviteFromA();
      const post = await reviewPost(plainEvents, ch.display_name);
      const [menu] = post.props.attachments![0].actions as { options: unknown[] }[];
      expect(menu.options).toEqual([{ text: teamX.display_name, value: teamX.id }]);
      // B's first team is in the admins' menus, not in theirs.
      expectError(
        await act(plain, post.id, 'destinationteam', { selected_option: b.teamId }),
        400,
        'api.shared_channel.invitation.invalid_team.app_error',
      );
      await act(plain, post.id, 'destinationteam', { selected_option: teamX.id }).expect(200);

      await patch(role.permissions);
      expectError(await act(plain, post.id, 'accept'), 403, 'api.context.permissions.app_error');
      expect((await invitationOf(ch.id)).status).toBe('pending');
    } finally {
      await patch(role.permissions);
    }
  });
});

describe('a retry of the home that crosses the acceptance', () => {
  it('does not make the accepted invitation pending again, nor announce it again', async () => {
    // What such a retry sees: its checks ran before the acceptance committed (no share, no channel yet), and by the
    // time it records the invitation, the invitation is accepted.
    const invite = {
      channel_id: newId(),
      team_id: '',
      read_only: false,
      name: `crossing-${newId().slice(0, 8)}`,
      display_name: 'Crossing',
      header: '',
      purpose: '',
      type: 'O',
      creator_id: newId(),
      direct_participant_ids: [],
      direct_participants: [],
    };
    const now = Date.now();
    await b.h.db.query(
      `INSERT INTO shared_channel_invitations (id, channel_id, remote_id, status, error, team_id, decided_by, invite, create_at, update_at)
       VALUES ($1, $2, $3, 'accepted', '', $4, $5, $6::jsonb, $7, $7)`,
      [newId(), invite.channel_id, remoteId, b.teamId, b.admin.id, JSON.stringify(invite), now],
    );
    const topic = peerTopicContract('sharedchannel_invite');
    const answer = await b.h.app
      .get(Bus)
      .request(topic, { remote_id: remoteId, msg: { id: newId(), topic: 'sharedchannel_invite', create_at: now, payload: invite } });
    expect(answer.status).toBe('FAIL');
    expect((await invitationOf(invite.channel_id)).status).toBe('accepted');
    const announced = await b.h.db.query(`SELECT count(*)::int AS n FROM posts WHERE message LIKE $1`, ['%Crossing%']);
    expect(announced[0].n).toBe(0);
  });
});
