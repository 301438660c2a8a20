import { Client4, WebSocketClient } from '@mattermost/client';
import WebSocket from 'ws';
import { RunningSuite, startDistributedSuite, startEmbeddedSuite, waitFor } from '@fedchat/testing';

/*
 * Mattermost's own JS client (Client4 and WebSocketClient) drives a running suite through every part of the
 * chat core. In distributed mode the acting clients use one gateway replica and the websocket listener another,
 * so events must cross NATS.
 */

// WebSocketClient reads `WebSocket.OPEN` from the global scope, which Node 20 does not have.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

type Event = { event: string; data: Record<string, any>; broadcast: Record<string, any>; seq: number };

function client(url: string): Client4 {
  const c = new Client4();
  c.setUrl(url);
  c.setIncludeCookies(false);
  return c;
}

/** A WebSocketClient session recording every event. */
async function listen(url: string, token: string): Promise<{ events: Event[]; close: () => void }> {
  const events: Event[] = [];
  const ws = new WebSocketClient({
    newWebSocketFn: (u: string) => new WebSocket(u) as unknown as globalThis.WebSocket,
    clientPingInterval: 600_000,
    maxWebSocketFails: 0,
  });
  ws.addMessageListener((msg) => events.push(msg as unknown as Event));
  ws.initialize(`${url.replace(/^http/, 'ws')}/api/v4/websocket`, token);
  await waitFor('hello', async () => (events.some((e) => e.event === 'hello') ? true : undefined), 10_000, 20);
  return { events, close: () => ws.close() };
}

function nextEvent(events: Event[], match: (e: Event) => boolean, what: string): Promise<Event> {
  return waitFor(what, async () => events.find(match), 10_000, 20);
}

