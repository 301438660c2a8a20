import { Bus } from '@fedchat/common';
import { peerTopicContract, PeerResponse } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import { User } from '@fedchat/models';
import { newRemote } from '@fedchat/testing';
import { DataSource } from 'typeorm';
import { UserSyncModule } from '../../apps/user-sync/src/user-sync.module';
import { GatewayHarness, TestUser } from '../support/gateway-harness';
import { StatementCounter } from '../support/statement-counter';

/**
 * The receiver's cost per `sharedchannel_global_user_sync` message, counted rather than timed (each statement is a
 * round trip and, outside a transaction, a commit): a first sync of 50,000 users is 250–500 such messages. The rules
 * of remote users (munged names, collisions, renames, deactivation, ownership) must come out as before.
 */
const GLOBAL = peerTopicContract('sharedchannel_global_user_sync');
const BATCH = 100;

let h: GatewayHarness;
let db: DataSource;
let admin: TestUser;
const R = newId();
const counter = new StatementCounter();

beforeAll(async () => {
  counter.install();
  h = await GatewayHarness.start(
    {
      MM_FEATUREFLAGS_ENABLESYNCALLUSERSFORREMOTECLUSTER: 'true',
      USER_SYNC_POLL_INTERVAL_MS: '600000',
      SHARED_CHANNELS_POLL_INTERVAL_MS: '60000',
      FILE_TRANSFER_POLL_INTERVAL_MS: '600000',
    },
    [UserSyncModule],
  );
  db = h.app.get(DataSource);
  admin = await h.signUp('costadmin');
  await newRemote(db, { remote_id: R, name: 'peer-r', creator_id: admin.id });
});

afterAll(async () => {
  counter.restore();
  await h?.close();
});

function send(users: Record<string, unknown>[]): Promise<PeerResponse> {
  const payload = { id: newId(), channel_id: '', users: Object.fromEntries(users.map((u) => [u.id as string, u])) };
  return h.app
    .get(Bus)
    .request(GLOBAL, { remote_id: R, msg: { id: newId(), topic: 'sharedchannel_global_user_sync', create_at: 1, payload } });
}

async function countStatements(work: () => Promise<void>): Promise<string[]> {
  return (await counter.count(work)).statements.map((s) => s.text);
}

const wireUser = (id: string, username: string, extra: Record<string, unknown> = {}) => ({
  id,
  username,
  email: `${username}@origin.example`,
  first_name: 'First',
  last_name: 'Last',
  update_at: 1_700_000_000_000,
  ...extra,
});

function stored(ids: string[]): Promise<User[]> {
  return db.getRepository(User).createQueryBuilder('u').where('u.id IN (:...ids)', { ids }).orderBy('u.username').getMany();
}

it(`creates a batch of ${BATCH} new users in at most 2 statements, as the one-by-one rules would`, async () => {
  const users = Array.from({ length: BATCH }, (_, i) => wireUser(newId(), `new${i}`, { props: { customer: 'yes' } }));
  let answer: PeerResponse | undefined;
  const sql = await countStatements(async () => {
    answer = await send(users);
  });
  expect(answer?.status).toBe('OK');
  expect((answer?.payload as { users_syncd: string[] }).users_syncd).toHaveLength(BATCH);
  expect(sql.length).toBeLessThanOrEqual(2);
  const rows = await stored(users.map((u) => u.id));
  expect(rows).toHaveLength(BATCH);
  const first = rows.find((u) => u.id === users[0].id)!;
  expect(first).toMatchObject({
    username: 'new0:peer-r',
    remote_id: R,
    roles: 'system_user',
    password: '',
    first_name: 'First',
    delete_at: 0,
    create_at: expect.any(Number),
  });
  expect(first.email).toMatch(/@remote\.invalid$/);
  expect(first.props).toEqual({
    customer: 'yes',
    RemoteUsername: 'new0',
    RemoteEmail: 'new0@origin.example',
    OriginalRemoteId: R,
  });
});

it(`updates a batch of ${BATCH} known users (names, deactivation) in at most 2 statements`, async () => {
  const users = Array.from({ length: BATCH }, (_, i) => wireUser(newId(), `upd${i}`));
  await send(users);
  const changed = users.map((u, i) => ({
    ...u,
    nickname: `nick${i}`,
    delete_at: i === 0 ? 1_700_000_000_500 : 0,
    update_at: 1_700_000_001_000,
  }));
  let answer: PeerResponse | undefined;
  const sql = await countStatements(async () => {
    answer = await send(changed);
  });
  expect((answer?.payload as { users_syncd: string[] }).users_syncd).toHaveLength(BATCH);
  expect(sql.length).toBeLessThanOrEqual(2);
  const rows = new Map((await stored(users.map((u) => u.id))).map((u) => [u.id, u]));
  expect(rows.get(users[0].id)).toMatchObject({ username: 'upd0:peer-r', nickname: 'nick0', delete_at: 1_700_000_000_500 });
  expect(rows.get(users[1].id)).toMatchObject({ username: 'upd1:peer-r', nickname: 'nick1', delete_at: 0 });
  expect(rows.get(users[1].id)!.props.OriginalRemoteId).toBe(R);
});

it('keeps the naming rules in a bulk batch: collisions, renames, and users that are not the sender’s', async () => {
  const twins = [wireUser(newId(), 'twin'), wireUser(newId(), 'twin')];
  const renamed = wireUser(newId(), 'before');
  await send([renamed]);
  const foreign = newId();
  const res = await send([
    ...twins,
    { ...renamed, username: 'after' },
    wireUser(admin.id, 'costadmin', { nickname: 'hijacked' }),
    wireUser(foreign, 'relayed', { remote_id: newId() }),
  ]);
  const payload = res.payload as { users_syncd: string[]; user_errors: string[] };
  expect(payload.users_syncd.sort()).toEqual([...twins.map((u) => u.id), renamed.id].sort());
  expect(payload.user_errors.sort()).toEqual([admin.id, foreign].sort());
  expect((await stored(twins.map((u) => u.id))).map((u) => u.username)).toEqual(['twin-2:peer-r', 'twin:peer-r']);
  expect((await stored([renamed.id]))[0].username).toBe('after:peer-r');
  expect((await stored([admin.id]))[0]).toMatchObject({ username: 'costadmin', remote_id: '' });
  expect((await stored([admin.id]))[0].nickname).not.toBe('hijacked');
  expect(await stored([foreign])).toEqual([]);
});

it('applies the rest of a batch when one user holds a value PostgreSQL will not store', async () => {
  const good = wireUser(newId(), 'fine');
  const bad = wireUser(newId(), 'nul', { props: { note: 'a\u0000b' } });
  const res = await send([good, bad]);
  const payload = res.payload as { users_syncd: string[]; user_errors: string[] };
  expect(res.status).toBe('OK');
  expect(payload.users_syncd).toEqual([good.id]);
  expect(payload.user_errors).toEqual([bad.id]);
  expect((await stored([good.id]))[0].username).toBe('fine:peer-r');
});
