import { Client4 } from '@mattermost/client';
import {
  Federation,
  FederatedCluster,
  openEvents,
  EventStream,
  PostJson,
  startFederation,
  userPosts,
  waitFor,
  WsEventJson,
} from '@fedchat/testing';
import { clusterEnv, SYNC_MS } from './support/cluster-env';

/*
 * Reviewing a channel invitation from the system bot's message, between two real clusters (processes started from
 * the build): A (embedded) invites a channel to B, a distributed cluster (each app its own process over NATS) whose
 * connection to A holds invitations for review. B's admin clicks with Mattermost's own client library
 * (`Client4.doPostAction`), so the requests are the ones the webapp sends; the click crosses from B's gateway to its
 * shared-channel-sync process, and the review post and its update come back over B's websocket.
 */

let fed: Federation;
let a: FederatedCluster;
let b: FederatedCluster;
let events: EventStream;
let client: Client4;

function postOf(
  e: WsEventJson,
): PostJson & { props: { attachments?: { actions?: { id: string; options?: { value: string }[] }[]; text?: string }[] } } {
  return JSON.parse(e.data.post as string);
}

async function clientError(p: Promise<unknown>): Promise<{ status_code?: number; server_error_id?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { status_code?: number; server_error_id?: string; message: string };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  fed = await startFederation({ clusters: ['a', 'b'], env: clusterEnv(), distributed: { b: {} } });
  ({ a, b } = fed.clusters);
  await b.api().patch(`/remotecluster/${b.remoteIds.a}`, { auto_accept_channel_invites: false });
  events = await openEvents(b.url, b.adminToken);
  client = new Client4();
  client.setUrl(b.url);
  client.setToken(b.adminToken);
});
afterAll(async () => {
  events?.close();
  await fed?.stop();
});

it('accepts an invitation held for review from the bot message, with the menu and the button, and the channel syncs', async () => {
  const channel = await a
    .api()
    .post<{ id: string }>('/channels', { team_id: a.teamId, name: 'by-button', display_name: 'By button', type: 'O' });
  await a.api().post(`/remotecluster/${a.remoteIds.b}/channels/${channel.id}/invite`);

  const posted = await events.next(
    (e) => e.event === 'posted' && postOf(e).message.includes('By button') && Array.isArray(postOf(e).props.attachments),
    'the review post',
    SYNC_MS,
  );
  const review = postOf(posted);
  const actions = review.props.attachments![0].actions!;
  expect(actions.map((x) => x.id)).toEqual(['destinationteam', 'accept', 'decline']);
  expect(actions[0].options!.map((o) => o.value)).toContain(b.teamId);

  expect(await client.doPostAction(review.id, 'destinationteam', b.teamId)).toMatchObject({ status: 'OK' });
  expect(await client.doPostAction(review.id, 'accept')).toMatchObject({ status: 'OK' });

  const updated = await events.next((e) => e.event === 'post_edited' && postOf(e).id === review.id, 'the updated review post', SYNC_MS);
  expect(postOf(updated).props.attachments).toEqual([expect.objectContaining({ text: 'Accepted into team Team b by @admin.' })]);
  expect(await b.api().get(`/channels/${channel.id}`)).toMatchObject({ team_id: b.teamId, shared: true });

  // The share works: a post on A arrives on B.
  const fromA = await a.api().post<PostJson>('/posts', { channel_id: channel.id, message: 'after the review' });
  await waitFor(
    'the post on B',
    async () => ((await userPosts(b.api(), channel.id)).some((p) => p.id === fromA.id) ? true : undefined),
    SYNC_MS,
    200,
  );

  const again = await clientError(client.doPostAction(review.id, 'accept'));
  expect([again.status_code, again.server_error_id]).toEqual([400, 'api.shared_channel.invitation.already_decided.app_error']);
});
