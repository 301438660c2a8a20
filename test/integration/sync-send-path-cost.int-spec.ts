import { Bus } from '@fedchat/common';
import { ConnectionChangedEvent, SendToPeer } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { newPost, newRemote, newShare } from '@fedchat/testing';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { SyncQueue } from '../../apps/shared-channel-sync/src/sync/sync-queue.service';
import { SyncSender } from '../../apps/shared-channel-sync/src/sync/sync-sender.service';
import { GatewayHarness, TestUser } from '../support/gateway-harness';
import { StatementCounter } from '../support/statement-counter';

/**
 * What a new post costs on its way out, counted rather than timed: at a low rate (propagation latency) every
 * statement between the post's commit and the request to the peer is a round trip the post waits for. And the
 * connection rows cached on that way (remote-cluster's sender, the gateway's peer guard) must follow every change.
 */

interface PeerMessage {
  path: string;
  body: { msg: { topic: string; payload: { posts?: { id: string }[] } } };
}

/** A stand-in peer: answers every `/msg` with OK and keeps what it got. */
class FakePeer {
  private constructor(
    private readonly server: Server,
    readonly messages: PeerMessage[],
  ) {}

  static async start(): Promise<FakePeer> {
    const messages: PeerMessage[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        messages.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: 'OK', payload: { post_errors: [] } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakePeer(server, messages);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  postIds(): string[] {
    return this.messages.flatMap((m) => (m.body.msg.payload.posts ?? []).map((p) => p.id));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let h: GatewayHarness;
let db: DataSource;
let bus: Bus;
let admin: TestUser;
let channelId: string;
let peer: FakePeer;
let otherPeer: FakePeer;
const R = newId();
const TOKEN = newId();
const counter = new StatementCounter();

beforeAll(async () => {
  counter.install();
  peer = await FakePeer.start();
  otherPeer = await FakePeer.start();
  h = await GatewayHarness.start(
    { SHARED_CHANNELS_POLL_INTERVAL_MS: '60000', USER_SYNC_POLL_INTERVAL_MS: '600000', FILE_TRANSFER_POLL_INTERVAL_MS: '600000' },
    [RemoteClusterModule, SharedChannelSyncModule],
  );
  db = h.app.get(DataSource);
  bus = h.app.get(Bus);
  admin = await h.signUp('sendcostadmin');
  ({ channelId } = await h.channelWith([admin]));
  await newRemote(db, { remote_id: R, name: 'peer-r', site_url: peer.url, remote_token: newId(), token: TOKEN, creator_id: admin.id });
  await newShare(db, { channel_id: channelId, creator_id: admin.id }, [R]);
});

afterAll(async () => {
  counter.restore();
  await h?.close();
  await peer?.close();
  await otherPeer?.close();
});

/**
 * A post written behind the doorbell's back (so that the worker does not race the test for it), then what the worker
 * does on its doorbell: claim the channel's pairs, run the pair, release it. Returns the statements, in order.
 */
async function sendOnePost(message: string): Promise<{ postId: string; statements: string[] }> {
  const post = await newPost(db, { channel_id: channelId, user_id: admin.id, message });
  const queue = h.app.get(SyncQueue);
  const sender = h.app.get(SyncSender);
  const { statements } = await counter.count(async () => {
    const [pair] = await queue.claim(16, channelId);
    expect(pair).toBeDefined();
    await sender.run(pair, () => false);
    await queue.succeed(pair);
  });
  return { postId: post.id, statements: statements.map((s) => s.text) };
}

const readsConnection = (text: string) => /FROM "?remote_clusters"?/i.test(text) && /^\s*SELECT/i.test(text);
const readsPostsApart = (text: string) => /^\s*SELECT/i.test(text) && text.includes('(p.update_at, p.id) > (');

describe("a post's way out", () => {
  it('claims with the first read and looks the connection up in no statement once known', async () => {
    await sendOnePost('warm-up: the author and the connection travel once');
    const { postId, statements } = await sendOnePost('counted');
    expect(peer.postIds()).toContain(postId);
    // Before: the claim, then a read of the posts past the cursor, and remote-cluster read the connection row for
    // every message; now the claim returns the first batch and the row comes from the cache.
    expect(statements.filter(readsPostsApart)).toEqual([]);
    expect(statements.filter(readsConnection)).toEqual([]);
    // The claim; reactions, acknowledgements and the posts' four metadata reads side by side; the users; the
    // attachments check; then the cursor and the release (13 before: the posts read apart, the connection row).
    expect(statements.length).toBeLessThanOrEqual(11);
  });

  it('a changed connection applies to the next message, from any process', async () => {
    await sendOnePost('to the first peer');
    // Another process moved the peer (as a change behind this one's back, then its event, as every change emits).
    await db.query('UPDATE remote_clusters SET site_url = $2 WHERE remote_id = $1', [R, otherPeer.url]);
    bus.emit(ConnectionChangedEvent, { remote_id: R });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { postId } = await sendOnePost('to the moved peer');
    expect(otherPeer.postIds()).toEqual([postId]);
    expect(peer.postIds()).not.toContain(postId);
  });
});

describe("a peer's requests", () => {
  const ping = (token = TOKEN) =>
    h.http
      .post('/api/v4/remotecluster/ping')
      .set('X-RemoteCluster-Id', R)
      .set('X-RemoteCluster-Token', token)
      .send({ remote_id: R, msg: { id: newId(), topic: 'ping', create_at: Date.now(), payload: { sent_at: Date.now() } } });

  it('are authenticated without a statement once the connection is known, a wrong token still refused', async () => {
    await ping().expect(200);
    const { statements } = await counter.countAll(async () => {
      await ping().expect(200);
    });
    expect(statements.map((s) => s.text).filter(readsConnection)).toEqual([]);
    await ping(newId()).expect(401);
  });

  it('a deleted connection refuses its peer and gets no message from the next send', async () => {
    await ping().expect(200);
    const before = await bus.request(SendToPeer, { remote_id: R, topic: 'sharedchannel_sync', payload: { channel_id: channelId } });
    expect(before.status).toBe('OK');
    await h.as(admin).delete(`/api/v4/remotecluster/${R}`).expect(200);
    await ping().expect(401);
    const after = await bus.request(SendToPeer, { remote_id: R, topic: 'sharedchannel_sync', payload: { channel_id: channelId } });
    expect(after).toMatchObject({ status: 'FAIL', err: 'unknown or unconfirmed remote' });
  });
});
