import WebSocket from 'ws';
import { waitFor } from '@fedchat/testing';
import { GatewayHarness, TestUser } from '../support/gateway-harness';

interface BrowserSession {
  cookies: Record<string, string>;
  /** Each Set-Cookie line of the login answer, by cookie name. */
  setCookie: Record<string, string>;
  header: string;
}

async function browserLogin(h: GatewayHarness, username: string): Promise<BrowserSession> {
  const res = await h.http.post('/api/v4/users/login').send({ login_id: username, password: 'password-123' }).expect(200);
  const lines: string[] = res.headers['set-cookie'] as unknown as string[];
  const setCookie: Record<string, string> = {};
  const cookies: Record<string, string> = {};
  for (const line of lines) {
    const [pair] = line.split(';');
    const [name, value] = pair.split('=');
    setCookie[name] = line;
    cookies[name] = value;
  }
  return {
    cookies,
    setCookie,
    header: Object.entries(cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; '),
  };
}

describe('browser sessions (cookies and CSRF)', () => {
  let h: GatewayHarness;
  let admin: TestUser;
  let alice: TestUser;
  let baseUrl: string;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    admin = await h.signUp('admin');
    alice = await h.signUp('alice', admin);
    baseUrl = await h.listen();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("sets Mattermost's three cookies at login: the token HttpOnly, all for the session's lifetime", async () => {
    const s = await browserLogin(h, 'alice');
    expect(Object.keys(s.cookies).sort()).toEqual(['MMAUTHTOKEN', 'MMCSRF', 'MMUSERID']);
    expect(s.cookies.MMUSERID).toBe(alice.id);
    expect(s.cookies.MMCSRF).toMatch(/^[a-z0-9]{26}$/);
    expect(s.setCookie.MMAUTHTOKEN).toMatch(/; HttpOnly/);
    expect(s.setCookie.MMUSERID).not.toMatch(/HttpOnly/);
    expect(s.setCookie.MMCSRF).not.toMatch(/HttpOnly/);
    for (const line of Object.values(s.setCookie)) {
      expect(line).toMatch(/; Path=\//);
      expect(line).toMatch(/; SameSite=Lax/);
      expect(line).not.toMatch(/Secure/);
      const maxAge = Number(/Max-Age=(\d+)/.exec(line)?.[1]);
      expect(maxAge).toBeGreaterThan(30 * 86400 - 60);
      expect(maxAge).toBeLessThanOrEqual(30 * 86400);
    }
  });

  it('marks the cookies Secure when the site is https', async () => {
    const secure = await GatewayHarness.start({ SITE_URL: 'https://chat.example.com' });
    try {
      await secure.signUp('admin');
      const s = await browserLogin(secure, 'admin');
      for (const line of Object.values(s.setCookie)) expect(line).toMatch(/; Secure/);
    } finally {
      await secure.close();
    }
  });

  it('accepts the session cookie for reads', async () => {
    const s = await browserLogin(h, 'alice');
    const me = await h.http.get('/api/v4/users/me').set('Cookie', s.header).expect(200);
    expect(me.body.id).toBe(alice.id);
  });

  it('refuses a cookie-authenticated change without the CSRF token, and accepts it with the token or X-Requested-With', async () => {
    const s = await browserLogin(h, 'alice');
    const patch = () => h.http.put('/api/v4/users/me/patch').set('Cookie', s.header);
    const refused = await patch().send({ nickname: 'forged' }).expect(401);
    expect(refused.body).toMatchObject({ id: 'api.context.session_expired.app_error', status_code: 401 });
    await patch().set('X-CSRF-Token', 'a'.repeat(26)).send({ nickname: 'forged' }).expect(401);
    expect((await h.as(alice).get('/api/v4/users/me').expect(200)).body.nickname).toBe('');

    await patch().set('X-CSRF-Token', s.cookies.MMCSRF).send({ nickname: 'with-token' }).expect(200);
    await patch().set('X-Requested-With', 'XMLHttpRequest').send({ nickname: 'with-xhr' }).expect(200);
    expect((await h.as(alice).get('/api/v4/users/me').expect(200)).body.nickname).toBe('with-xhr');
  });

  it('does not let an admin cookie create accounts without the CSRF token', async () => {
    const s = await browserLogin(h, 'admin');
    const body = { username: 'forgedacct', email: 'forged@example.com', password: 'password-123' };
    await h.http.post('/api/v4/users').set('Cookie', s.header).send(body).expect(401);
    await h.http.post('/api/v4/users').set('Cookie', s.header).set('X-CSRF-Token', s.cookies.MMCSRF).send(body).expect(201);
  });

  it("does not check CSRF for token-header clients, and another session's CSRF token does not count", async () => {
    await h.as(alice).put('/api/v4/users/me/patch').send({ nickname: 'header-client' }).expect(200);
    const mine = await browserLogin(h, 'alice');
    const other = await browserLogin(h, 'alice');
    await h.http
      .put('/api/v4/users/me/patch')
      .set('Cookie', mine.header)
      .set('X-CSRF-Token', other.cookies.MMCSRF)
      .send({ nickname: 'x' })
      .expect(401);
  });

  it('ends the session and clears the cookies at logout', async () => {
    const s = await browserLogin(h, 'alice');
    const res = await h.http.post('/api/v4/users/logout').set('Cookie', s.header).set('X-CSRF-Token', s.cookies.MMCSRF).expect(200);
    const cleared = (res.headers['set-cookie'] as unknown as string[]).map((l) => l.split('=')[0]).sort();
    expect(cleared).toEqual(['MMAUTHTOKEN', 'MMCSRF', 'MMUSERID']);
    for (const line of res.headers['set-cookie'] as unknown as string[]) expect(line).toMatch(/Expires=Thu, 01 Jan 1970/);
    await h.http.get('/api/v4/users/me').set('Cookie', s.header).expect(401);
  });

  it('opens a websocket with the session cookie from this site, not from another one', async () => {
    const s = await browserLogin(h, 'alice');
    const url = `${baseUrl.replace('http', 'ws')}/api/v4/websocket`;
    const open = async (origin: string) => {
      const frames: Array<{ event?: string }> = [];
      const ws = new WebSocket(url, { headers: { Cookie: s.header, Origin: origin } });
      ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
      const closed = new Promise<number>((resolve) => ws.on('close', resolve));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      return { ws, frames, closed };
    };
    const same = await open(baseUrl);
    await waitFor('hello', async () => same.frames.find((f) => f.event === 'hello'), 5000, 20);
    same.ws.close();

    const foreign = await open('https://evil.example.net');
    await new Promise((r) => setTimeout(r, 300));
    expect(foreign.frames.find((f) => f.event === 'hello')).toBeUndefined();
    foreign.ws.close();
  });
});
