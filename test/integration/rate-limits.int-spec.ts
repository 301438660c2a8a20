import request from 'supertest';
import { DataSource } from 'typeorm';
import { hashToken, newId } from '@fedchat/crypto';
import { RemoteCluster } from '@fedchat/models';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

/*
 * Mattermost's RateLimitSettings on the gateway, small enough to reach: 5 requests at once (MaxBurst 4) then one a
 * second; password checks 3 at once; an authenticated peer 4 at once. The gateway trusts X-Forwarded-For from
 * loopback (TRUST_PROXY's default), so each test speaks from addresses of its own.
 */
const LIMITS = {
  MM_RATELIMITSETTINGS_PERSEC: '1',
  MM_RATELIMITSETTINGS_MAXBURST: '4',
  RATE_LIMIT_LOGIN_PER_MINUTE: '1',
  RATE_LIMIT_LOGIN_MAX_BURST: '2',
  RATE_LIMIT_PEER_PER_SECOND: '1',
  RATE_LIMIT_PEER_MAX_BURST: '3',
};

let h: GatewayHarness;
let nextAddress = 0;

/** A documentation address (RFC 5737) no other test uses. */
function address(): string {
  nextAddress++;
  return `198.51.100.${nextAddress}`;
}

function from(ip: string) {
  const server = h.app.getHttpServer();
  const xff = (r: request.Test) => r.set('X-Forwarded-For', ip);
  return {
    get: (url: string) => xff(request(server).get(url)),
    post: (url: string) => xff(request(server).post(url)),
  };
}

