import { Bus } from '@fedchat/common';
import { AuthChanged } from '@fedchat/contracts';
import { waitFor } from '@fedchat/testing';
import { GatewayHarness, TestUser } from '../support/gateway-harness';
import { StatementCounter } from '../support/statement-counter';

/**
 * The gateway caches the caller of a known session or token (apps/gateway/src/auth/caller-cache.ts). Each change to
 * a user's sessions, tokens or user row must apply to the very next request: every case below first makes the
 * caller cached (two requests), then changes something through the API and checks the next request at once.
 */
let h: GatewayHarness;
let admin: TestUser;
const API = '/api/v4';

const counter = new StatementCounter();

beforeAll(async () => {
  counter.install();
  h = await GatewayHarness.start();
  admin = await h.signUp('ccadmin');
});

afterAll(async () => {
  counter.restore();
  await h?.close();
});

async function cached(user: TestUser): Promise<Record<string, unknown>> {
  await h.as(user).get(`${API}/users/me`).expect(200);
  return (await h.as(user).get(`${API}/users/me`).expect(200)).body;
}

it('answers a known session without a statement, with the same user as the lookup', async () => {
  const ann = await h.signUp('ccann', admin);
  const first = (await h.as(ann).get(`${API}/users/me`).expect(200)).body;
  // Every statement meanwhile: the request's handlers run in the server's async context.
  const { result: again, statements } = await counter.countAll(
    async () => (await h.as(ann).get(`${API}/users/me`).expect(200)).body as Record<string, unknown>,
  );
  expect(statements.filter((s) => /FROM sessions/.test(s.text))).toEqual([]);
  expect(again).toEqual(first);
});

it('logout: the session is refused on its next request', async () => {
  const ben = await h.signUp('ccben', admin);
  await cached(ben);
  await h.as(ben).post(`${API}/users/logout`).expect(200);
  await h.as(ben).get(`${API}/users/me`).expect(401);
});

it('password change: the other sessions are refused at once, the one that changed it goes on', async () => {
  const cat = await h.signUp('cccat', admin);
  const other = await h.login('cccat');
  await cached(cat);
  await cached(other);
  await h
    .as(cat)
    .put(`${API}/users/${cat.id}/password`)
    .send({ current_password: 'password-123', new_password: 'password-456' })
    .expect(200);
  await h.as(other).get(`${API}/users/me`).expect(401);
  await h.as(cat).get(`${API}/users/me`).expect(200);
});

it('a revoked personal access token is refused on its next request', async () => {
  const dan = await h.signUp('ccdan', admin);
  const pat = (await h.as(admin).post(`${API}/users/${dan.id}/tokens`).send({ description: 'cc' }).expect(200)).body;
  const asPat = { ...dan, token: pat.token as string };
  await cached(asPat);
  await h.as(dan).post(`${API}/users/tokens/revoke`).send({ token_id: pat.id }).expect(200);
  await h.as(asPat).get(`${API}/users/me`).expect(401);
});

it('deactivation: the session and the token are refused at once; after reactivation the token works again', async () => {
  const eve = await h.signUp('cceve', admin);
  const pat = (await h.as(admin).post(`${API}/users/${eve.id}/tokens`).send({ description: 'cc' }).expect(200)).body;
  const asPat = { ...eve, token: pat.token as string };
  await cached(eve);
  await cached(asPat);
  await h.as(admin).put(`${API}/users/${eve.id}/active`).send({ active: false }).expect(200);
  await h.as(eve).get(`${API}/users/me`).expect(401);
  await h.as(asPat).get(`${API}/users/me`).expect(401);
  await h.as(admin).put(`${API}/users/${eve.id}/active`).send({ active: true }).expect(200);
  await h.as(asPat).get(`${API}/users/me`).expect(200);
});

it('roles: a promotion and a demotion apply to the session the user already has, on its next request', async () => {
  const fay = await h.signUp('ccfay', admin);
  await cached(fay);
  await h.as(fay).get(`${API}/roles`).expect(403);
  await h.as(admin).put(`${API}/users/${fay.id}/roles`).send({ roles: 'system_user system_admin' }).expect(200);
  await h.as(fay).get(`${API}/roles`).expect(200);
  await h.as(fay).get(`${API}/roles`).expect(200);
  await h.as(admin).put(`${API}/users/${fay.id}/roles`).send({ roles: 'system_user' }).expect(200);
  await h.as(fay).get(`${API}/roles`).expect(403);
});

it('a profile change shows in the caller on the next request', async () => {
  const gus = await h.signUp('ccgus', admin);
  await cached(gus);
  await h.as(gus).put(`${API}/users/${gus.id}/patch`).send({ nickname: 'Gussie', username: 'ccgus2' }).expect(200);
  expect((await h.as(gus).get(`${API}/users/me`).expect(200)).body).toMatchObject({ nickname: 'Gussie', username: 'ccgus2' });
});

it("attaching a device ends that device's other sessions at once", async () => {
  const hal = await h.signUp('cchal', admin);
  const older = await h.login('cchal');
  await h.as(older).put(`${API}/users/sessions/device`).send({ device_id: 'android:cc-device' }).expect(200);
  await cached(older);
  await h.as(hal).put(`${API}/users/sessions/device`).send({ device_id: 'android:cc-device' }).expect(200);
  await h.as(older).get(`${API}/users/me`).expect(401);
  await h.as(hal).get(`${API}/users/me`).expect(200);
});

it('a change announced by another process (chat.auth.changed) drops the cached caller here', async () => {
  const ida = await h.signUp('ccida', admin);
  await cached(ida);
  // Another process (or replica) deactivated her: the row changes there, and the event reaches this gateway.
  await h.db.query(`UPDATE users SET delete_at = $2 WHERE id = $1`, [ida.id, Date.now()]);
  // The cached caller is what makes the difference: without the event this gateway still knows her.
  await h.as(ida).get(`${API}/users/me`).expect(200);
  h.app.get(Bus).emit(AuthChanged, { user_id: ida.id });
  // `|| undefined`: waitFor takes any defined value, false included, as done.
  await waitFor('the deactivation to apply', async () => (await h.as(ida).get(`${API}/users/me`)).status === 401 || undefined, 5_000, 10);
});
