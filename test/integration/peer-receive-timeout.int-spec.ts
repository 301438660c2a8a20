import { newId } from '@fedchat/crypto';
import { newRemote, newShare } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { GatewayHarness, TestUser } from '../support/gateway-harness';
import { sendHeldPeerMessage } from '../support/held-peer-message';

/*
 * A peer's sync message whose application takes longer than the bus's general request timeout (here 300 ms; 10 s by
 * default) must still be answered OK once it is applied. Answering FAIL on the timeout made the peer send the whole
 * batch again while the first copy was still being applied: under load the copies queued and the backlog never
 * drained (chaos seed 1800). The receiver is slowed by holding a lock on `posts` that its insert waits for.
 */

let h: GatewayHarness;
let db: DataSource;
let admin: TestUser;
let channelId: string;
const R = newId();
const TOKEN = newId();

beforeAll(async () => {
  h = await GatewayHarness.start({ BUS_REQUEST_TIMEOUT_MS: '300' }, [RemoteClusterModule, SharedChannelSyncModule]);
  db = h.app.get(DataSource);
  admin = await h.signUp('slowreceiveradmin');
  ({ channelId } = await h.channelWith([admin]));
  await newRemote(db, { remote_id: R, name: 'peer-slow', creator_id: admin.id, token: TOKEN });
  await newShare(db, { channel_id: channelId, creator_id: admin.id }, [R], { last_post_update_at: Date.now() + 3_600_000 });
});

afterAll(async () => {
  await h?.close();
});

it('answers OK to a sync message applied after longer than the bus timeout, and applies it once', async () => {
  const authorId = newId();
  const postId = newId();
  const payload = {
    channel_id: channelId,
    users: { [authorId]: { id: authorId, username: 'slowwriter', email: 'slow@peer.example', update_at: Date.now() } },
    posts: [{ id: postId, user_id: authorId, channel_id: channelId, create_at: Date.now(), update_at: Date.now(), message: 'held back' }],
  };
  const res = await sendHeldPeerMessage(h, db, { remoteId: R, token: TOKEN, payload }, { table: 'posts', holdMs: 1_500 });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'OK' });
  const rows = await db.query('SELECT message FROM posts WHERE id = $1', [postId]);
  expect(rows).toEqual([{ message: 'held back' }]);
});
