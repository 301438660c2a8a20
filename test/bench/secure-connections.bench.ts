import { startEmbeddedSuite } from '@fedchat/testing';
import { quantile, recordFigures } from './report';

/**
 * `npm run bench` (part 2): does accepting invitations stall the server? The PBKDF2 (600,000 iterations) of each
 * invitation must run off the event loop. B accepts 10 invitations (from 10 other real instances, since a site
 * can be connected once) at once while `GET /api/v4/system/ping` is timed on B, compared with the same ping when idle.
 */
const INVITES = Number(process.env.BENCH_INVITES ?? 10);
const ENV = { LOG_LEVEL: 'warn', REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true' };

function summary(ms: number[]): string {
  const s = [...ms].sort((x, y) => x - y);
  const p = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(2);
  return `n=${s.length} p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${s[s.length - 1].toFixed(2)} ms`;
}

async function json(base: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}/api/v4${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return { body: text ? JSON.parse(text) : undefined, token: res.headers.get('token') };
}

async function admin(base: string): Promise<{ token: string; teamId: string }> {
  await json(base, undefined, 'POST', '/users', { username: 'admin', email: 'admin@example.com', password: 'bench-password-1' });
  const { token } = await json(base, undefined, 'POST', '/users/login', { login_id: 'admin', password: 'bench-password-1' });
  const team = await json(base, token, 'POST', '/teams', { name: 'bench', display_name: 'Bench', type: 'O' });
  return { token, teamId: team.body.id };
}

/** Times pings back to back until `until` resolves. */
async function pingWhile(base: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  // Settle either way without leaving a rejected promise unhandled (that would end the process).
  until.then(
    () => (done = true),
    () => (done = true),
  );
  const samples: number[] = [];
  while (!done) {
    const t0 = performance.now();
    await fetch(`${base}/api/v4/system/ping`).then((r) => r.arrayBuffer());
    samples.push(performance.now() - t0);
  }
  return samples;
}

async function main(): Promise<void> {
  const b = await startEmbeddedSuite(ENV);
  const inviters = await Promise.all(Array.from({ length: INVITES }, () => startEmbeddedSuite(ENV)));
  try {
    const adminB = await admin(b.gateways[0]);
    const codes = await Promise.all(
      inviters.map(async (a, i) => {
        const adminA = await admin(a.gateways[0]);
        const created = await json(a.gateways[0], adminA.token, 'POST', '/remotecluster', {
          name: `b${i}`,
          default_team_id: adminA.teamId,
          password: 'Bench-Passw0rd!',
        });
        return created.body.invite as string;
      }),
    );

    const idle = await pingWhile(b.gateways[0], new Promise((r) => setTimeout(r, 2000)));
    const t0 = performance.now();
    const accepting = Promise.all(
      codes.map((invite, i) =>
        json(b.gateways[0], adminB.token, 'POST', '/remotecluster/accept_invite', {
          name: `a${i}`,
          default_team_id: adminB.teamId,
          invite,
          password: 'Bench-Passw0rd!',
        }),
      ),
    );
    const busy = await pingWhile(b.gateways[0], accepting);
    await accepting;
    const acceptSeconds = (performance.now() - t0) / 1000;

    process.stdout.write(
      [
        `secure connections benchmark (embedded, ${INVITES} invitations accepted concurrently)`,
        `  accepted ${INVITES} invitations in ${acceptSeconds.toFixed(2)} s (PBKDF2 600,000 iterations each, plus the handshake)`,
        `  GET /api/v4/system/ping idle:               ${summary(idle)}`,
        `  GET /api/v4/system/ping while accepting:    ${summary(busy)}`,
        '',
      ].join('\n'),
    );
    recordFigures('secure-connections', {
      'ping p99 while 10 invitations are accepted': { value: quantile(busy, 0.99), note: `${INVITES} invitations` },
    });
  } finally {
    await Promise.all([b.stop(), ...inviters.map((a) => a.stop())]);
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