async function exerciseChatCore(suite: RunningSuite): Promise<void> {
  const [actUrl] = suite.gateways;
  const listenUrl = suite.gateways[suite.gateways.length - 1];
  const password = 'correct-horse-1';

  // Sign up: the first account is the system admin, who then creates the others.
  const admin = client(actUrl);
  const adminUser = await admin.createUser({ username: 'admin', email: 'admin@example.com', password } as never, '', '');
  expect(adminUser.roles).toContain('system_admin');
  await admin.login('admin', password);
  await admin.createUser({ username: 'alice', email: 'alice@example.com', password } as never, '', '');
  await admin.createUser({ username: 'bob', email: 'bob@example.com', password } as never, '', '');
  await admin.createUser({ username: 'carol', email: 'carol@example.com', password } as never, '', '');
  const alice = client(actUrl);
  const aliceUser = await alice.login('alice', password);
  const bob = client(listenUrl);
  const bobUser = await bob.login('bob', password);
  const carolUser = await admin.getUserByUsername('carol');
  expect((await alice.getMe()).id).toBe(aliceUser.id);

  const bobWs = await listen(listenUrl, bob.getToken());

  // Team and channels of every type.
  const team = await alice.createTeam({ name: 'engineering', display_name: 'Engineering', type: 'O' } as never);
  await alice.addToTeam(team.id, bobUser.id);
  await alice.addToTeam(team.id, carolUser.id);
  expect((await bob.getMyTeams()).map((t) => t.id)).toContain(team.id);
  const open = await alice.createChannel({ team_id: team.id, name: 'general-talk', display_name: 'General talk', type: 'O' } as never);
  const priv = await alice.createChannel({ team_id: team.id, name: 'secret-plans', display_name: 'Secret plans', type: 'P' } as never);
  await alice.addToChannel(bobUser.id, open.id);
  await nextEvent(bobWs.events, (e) => e.event === 'user_added' && e.broadcast.channel_id === open.id, 'user_added');
  await alice.addToChannel(bobUser.id, priv.id);
  const dm = await alice.createDirectChannel([aliceUser.id, bobUser.id]);
  expect(dm.type).toBe('D');
  const gm = await alice.createGroupChannel([aliceUser.id, bobUser.id, carolUser.id]);
  expect(gm.type).toBe('G');
  expect((await alice.getChannelByName(team.id, 'general-talk')).id).toBe(open.id);

  // Posts and threads; bob hears about them over the websocket of the other gateway.
  const root = await alice.createPost({ channel_id: open.id, message: 'Shipping the federation release today' } as never);
  const posted = await nextEvent(bobWs.events, (e) => e.event === 'posted' && JSON.parse(e.data.post).id === root.id, 'posted');
  expect(typeof posted.data.post).toBe('string');
  const reply = await bob.createPost({ channel_id: open.id, message: 'Great news', root_id: root.id } as never);
  const thread = await alice.getPostThread(root.id);
  expect(thread.order).toEqual(expect.arrayContaining([root.id, reply.id]));
  const page = await bob.getPosts(open.id, 0, 60);
  expect(page.order.slice(0, 2)).toEqual([reply.id, root.id]);

  // Edit and delete.
  const edited = await alice.patchPost({ id: root.id, message: 'Shipping the federation release tomorrow' } as never);
  expect(edited.edit_at).toBeGreaterThan(0);
  await nextEvent(bobWs.events, (e) => e.event === 'post_edited' && JSON.parse(e.data.post).message.endsWith('tomorrow'), 'post_edited');
  const doomed = await alice.createPost({ channel_id: priv.id, message: 'delete me' } as never);
  await alice.deletePost(doomed.id);
  await nextEvent(bobWs.events, (e) => e.event === 'post_deleted' && JSON.parse(e.data.post).id === doomed.id, 'post_deleted');

  // Reactions and acknowledgements with priority metadata.
  await bob.addReaction(bobUser.id, root.id, 'tada');
  await nextEvent(bobWs.events, (e) => e.event === 'reaction_added', 'reaction_added');
  expect((await alice.getReactionsForPost(root.id)).map((r) => r.emoji_name)).toEqual(['tada']);
  await bob.removeReaction(bobUser.id, root.id, 'tada');
  await nextEvent(bobWs.events, (e) => e.event === 'reaction_removed', 'reaction_removed');
  const urgent = await alice.createPost({
    channel_id: open.id,
    message: 'Please confirm you read the runbook',
    metadata: { priority: { priority: 'urgent', requested_ack: true } },
  } as never);
  expect(urgent.metadata?.priority?.priority).toBe('urgent');
  const ack = await bob.acknowledgePost(urgent.id, bobUser.id);
  expect(ack.user_id).toBe(bobUser.id);
  const withAck = await alice.getPost(urgent.id);
  expect(withAck.metadata?.acknowledgements?.map((a) => a.user_id)).toEqual([bobUser.id]);

  // Files: upload, attach, download byte-identical.
  const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
  const form = new FormData();
  form.append('channel_id', open.id);
  form.append('files', new Blob([bytes]), 'data.bin');
  const uploaded = await alice.uploadFile(form as never);
  const fileId = uploaded.file_infos[0].id;
  await alice.createPost({ channel_id: open.id, message: 'the data', file_ids: [fileId] } as never);
  const download = await fetch(alice.getFileUrl(fileId, 0), { headers: { Authorization: `Bearer ${bob.getToken()}` } });
  expect(download.status).toBe(200);
  expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

  // Search, only over what the searcher may read.
  const found = await bob.searchPosts(team.id, 'federation', false);
  expect(found.order).toContain(root.id);
  const carol = client(actUrl);
  await carol.login('carol', password);
  await carol.searchPosts(team.id, 'plans delete', false).then((r) => expect(r.order).toEqual([]));

  // Slash command and status.
  const echoed = await bob.executeCommand('/echo "hello from bob"', { channel_id: open.id, team_id: team.id } as never);
  expect(echoed.text).toBe('hello from bob');
  await alice.updateStatus({ user_id: aliceUser.id, status: 'dnd' } as never);
  await nextEvent(
    bobWs.events,
    (e) => e.event === 'status_change' && e.data.user_id === aliceUser.id && e.data.status === 'dnd',
    'status_change',
  );

  // The event stream was gapless.
  expect(bobWs.events.map((e) => e.seq)).toEqual(bobWs.events.map((_, i) => i));
  bobWs.close();
}

describe('Mattermost JS client against the embedded suite', () => {
  let suite: RunningSuite;
  beforeAll(async () => {
    suite = await startEmbeddedSuite();
  });
  afterAll(async () => {
    await suite?.stop();
  });

  it('covers sign-up, teams, channels, posts, reactions, acks, files, search, commands and websocket events', async () => {
    await exerciseChatCore(suite);
  });
});

describe('Mattermost JS client against the distributed suite (two gateways over NATS)', () => {
  let suite: RunningSuite;
  beforeAll(async () => {
    suite = await startDistributedSuite({ replicas: { gateway: 2 } });
  });
  afterAll(async () => {
    await suite?.stop();
  });

  it('covers the same flow with events crossing gateway replicas', async () => {
    expect(suite.gateways).toHaveLength(2);
    await exerciseChatCore(suite);
  });
});