/** The refusal counter by its labels, read from /metrics as Prometheus would. */
async function refused(routeClass: string, keyKind: string): Promise<number> {
  const text = (await h.http.get('/metrics').expect(200)).text;
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`fedchat_http_requests_rate_limited_total{route_class="${routeClass}",key_kind="${keyKind}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Signs a user up (the server is open) and logs them in, each from a fresh address, sparing the tests' budgets. */
async function user(): Promise<TestUser> {
  const username = `u${newId().slice(0, 10)}`;
  await from(address())
    .post('/api/v4/users')
    .send({ username, email: `${username}@example.com`, password: 'password-123' })
    .expect(201);
  const login = await from(address()).post('/api/v4/users/login').send({ login_id: username, password: 'password-123' }).expect(200);
  return { id: login.body.id, username, token: login.headers.token };
}

/** The statuses of `n` requests sent one after another. */
async function sequentially(n: number, send: () => request.Test): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await send()).status);
  return statuses;
}

beforeAll(async () => {
  h = await GatewayHarness.start({ ...LIMITS, MM_TEAMSETTINGS_ENABLEOPENSERVER: 'true' });
});
afterAll(async () => {
  await h?.close();
});

describe('rate limits (MM_RATELIMITSETTINGS_*)', () => {
  it('refuses a burst over the per-address limit with 429, Retry-After and Mattermost error JSON; others still pass', async () => {
    const ip = address();
    const before = await refused('api', 'ip');
    for (let i = 0; i < 5; i++) {
      const ok = await from(ip).get('/api/v4/system/ping').expect(200);
      expect(ok.headers['x-ratelimit-limit']).toBe('5');
      expect(ok.headers['x-ratelimit-remaining']).toBe(String(4 - i));
    }
    const res = await from(ip).get('/api/v4/system/ping').expect(429);
    expect(res.headers['content-type']).toBe('application/json');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
    expect(res.body).toEqual({
      id: 'api.context.rate_limit_exceeded.app_error',
      message: expect.stringContaining('Too many requests'),
      detailed_error: '',
      request_id: expect.any(String),
      status_code: 429,
    });
    expect(await refused('api', 'ip')).toBe(before + 1);
    await from(address()).get('/api/v4/system/ping').expect(200);
    // Probes and scrapers are not the API: never limited.
    for (let i = 0; i < 10; i++) await from(ip).get('/health/live').expect(200);
  });

  it('lets a client in again once it has earned a request back', async () => {
    const ip = address();
    for (let i = 0; i < 5; i++) await from(ip).get('/api/v4/system/ping').expect(200);
    const refusedRes = await from(ip).get('/api/v4/system/ping').expect(429);
    await new Promise((r) => setTimeout(r, Number(refusedRes.headers['retry-after']) * 1000));
    await from(ip).get('/api/v4/system/ping').expect(200);
  });

  it('keys an authenticated caller on the user, not the address', async () => {
    const alice = await user();
    const bob = await user();
    const before = await refused('api', 'user');
    // Alice, from a new address each time, spends her one budget (one request a second comes back: hence 10)...
    const used: string[] = [];
    const statuses = await sequentially(10, () => {
      used.push(address());
      return from(used[used.length - 1])
        .get('/api/v4/users/me')
        .set('Authorization', `Bearer ${alice.token}`);
    });
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses).toContain(429);
    expect(await refused('api', 'user')).toBe(before + statuses.filter((s) => s === 429).length);
    // ...while Bob from an address she was refused at, and that address without a token, have theirs.
    const shared = used[statuses.lastIndexOf(429)];
    await from(shared).get('/api/v4/users/me').set('Authorization', `Bearer ${bob.token}`).expect(200);
    await from(shared).get('/api/v4/system/ping').expect(200);
  });

  it('counts requests with bad tokens by address, before authentication', async () => {
    const ip = address();
    const statuses = await sequentially(10, () => from(ip).get('/api/v4/users/me').set('Authorization', `Bearer ${newId()}`));
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses).toContain(429);
  });

  it('limits password checks more strictly: login, sign-up and password change share a budget per address', async () => {
    const ip = address();
    const before = await refused('login', 'ip');
    for (let i = 0; i < 3; i++) {
      await from(ip).post('/api/v4/users/login').send({ login_id: 'nobody', password: 'wrong-password' }).expect(401);
    }
    const res = await from(ip).post('/api/v4/users/login').send({ login_id: 'nobody', password: 'wrong-password' }).expect(429);
    expect(res.body.status_code).toBe(429);
    await from(ip).post('/api/v4/users').send({ username: 'someone', email: 'someone@example.com', password: 'password-123' }).expect(429);
    expect(await refused('login', 'ip')).toBe(before + 2);
  });

  it('keys authenticated peers on their connection, and limits failed peer authentication like logins', async () => {
    const ds = h.app.get(DataSource);
    const token = newId();
    const remoteId = newId();
    await ds.getRepository(RemoteCluster).insert({ remote_id: remoteId, name: 'peer', token_hash: hashToken(token) });
    const peerPing = (ip: string) =>
      from(ip).post('/api/v4/remotecluster/ping').set('X-RemoteCluster-Id', remoteId).set('X-RemoteCluster-Token', token).send({});
    const before = await refused('peer', 'remote');
    const statuses = await sequentially(10, () => peerPing(address()));
    expect(statuses.slice(0, 4)).not.toContain(429);
    expect(statuses).toContain(429);
    expect(await refused('peer', 'remote')).toBe(before + statuses.filter((s) => s === 429).length);

    const ip = address();
    const badPing = () =>
      from(ip).post('/api/v4/remotecluster/ping').set('X-RemoteCluster-Id', remoteId).set('X-RemoteCluster-Token', newId()).send({});
    for (let i = 0; i < 3; i++) await badPing().expect(401);
    await badPing().expect(429);
  });

  it('takes the client address from X-Forwarded-For only as TRUST_PROXY says (loopback by default)', async () => {
    expect(h.app.getHttpAdapter().getInstance().get('trust proxy')).toEqual(['loopback']);
    const strict = await GatewayHarness.start({ ...LIMITS, TRUST_PROXY: 'false' });
    try {
      const server = strict.app.getHttpServer();
      // Each request claims another address, but without trust they all come from 127.0.0.1.
      for (let i = 0; i < 5; i++) await request(server).get('/api/v4/system/ping').set('X-Forwarded-For', address()).expect(200);
      await request(server).get('/api/v4/system/ping').set('X-Forwarded-For', address()).expect(429);
    } finally {
      await strict.close();
    }
  });
});

describe('rate limits switched off (MM_RATELIMITSETTINGS_ENABLE=false)', () => {
  it('refuses nothing', async () => {
    const off = await GatewayHarness.start({ ...LIMITS, MM_RATELIMITSETTINGS_ENABLE: 'false' });
    try {
      const server = off.app.getHttpServer();
      for (let i = 0; i < 10; i++) await request(server).get('/api/v4/system/ping').expect(200);
      for (let i = 0; i < 5; i++) {
        await request(server).post('/api/v4/users/login').send({ login_id: 'nobody', password: 'wrong-password' }).expect(401);
      }
    } finally {
      await off.close();
    }
  });
});
