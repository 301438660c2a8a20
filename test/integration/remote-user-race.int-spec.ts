import { RefusedItem, SyncUserSchema, upsertRemoteUser } from '@fedchat/chat';
import { newId } from '@fedchat/crypto';
import { newRemote } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { GatewayHarness } from '../support/gateway-harness';

/*
 * One new remote user in several messages applied at once (after an outage, every shared channel's first batch carries
 * the same authors). The second transaction's insert waits for the first's, then collides on the id: that is the same
 * user created meanwhile, not a taken name. Before, it was taken for a name collision, every candidate name collided
 * the same way, and the item was refused with "no free username": its post went to the retry queue and the catch-up
 * waited for the backoff.
 */

let h: GatewayHarness;
let db: DataSource;

beforeAll(async () => {
  h = await GatewayHarness.start();
  db = h.app.get(DataSource);
});

afterAll(async () => {
  await h?.close();
});

it('takes a user created by a concurrent transaction as existing, and updates it', async () => {
  const admin = await h.signUp('raceadmin');
  const remote = await newRemote(db, { name: 'peer-race', creator_id: admin.id });
  const sender = { remote_id: remote.remote_id, name: remote.name };
  const id = newId();
  const first = SyncUserSchema.parse({ id, username: 'racer', first_name: 'First', update_at: 1 });
  const second = SyncUserSchema.parse({ id, username: 'racer', first_name: 'Second', update_at: 2 });

  const one = db.createQueryRunner();
  const two = db.createQueryRunner();
  await one.connect();
  await two.connect();
  try {
    await one.startTransaction();
    await two.startTransaction();
    const created = await upsertRemoteUser(one.manager, sender, first);
    expect(created.created).toBe(true);
    // Blocks on the first transaction's uncommitted row until it commits.
    const pending = upsertRemoteUser(two.manager, sender, second).then(
      (r) => r,
      (err: unknown) => err,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await one.commitTransaction();
    const outcome = await pending;
    expect(outcome).not.toBeInstanceOf(RefusedItem);
    expect(outcome).toMatchObject({ created: false, user: { id, username: 'racer:peer-race', first_name: 'Second' } });
    await two.commitTransaction();
  } finally {
    if (one.isTransactionActive) await one.rollbackTransaction();
    if (two.isTransactionActive) await two.rollbackTransaction();
    await one.release();
    await two.release();
  }
  const rows = await db.query('SELECT username, first_name FROM users WHERE id = $1', [id]);
  expect(rows).toEqual([{ username: 'racer:peer-race', first_name: 'Second' }]);
});
