import { newId } from '@fedchat/crypto';
import { newRemote, newShare, newUser } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../apps/shared-channel-sync/src/shared-channel-sync.module';
import { UserSyncModule } from '../../apps/user-sync/src/user-sync.module';
import { GatewayHarness, TestUser } from '../support/gateway-harness';
import { sendHeldPeerMessage } from '../support/held-peer-message';

/*
 * The membership changes and statuses of a peer's sync message are handed by the receiver to the user-sync app. When
 * applying them took longer than the bus's general request timeout (10 s by default, here 300 ms), the receiver
 * answered FAIL; the peer sent the message again, which timed out the same way: under load (chaos seed 7, three
 * clusters, load average 30) a cluster refused 463 such messages in 12 minutes and its members never caught up. The
 * user-sync app is slowed by holding a lock on `channel_members` that its insert waits for.
 */

let h: GatewayHarness;
let db: DataSource;
let admin: TestUser;
let channelId: string;
const R = newId();
const TOKEN = newId();

beforeAll(async () => {
  h = await GatewayHarness.start({ BUS_REQUEST_TIMEOUT_MS: '300', MM_FEATUREFLAGS_ENABLESHAREDCHANNELSMEMBERSYNC: 'true' }, [
    RemoteClusterModule,
    SharedChannelSyncModule,
    UserSyncModule,
  ]);
  db = h.app.get(DataSource);
  admin = await h.signUp('slowmembersadmin');
  ({ channelId } = await h.channelWith([admin]));
  await newRemote(db, { remote_id: R, name: 'peer-slow-members', creator_id: admin.id, token: TOKEN });
  await newShare(db, { channel_id: channelId, creator_id: admin.id }, [R], { last_post_update_at: Date.now() + 3_600_000 });
});

afterAll(async () => {
  await h?.close();
});

it('answers OK to membership changes applied after longer than the bus timeout, and applies them', async () => {
  const member = await newUser(db, { username: 'slowjoiner:peer-slow-members', remote_id: R });
  const payload = {
    channel_id: channelId,
    membership_changes: [{ channel_id: channelId, user_id: member.id, is_add: true, change_time: Date.now() }],
  };
  const res = await sendHeldPeerMessage(h, db, { remoteId: R, token: TOKEN, payload }, { table: 'channel_members', holdMs: 1_500 });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'OK' });
  const rows = await db.query('SELECT 1 FROM channel_members WHERE channel_id = $1 AND user_id = $2', [channelId, member.id]);
  expect(rows).toHaveLength(1);
});
