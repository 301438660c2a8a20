import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { newId } from '@fedchat/crypto';
import { waitFor } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { RemoteClusterModule } from '../../apps/remote-cluster/src/remote-cluster.module';
import { RemoteLease } from '../../apps/user-sync/src/send/remote-lease.service';
import { UserSyncSender } from '../../apps/user-sync/src/send/user-sync-sender.service';
import { UserSyncModule } from '../../apps/user-sync/src/user-sync.module';
import { StatementCounter } from '../support/statement-counter';
import { connectClusters, startTestCluster, TestCluster } from '../support/test-clusters';

/**
 * The sender's cost of a global user sync (protocol §5.9) between two real clusters, counted rather than timed:
 * how many messages a backlog takes, and how many statements the user-sync sender runs per message (its read of
 * users, lease, cursor and record of what was sent; the peer send's own statements belong to remote-cluster).
 */
const ENV = {
  REMOTE_CLUSTER_PING_INTERVAL_MS: '300',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  USER_SYNC_POLL_INTERVAL_MS: '600000',
  MM_FEATUREFLAGS_ENABLESYNCALLUSERSFORREMOTECLUSTER: 'false',
  MM_CONNECTEDWORKSPACESSETTINGS_GLOBALUSERSYNCBATCHSIZE: '100',
};
const USERS = 1_000;
/** The user-sync sender's tables and columns ... */
const SENDER_STATEMENT = /shared_channel_users|user_sync_lease|last_global_user_sync|FROM users|FROM "users"/;
/** ... but not remote-cluster's read of the connection for each send (it selects every column, the lease's too). */
const REMOTE_CLUSTER_LOOKUP = /^SELECT "RemoteCluster"/;

let a: TestCluster;
let b: TestCluster;
let rid: string;
const counter = new StatementCounter();

beforeAll(async () => {
  counter.install();
  a = await startTestCluster('a', ENV, [RemoteClusterModule, UserSyncModule]);
  b = await startTestCluster('b', ENV, [RemoteClusterModule, UserSyncModule]);
  rid = await connectClusters(a, b);
  b.h.app.get<AppConfig>(APP_CONFIG).featureFlags.enableSyncAllUsersForRemoteCluster = true;
}, 60_000);

afterAll(async () => {
  counter.restore();
  await a?.h.close();
  await b?.h.close();
});

it(`sends a backlog of ${USERS} users in few messages, with at most 2 sender statements per message`, async () => {
  const ids = Array.from({ length: USERS }, () => newId());
  await a.h.app.get(DataSource).query(
    `INSERT INTO users (id, create_at, update_at, username, email, roles)
     SELECT id, $2, $2, 'c' || substr(id, 1, 20), substr(id, 1, 20) || '@cost.test', 'system_user' FROM unnest($1::varchar[]) AS id`,
    [ids, Date.now()],
  );
  const [{ n: local }] = await a.h.app.get(DataSource).query(`SELECT count(*)::int AS n FROM users WHERE remote_id = ''`);
  // The remote is online once A has pinged B; then this test holds its lease and runs the global part alone.
  const lease = a.h.app.get(RemoteLease);
  const [remote] = await waitFor('the remote claimable', async () => {
    const claimed = await lease.claim(1);
    return claimed.length ? claimed : undefined;
  });
  expect(remote.remote_id).toBe(rid);
  const messages: number[] = [];
  const sender = a.h.app.get(UserSyncSender);
  const { result: done, statements } = await counter.count(async () => {
    const spy = jest.spyOn(sender as unknown as { countUsers: (r: string, n: number) => void }, 'countUsers');
    try {
      return await sender.globalUsers(remote, () => false);
    } finally {
      for (const call of spy.mock.calls) messages.push(call[1]);
      spy.mockRestore();
    }
  });
  await lease.release(remote);
  expect(done).toBe(true);
  expect(messages.reduce((s, n) => s + n, 0)).toBe(local);
  const onB: unknown[] = await b.h.app.get(DataSource).query('SELECT 1 FROM users WHERE id = ANY($1) AND remote_id = $2', [ids, rid]);
  expect(onB).toHaveLength(USERS);
  const senderStatements = statements.filter((s) => SENDER_STATEMENT.test(s.text) && !REMOTE_CLUSTER_LOOKUP.test(s.text));
  // One read of users and one cursor move (with the record of what was sent) per message, plus the last, empty read.
  expect(senderStatements.length).toBeLessThanOrEqual(2 * messages.length + 2);
  // A backlog goes at the most a Mattermost peer takes (200 a message) after the first, configured-size batch.
  expect(messages.length).toBeLessThanOrEqual(Math.ceil((local - 100) / 200) + 1);
});
