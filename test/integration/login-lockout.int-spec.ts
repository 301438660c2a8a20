import { DataSource } from 'typeorm';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/*
 * Mattermost's lockout (ServiceSettings.MaximumLoginAttempts, 10 here by default): after that many failed password
 * checks the account is refused without checking the password, until an admin sets a new one or the lock expires.
 * Rate limits are off in this file (with strict values that would refuse these tests if they were on), so that only
 * the lockout answers.
 */

const WRONG = 'wrong-password-1';
const INVALID = 'api.user.login.invalid_credentials_email_username';
const LOCKED = 'api.user.check_user_login_attempts.too_many.app_error';

let h: GatewayHarness;
let admin: TestUser;

beforeAll(async () => {
  h = await GatewayHarness.start({
    MM_RATELIMITSETTINGS_ENABLE: 'false',
    MM_RATELIMITSETTINGS_PERSEC: '1',
    MM_RATELIMITSETTINGS_MAXBURST: '1',
    RATE_LIMIT_LOGIN_PER_MINUTE: '1',
    RATE_LIMIT_LOGIN_MAX_BURST: '1',
  });
  admin = await h.signUp('admin');
});
afterAll(async () => {
  await h?.close();
});
afterEach(() => jest.restoreAllMocks());

function login(loginId: string, password: string) {
  return h.http.post('/api/v4/users/login').send({ login_id: loginId, password });
}

/** Password hashes computed while `fn` runs (every check and every new hash is one scrypt). */
async function scryptsDuring(fn: () => Promise<unknown>): Promise<number> {
  // The module object itself (an `import * as` namespace cannot be spied on); the gateway's password code calls it.
  const spy = jest.spyOn(jest.requireActual<typeof import('node:crypto')>('node:crypto'), 'scrypt');
  await fn();
  const calls = spy.mock.calls.length;
  spy.mockRestore();
  return calls;
}

async function failLogins(user: TestUser, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const res = await login(user.username, WRONG).expect(401);
    expect(res.body.id).toBe(INVALID);
  }
}

describe('login lockout (MM_SERVICESETTINGS_MAXIMUMLOGINATTEMPTS)', () => {
  it('refuses the 11th bad login without hashing, and the right password too, until an admin sets a new one', async () => {
    const victim = await h.signUp(undefined, admin);
    await failLogins(victim, 9);
    // The spy sees the gateway's hashing: the 10th failure is checked, as the first nine were.
    expect(await scryptsDuring(() => failLogins(victim, 1))).toBe(1);

    let locked: { body: { id: string; status_code: number } } | undefined;
    expect(await scryptsDuring(async () => (locked = await login(victim.username, WRONG).expect(401)))).toBe(0);
    expect(locked!.body).toMatchObject({ id: LOCKED, status_code: 401 });
    expect(await scryptsDuring(async () => (locked = await login(victim.username, 'password-123').expect(401)))).toBe(0);
    expect(locked!.body.id).toBe(LOCKED);
    // The user's sessions still work (a lock stops password checks, not sessions); changing the password needs one.
    const change = await h
      .as(victim)
      .put('/api/v4/users/me/password')
      .send({ current_password: 'password-123', new_password: 'password-456' })
      .expect(401);
    expect(change.body.id).toBe(LOCKED);

    await h.as(admin).put(`/api/v4/users/${victim.id}/password`).send({ new_password: 'password-789' }).expect(200, { status: 'OK' });
    await login(victim.username, 'password-789').expect(200);
    // The admin's reset ended the victim's other sessions.
    await h.as(victim).get('/api/v4/users/me').expect(401);
  });

  it('resets the count on a success before the limit', async () => {
    const user = await h.signUp(undefined, admin);
    await failLogins(user, 9);
    await login(user.username, 'password-123').expect(200);
    await failLogins(user, 10);
    expect((await login(user.username, WRONG).expect(401)).body.id).toBe(LOCKED);
  });

  it('ends a lock LOGIN_LOCKOUT_DURATION_MS (15 minutes by default) after the last failure', async () => {
    const user = await h.signUp(undefined, admin);
    await failLogins(user, 10);
    expect((await login(user.username, 'password-123').expect(401)).body.id).toBe(LOCKED);
    const ds = h.app.get(DataSource);
    await ds.query(`UPDATE users SET last_failed_attempt_at = $2 WHERE id = $1`, [user.id, Date.now() - 14 * 60_000]);
    expect((await login(user.username, 'password-123').expect(401)).body.id).toBe(LOCKED);
    await ds.query(`UPDATE users SET last_failed_attempt_at = $2 WHERE id = $1`, [user.id, Date.now() - 16 * 60_000]);
    await login(user.username, 'password-123').expect(200);
    const [row] = await ds.query(`SELECT failed_attempts, last_failed_attempt_at FROM users WHERE id = $1`, [user.id]);
    expect(row).toEqual({ failed_attempts: 0, last_failed_attempt_at: 0 });
  });

  it('checks at most the limit of concurrent guesses: the rest are refused as locked without hashing', async () => {
    const user = await h.signUp(undefined, admin);
    const answers = await Promise.all(Array.from({ length: 30 }, () => login(user.username, WRONG)));
    const ids = answers.map((r) => r.body.id);
    expect(ids.filter((id) => id === INVALID)).toHaveLength(10);
    expect(ids.filter((id) => id === LOCKED)).toHaveLength(20);
  });

  it('counts wrong current passwords of a password change, which then also meets the lock', async () => {
    const user = await h.signUp(undefined, admin);
    for (let i = 0; i < 10; i++) {
      const res = await h.as(user).put('/api/v4/users/me/password').send({ current_password: WRONG, new_password: 'password-456' });
      expect(res.status).toBe(400);
      expect(res.body.id).toBe('api.user.update_password.incorrect.app_error');
    }
    expect((await login(user.username, 'password-123').expect(401)).body.id).toBe(LOCKED);
  });

  it('lets a user change their own password with the current one, keeping this session and ending the others', async () => {
    const user = await h.signUp(undefined, admin);
    const other = await h.login(user.username);
    await h.as(user).put('/api/v4/users/me/password').send({ current_password: 'password-123', new_password: 'password-456' }).expect(200);
    await h.as(user).get('/api/v4/users/me').expect(200);
    await h.as(other).get('/api/v4/users/me').expect(401);
    await login(user.username, 'password-456').expect(200);
    const bob = await h.signUp(undefined, admin);
    await h.as(bob).put(`/api/v4/users/${user.id}/password`).send({ new_password: 'password-789' }).expect(403);
  });

  it('answers unknown accounts as before: invalid credentials, never locked', async () => {
    for (let i = 0; i < 12; i++) expect((await login('nobody-here', WRONG).expect(401)).body.id).toBe(INVALID);
  });
});
