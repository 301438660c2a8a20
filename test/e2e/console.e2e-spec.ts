import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import axe from 'axe-core';
import { Client } from 'pg';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { EmbeddedPostgres } from '@fedchat/common';
import { encryptInvite, INVITE_EXPIRES_AFTER_MS, newId } from '@fedchat/crypto';
import { api, freePort, login, REPO_ROOT, RunningSuite, startEmbeddedSuite, waitFor } from '@fedchat/testing';

/*
 * The Connected Workspaces console in a real browser (Debian's chromium driven by playwright-core), against two
 * embedded instances started as the README starts them. An administrator on A creates a connection, copies the code
 * and the password from the page, an administrator on B accepts it on B's console (channel invites held for review),
 * both see it Connected; A shares a channel, B accepts it from review, a post on A reaches B; then edit, regenerate a
 * pending invitation, delete, and a permission grant that lets a non-admin in. Also: a channel shared at creation that
 * reaches B once B accepts, a manual user sync with its progress, and a post B refuses, retried and discarded. Every page is checked with axe-core
 * (no serious or critical violations) and photographed into docs/console/ for docs/console.md.
 * The Accept page's errors are each produced for real: an invitation A created 49 hours ago, one whose site is a
 * closed port, and a third instance C started with REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=false that refuses A's
 * loopback address.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(REPO_ROOT, 'docs/console');
const PASSWORD = 'admin-password-1';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** What a person types into the Accept page (a team picked by its label). */
interface AcceptForm {
  name: string;
  displayName: string;
  team: string;
  invite: string;
  password: string;
}

interface Instance {
  suite: RunningSuite;
  url: string;
  token: string;
  teamId: string;
}

const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  process.stderr.write(`console.e2e-spec: skipped, no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)\n`);
}
const describeInBrowser = haveChromium ? describe : describe.skip;

async function provision(suite: RunningSuite, port: number, name: string): Promise<Instance> {
  const url = `http://localhost:${port}`;
  await api(url).post('/users', { username: 'admin', email: `admin@${name}.example.com`, password: PASSWORD });
  const admin = await login(url, 'admin', PASSWORD);
  const team = await api(url, admin.token).post<{ id: string }>('/teams', {
    name: `team-${name}`,
    display_name: `Team ${name.toUpperCase()}`,
    type: 'O',
  });
  return { suite, url, token: admin.token, teamId: team.id };
}

/** Runs axe-core in the page: serious and critical violations fail the test, listed by rule and element. */
async function expectAccessible(page: Page, what: string): Promise<void> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern (an injected <script> would be refused).
  await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const page = globalThis as any;
    const result = await page.axe.run(page.document, { resultTypes: ['violations'] });
    return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n: any) => n.target.join(' ')) }));
  });
  const serious = violations.filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical');
  expect({ page: what, serious }).toEqual({ page: what, serious: [] });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/console/`);
  await page.getByLabel('Email or username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as ${username}`).waitFor();
}

/** The Accept page of an instance, signing the page in first when it is not yet. */
async function openAcceptPage(page: Page, instance: Instance): Promise<void> {
  await page.goto(`${instance.url}/console/accept`);
  const heading = page.getByRole('heading', { name: /^(Sign in|Accept an invitation)$/ });
  await heading.waitFor();
  if ((await heading.innerText()) === 'Sign in') {
    await signIn(page, instance.url, 'admin', PASSWORD);
    await page.getByRole('link', { name: 'Accept an invitation' }).click();
  }
  await page.getByRole('heading', { name: 'Accept an invitation' }).waitFor();
}

async function fillAcceptForm(page: Page, form: AcceptForm): Promise<void> {
  await page.getByLabel('Organization name').fill(form.name);
  await page.getByLabel('Display name').fill(form.displayName);
  await page.getByLabel('Destination team').selectOption({ label: form.team });
  await page.getByLabel('Invitation code', { exact: true }).fill(form.invite);
  await page.getByLabel('Password', { exact: true }).fill(form.password);
}

/** Submits the Accept page and answers the error it shows, once the request is over (the button is back). */
async function acceptError(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Accept' }).click();
  await page.getByRole('alert').waitFor({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Accept' }).waitFor();
  return page.getByRole('alert').innerText();
}

/** After an error the page still holds what the person typed: they fix one field and try again. */
async function expectFormKept(page: Page, form: AcceptForm): Promise<void> {
  expect(await page.getByRole('heading', { name: 'Accept an invitation' }).isVisible()).toBe(true);
  const team = await page.getByLabel('Destination team').evaluate((select) => {
    const s = select as unknown as { selectedOptions: Array<{ textContent: string }> };
    return s.selectedOptions[0]?.textContent ?? '';
  });
  expect({
    name: await page.getByLabel('Organization name').inputValue(),
    displayName: await page.getByLabel('Display name').inputValue(),
    team,
    invite: await page.getByLabel('Invitation code', { exact: true }).inputValue(),
    password: await page.getByLabel('Password', { exact: true }).inputValue(),
  }).toEqual(form);
  expect(await page.getByRole('button', { name: 'Accept' }).isDisabled()).toBe(false);
}

/** Nothing half-made: the instance has no connection by that name, live or deleted. */
async function expectNoConnection(instance: Instance, name: string): Promise<void> {
  const all = await api(instance.url, instance.token).get<Array<{ name: string }>>('/remotecluster?include_deleted=true');
  expect(all.map((rc) => rc.name)).not.toContain(name);
}

describeInBrowser('Connected Workspaces console in a browser', () => {
  let root: string;
  let a: Instance;
  let b: Instance;
  /** C refuses private and loopback peers; it is started alongside and awaited only by the test that needs it. */
  let cStarting: Promise<Instance> | undefined;
  let suiteCStarting: Promise<RunningSuite> | undefined;
  let browser: Browser;
  let contextA: BrowserContext;
  let contextB: BrowserContext;
  let pageA: Page;
  let pageB: Page;
  /** What the page itself complained about: a CSP refusal or a script error is a defect. */
  const pageErrors: string[] = [];
  /** The websocket frames A's console received. */
  const framesA: string[] = [];
  let remoteId: string;
  let firstInvite: string;
  let launchChannelId: string;
  let projectChannelId: string;

  const watch = (page: Page) => {
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) pageErrors.push(m.text());
    });
  };

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-console-'));
    fs.chmodSync(root, 0o755);
    const [portA, portB, portC] = [await freePort(), await freePort(), await freePort()];
    const started = await Promise.allSettled([
      startEmbeddedSuite({
        PORT: String(portA),
        DATA_DIR: path.join(root, 'a'),
        MM_FEATUREFLAGS_ENABLESYNCALLUSERSFORREMOTECLUSTER: 'true',
      }),
      startEmbeddedSuite({ PORT: String(portB), DATA_DIR: path.join(root, 'b') }),
    ]);
    if (started.some((s) => s.status === 'rejected')) {
      // One came up and the other did not: stop the one, so that nothing keeps the runner from exiting.
      await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
      throw (started.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason;
    }
    const [suiteA, suiteB] = started.map((s) => (s as PromiseFulfilledResult<RunningSuite>).value);
    [a, b] = await Promise.all([provision(suiteA, portA, 'a'), provision(suiteB, portB, 'b')]);
    // C starts once A and B are up (three at once may pass the start timeout on a busy machine) and while the
    // browser tests run; only the refused-address test waits for it, and a failed start fails that test alone.
    suiteCStarting = startEmbeddedSuite({
      PORT: String(portC),
      DATA_DIR: path.join(root, 'c'),
      REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'false',
    });
    cStarting = suiteCStarting.then((suiteC) => provision(suiteC, portC, 'c'));
    cStarting.catch(() => undefined);
    browser = await chromium.launch({ executablePath: CHROMIUM });
    // One context per instance: both sites are on localhost, and cookies do not tell ports apart.
    contextA = await browser.newContext({ viewport: DESKTOP, permissions: ['clipboard-read', 'clipboard-write'] });
    contextB = await browser.newContext({ viewport: DESKTOP });
    pageA = await contextA.newPage();
    pageB = await contextB.newPage();
    watch(pageA);
    watch(pageB);
    pageA.on('websocket', (ws) => ws.on('framereceived', (frame) => framesA.push(String(frame.payload))));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    const suiteC = await suiteCStarting?.catch(() => undefined);
    await Promise.all([a?.suite.stop(), b?.suite.stop(), suiteC?.stop()]);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  it('serves the console with a strict CSP, no caching of the page and long caching of hashed assets', async () => {
    const page = await fetch(`${a.url}/console/connections/anything`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(await page.text())![1];
    const js = await fetch(`${a.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${a.url}/console/assets/gone-1234.js`)).status).toBe(404);
  });

  it('signs in with a local account; a wrong password says so', async () => {
    await pageA.goto(`${a.url}/console/`);
    // The page first asks the server whether a session exists ("Loading your session…"), then shows the form.
    await pageA.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expect(pageA.getByRole('button', { name: 'Sign in' }).isDisabled()).resolves.toBe(true);
    await expectAccessible(pageA, 'sign in');
    await pageA.getByLabel('Email or username').fill('admin');
    await pageA.getByLabel('Password', { exact: true }).fill('not-the-password');
    await pageA.getByRole('button', { name: 'Sign in' }).click();
    await pageA.getByRole('alert').waitFor();
    expect(await pageA.getByRole('alert').innerText()).toMatch(/credentials|password|login/i);
    await shot(pageA, '01-sign-in');
    await pageA.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await pageA.getByRole('button', { name: 'Sign in' }).click();
    await pageA.getByRole('heading', { name: 'Connected Workspaces' }).waitFor();
    await pageA.getByText('No connections yet').waitFor();
    // Signed in, the console holds Mattermost's websocket open (the session cookie authenticates it).
    await pageA
      .getByRole('status')
      .filter({ hasText: /^Live$/ })
      .waitFor();
    await expectAccessible(pageA, 'empty list');
    await shot(pageA, '02-list-empty');
  });

  // Before B accepts A's invitation: B may hold one connection per site, and these invitations come from A.
  describe('the Accept page says what went wrong, keeps the form and creates nothing', () => {
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      context = await browser.newContext({ viewport: DESKTOP });
      page = await context.newPage();
      watch(page);
    });

    afterAll(async () => {
      await context?.close();
    });

    it('for an expired invitation', async () => {
      // A real invitation from A, made older than its lifetime in A's database: A refuses B's confirmation.
      const created = await api(a.url, a.token).post<{ remote_cluster: { remote_id: string }; invite: string; password: string }>(
        '/remotecluster',
        { name: 'org-late', display_name: 'Late organization', default_team_id: a.teamId },
      );
      const dbA = new Client({ connectionString: new EmbeddedPostgres({ dataDir: path.join(root, 'a') }).url });
      await dbA.connect();
      try {
        await dbA.query('UPDATE remote_clusters SET create_at = $2 WHERE remote_id = $1', [
          created.remote_cluster.remote_id,
          Date.now() - INVITE_EXPIRES_AFTER_MS - 3600_000,
        ]);
      } finally {
        await dbA.end();
      }
      const form = {
        name: 'org-late',
        displayName: 'Late organization',
        team: 'Team B',
        invite: created.invite,
        password: created.password,
      };
      await openAcceptPage(page, b);
      await fillAcceptForm(page, form);
      const error = await acceptError(page);
      expect(error).toMatch(/invitation has expired/i);
      expect(error).toContain('Ask the other organization to delete that connection and create a new one');
      expect(error).not.toMatch(/password/i);
      await expectFormKept(page, form);
      await expectNoConnection(b, 'org-late');
      // A's connection stays pending: it is A's to delete.
      expect((await api(a.url, a.token).get<{ site_url: string }>(`/remotecluster/${created.remote_cluster.remote_id}`)).site_url).toMatch(
        /^pending_/,
      );
      await expectAccessible(page, 'accept: expired');
      await shot(page, '05b-accept-expired');
      await api(a.url, a.token).delete(`/remotecluster/${created.remote_cluster.remote_id}`);
    });

    it('for a site that does not answer', async () => {
      // A correct code and password for a site whose port nothing listens on.
      const closedPort = await freePort();
      const siteUrl = `http://127.0.0.1:${closedPort}`;
      const password = 'Unreachable-S1te-Pass!';
      const invite = await encryptInvite({ remote_id: newId(), remote_team_id: '', site_url: siteUrl, token: newId() }, password);
      const form = { name: 'org-gone', displayName: 'Gone organization', team: 'Team B', invite, password };
      await openAcceptPage(page, b);
      await fillAcceptForm(page, form);
      const error = await acceptError(page);
      expect(error).toContain(`the inviting site ${siteUrl} did not answer`);
      expect(error).toContain('Check that the other site is running and that this server can reach its address.');
      // Not a policy refusal and not a password problem: those would send the person the wrong way.
      expect(error).not.toContain('REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES');
      expect(error).not.toMatch(/password/i);
      await expectFormKept(page, form);
      await expectNoConnection(b, 'org-gone');
      await expectAccessible(page, 'accept: unreachable');
      await shot(page, '05c-accept-unreachable');
    });
  });

  it('creates a connection on A with a channel to share, and shows the code and the password once, with copy buttons', async () => {
    launchChannelId = (
      await api(a.url, a.token).post<{ id: string }>('/channels', {
        team_id: a.teamId,
        name: 'launch',
        display_name: 'Launch plan',
        type: 'O',
      })
    ).id;
    await pageA.getByRole('link', { name: 'Create a connection' }).click();
    await pageA.getByRole('heading', { name: 'Create a connection' }).waitFor();
    const save = pageA.getByRole('button', { name: 'Save' });
    expect(await save.isDisabled()).toBe(true);
    await pageA.getByLabel('Organization name').fill('org-b');
    await pageA.getByLabel('Display name').fill('Organization B');
    await pageA.getByLabel('Destination team').selectOption({ label: 'Team A' });
    await pageA.getByText('Channels to share now').waitFor();
    await pageA.getByLabel(/Launch plan/).check();
    await expectAccessible(pageA, 'create');
    await shot(pageA, '03-create');
    expect(await save.isDisabled()).toBe(false);
    await save.click();
    await pageA.getByRole('heading', { name: 'Connection created' }).waitFor();
    expect(await pageA.getByRole('note').innerText()).toContain('Send the code and the password separately');
    await pageA.getByText('1 channel is shared with them as soon as they accept.').waitFor();
    await pageA.getByRole('button', { name: 'Copy invitation code' }).click();
    await pageA.getByRole('button', { name: 'Invitation code copied' }).waitFor();
    firstInvite = await pageA.evaluate(() => (globalThis as any).navigator.clipboard.readText() as Promise<string>);
    expect(firstInvite).toBe(await pageA.getByLabel('Invitation code', { exact: true }).inputValue());
    expect(firstInvite.length).toBeGreaterThan(40);
    await pageA.getByRole('button', { name: 'Copy password' }).click();
    const password = await pageA.evaluate(() => (globalThis as any).navigator.clipboard.readText() as Promise<string>);
    expect(password).toBe(await pageA.getByLabel('Password', { exact: true }).inputValue());
    expect(password.length).toBeGreaterThanOrEqual(8);
    await expectAccessible(pageA, 'created');
    await shot(pageA, '04-created');
    await pageA.getByRole('button', { name: 'Done' }).click();
    const row = pageA.getByRole('row', { name: /Organization B/ });
    await row.getByText('Connection Pending').waitFor();
    remoteId = (await row.getAttribute('data-remote-id'))!;

    // The invitation is recorded on A, to be sent when B accepts; A's Shared channels tab says so.
    await pageA.getByRole('link', { name: 'Organization B' }).click();
    await pageA.getByRole('tab', { name: 'Shared channels' }).click();
    await pageA
      .getByRole('list', { name: 'Channels shared with Organization B' })
      .getByRole('listitem')
      .filter({ hasText: 'Launch plan' })
      .getByText('Sent when accepted')
      .waitFor();
    await expectAccessible(pageA, 'shared channels of a pending connection');
    await shot(pageA, '04b-pending-share');
    // Sync users needs an accepted connection.
    await pageA.getByRole('tab', { name: 'Details' }).click();
    expect(await pageA.getByRole('button', { name: 'Sync users now' }).isDisabled()).toBe(true);
    await pageA.getByRole('link', { name: 'Connections' }).click();
    await row.waitFor();

    // B's administrator accepts on B's console, holding A's channel invitations for review.
    await signIn(pageB, b.url, 'admin', PASSWORD);
    await pageB.getByRole('link', { name: 'Accept an invitation' }).click();
    await pageB.getByRole('heading', { name: 'Accept an invitation' }).waitFor();
    await pageB.getByLabel('Organization name').fill('org-a');
    await pageB.getByLabel('Display name').fill('Organization A');
    await pageB.getByLabel('Review each channel invite before it is accepted').check();
    await pageB.getByLabel('Invitation code', { exact: true }).fill(firstInvite);
    await pageB.getByLabel('Password', { exact: true }).fill('wrong-password');
    await pageB.getByRole('button', { name: 'Accept' }).click();
    await pageB.getByRole('alert').waitFor();
    expect(await pageB.getByRole('alert').innerText()).toMatch(/password/i);
    await expectAccessible(pageB, 'accept with an error');
    await shot(pageB, '05-accept-error');
    await pageB.getByLabel('Password', { exact: true }).fill(password);
    await pageB.getByRole('button', { name: 'Accept' }).click();
    await pageB.getByRole('heading', { name: 'Organization A' }).waitFor();
    expect(pageB.url()).toBe(`${b.url}/console/connections/${remoteId}`);
  });

  it('shows the connection Connected on both consoles without a reload', async () => {
    await pageB.getByText('Connected', { exact: true }).waitFor({ timeout: 40_000 });
    const row = pageA.getByRole('row', { name: /Organization B/ });
    await row.getByText('Connected', { exact: true }).waitFor({ timeout: 40_000 });
    expect(await row.getByRole('cell', { name: b.url }).isVisible()).toBe(true);
    // The server pushed the change to A's console over the websocket (the page does not wait for its next poll).
    const changes = framesA
      .map((f) => JSON.parse(f) as { event: string; data: { remote_id?: string; change?: string } })
      .filter((e) => e.event === 'remote_cluster_changed' && e.data.remote_id === remoteId)
      .map((e) => e.data.change);
    expect(changes).toEqual(expect.arrayContaining(['confirmed', 'online']));
    expect(await row.getByRole('cell', { name: 'Team A' }).isVisible()).toBe(true);
    // The sync health figures (GET /remotecluster/{id}/health) are there: nothing waits yet.
    // One channel waits in the sync queue: Launch plan, shared at creation, is held for review on B.
    const figures = async () => (await row.innerText()).split('\t').slice(-5);
    await waitFor(
      'the health figures',
      async () => (JSON.stringify(await figures()) === '["1","0","0 ms","0","0"]' ? true : undefined),
      15_000,
      250,
    );
    expect(await figures()).toEqual(['1', '0', '0 ms', '0', '0']);
    await expectAccessible(pageA, 'list');
    await shot(pageA, '06-list');
  });

  it('shares a channel from A; B accepts it and the one shared at creation from review; a post on A reaches B', async () => {
    const channel = await api(a.url, a.token).post<{ id: string }>('/channels', {
      team_id: a.teamId,
      name: 'project-x',
      display_name: 'Project X',
      type: 'O',
    });
    await api(a.url, a.token).post('/channels', { team_id: a.teamId, name: 'secret-room', display_name: 'Secret room', type: 'P' });
    await pageA.getByRole('link', { name: 'Organization B' }).click();
    await pageA.getByRole('heading', { name: 'Organization B' }).waitFor();
    await pageA.getByRole('tab', { name: 'Shared channels' }).click();
    const shared = pageA.getByRole('list', { name: 'Channels shared with Organization B' });
    await shared.getByRole('listitem').filter({ hasText: 'Launch plan' }).waitFor();
    const share = pageA.getByRole('button', { name: /^Share/ });
    expect(await share.isDisabled()).toBe(true);
    // A system admin's picker offers private channels too.
    await pageA.getByLabel('Search channels').fill('secret');
    expect(
      await pageA
        .getByLabel(/Secret room/)
        .locator('xpath=..')
        .innerText(),
    ).toContain('Team A · private');
    await pageA.getByLabel('Search channels').fill('proj');
    await pageA.getByLabel(/Project X/).check();
    await share.click();
    await shared.getByRole('listitem').filter({ hasText: 'Project X' }).waitFor();

    // B reviews it: on B's connection page, in the Shared channels tab.
    await pageB.getByRole('tab', { name: 'Shared channels' }).click();
    const review = pageB.getByRole('list', { name: 'Channel invitations waiting for review' });
    // The channel shared at creation was sent when B accepted: it waits for review too.
    await review.getByRole('listitem').filter({ hasText: 'Launch plan' }).waitFor({ timeout: 40_000 });
    await review.getByRole('listitem').filter({ hasText: 'Project X' }).waitFor({ timeout: 40_000 });
    await expectAccessible(pageB, 'review');
    await shot(pageB, '07-review');
    const theirs = pageB.getByRole('list', { name: 'Channels Organization A shares with us' });
    for (const name of ['Project X', 'Launch plan']) {
      const item = review.getByRole('listitem').filter({ hasText: name });
      const accept = item.getByRole('button', { name: 'Accept' });
      expect(await accept.isDisabled()).toBe(true);
      await item.getByLabel(`Team for ${name}`).selectOption({ label: 'Team B' });
      await accept.click();
      await theirs.getByRole('listitem').filter({ hasText: name }).waitFor({ timeout: 40_000 });
      await shared.getByRole('listitem').filter({ hasText: name }).getByText('Shared', { exact: true }).waitFor({ timeout: 40_000 });
    }
    // The channel shared at creation exists on B now, in Team B.
    expect((await api(b.url, b.token).get<{ team_id: string }>(`/channels/${launchChannelId}`)).team_id).toBe(b.teamId);
    projectChannelId = channel.id;
    await expectAccessible(pageA, 'shared channels');
    await shot(pageA, '08-shared-channels');

    await api(a.url, a.token).post('/posts', { channel_id: channel.id, message: 'hello from A through the console' });
    await waitFor(
      'the post on B',
      async () => {
        const posts = await api(b.url, b.token).get<{ posts: Record<string, { message: string }> }>(`/channels/${channel.id}/posts`);
        return Object.values(posts.posts).some((p) => p.message === 'hello from A through the console') ? true : undefined;
      },
      40_000,
      500,
    );
  });

  it('shows a post B refused on the Shared channels tab, retries it and discards it', async () => {
    // B is made to refuse an edit from A, as the refused-posts integration test does: B moves its copy of the post
    // to another channel, and B's receiver refuses a change for a post id it holds elsewhere.
    const post = await api(a.url, a.token).post<{ id: string }>('/posts', { channel_id: projectChannelId, message: 'refuse me' });
    const dbB = new Client({ connectionString: new EmbeddedPostgres({ dataDir: path.join(root, 'b') }).url });
    await dbB.connect();
    try {
      await waitFor(
        'the post on B',
        async () => ((await dbB.query('SELECT 1 FROM posts WHERE id = $1', [post.id])).rowCount === 1 ? true : undefined),
        40_000,
        250,
      );
      await dbB.query('UPDATE posts SET channel_id = $2 WHERE id = $1', [post.id, launchChannelId]);
    } finally {
      await dbB.end();
    }
    await api(a.url, a.token).put(`/posts/${post.id}/patch`, { message: 'refuse me, edited' });

    const item = pageA.getByRole('listitem').filter({ hasText: 'Project X' });
    const refused = item.getByRole('table', { name: 'Posts refused in Project X' });
    await item.getByRole('heading', { name: '1 refused post in Project X' }).waitFor({ timeout: 40_000 });
    const cells = async () => (await refused.getByRole('row').nth(1).getByRole('cell').allInnerTexts()).slice(0, 4);
    const [reason, attempts, , state] = await cells();
    expect(reason.length).toBeGreaterThan(0);
    expect(attempts).toBe('1');
    expect(state).toMatch(/^Retrying at /);
    await expectAccessible(pageA, 'refused posts');
    await shot(pageA, '08b-refused');

    // Retry sends it now; B refuses again, so the attempts go up.
    await refused.getByRole('button', { name: `Retry post ${post.id}` }).click();
    await waitFor('a second refusal', async () => ((await cells())[1] === '2' ? true : undefined), 40_000, 250);

    await refused.getByRole('button', { name: `Discard post ${post.id}` }).click();
    await item.getByRole('heading', { name: /refused post/ }).waitFor({ state: 'detached' });
    expect(await api(a.url, a.token).get<unknown[]>(`/sharedchannels/${projectChannelId}/errors`)).toEqual([]);
  });

  it('syncs the users with a connection on request and shows the progress', async () => {
    await pageA.getByRole('tab', { name: 'Details' }).click();
    const sync = pageA.getByRole('button', { name: 'Sync users now' });
    expect(await sync.isDisabled()).toBe(false);
    await sync.click();
    const done = pageA.getByRole('status').filter({ hasText: /^Done: \d+ users? sent\.$/ });
    await done.waitFor({ timeout: 40_000 });
    const progress = await api(a.url, a.token).get<{ users_total: number; users_sent: number; in_progress: boolean }>(
      `/remotecluster/${remoteId}/sync_users`,
    );
    expect(progress.in_progress).toBe(false);
    expect(progress.users_sent).toBe(progress.users_total);
    expect(progress.users_total).toBeGreaterThanOrEqual(1);
    expect(await done.innerText()).toBe(`Done: ${progress.users_total} ${progress.users_total === 1 ? 'user' : 'users'} sent.`);
    await expectAccessible(pageA, 'user sync');
    await shot(pageA, '09b-user-sync');
  });

  it('edits a connection', async () => {
    await pageA.getByRole('button', { name: 'Regenerate invitation' }).waitFor();
    expect(await pageA.getByRole('button', { name: 'Regenerate invitation' }).isDisabled()).toBe(true);
    await pageA.getByLabel('Display name').fill('Organization B (partners)');
    await pageA.getByRole('button', { name: 'Save' }).click();
    await pageA.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await pageA.getByRole('heading', { name: 'Organization B (partners)' }).waitFor();
    const stored = await api(a.url, a.token).get<{ display_name: string }>(`/remotecluster/${remoteId}`);
    expect(stored.display_name).toBe('Organization B (partners)');
    await expectAccessible(pageA, 'edit');
    await shot(pageA, '09-edit');
  });

  it('regenerates the invitation of a pending connection, then deletes it after a confirmation', async () => {
    await pageA.getByRole('link', { name: 'Connections' }).click();
    await pageA.getByRole('link', { name: 'Create a connection' }).click();
    await pageA.getByLabel('Organization name').fill('org-c');
    await pageA.getByLabel('Review each channel invite before it is accepted').check();
    await pageA.getByRole('button', { name: 'Save' }).click();
    const oldCode = await pageA.getByLabel('Invitation code', { exact: true }).inputValue();
    await pageA.getByRole('button', { name: 'Done' }).click();
    await pageA.getByRole('link', { name: 'org-c' }).click();
    await pageA.getByRole('heading', { name: 'org-c' }).waitFor();
    const regenerate = pageA.getByRole('button', { name: 'Regenerate invitation' });
    expect(await regenerate.isDisabled()).toBe(false);
    await regenerate.click();
    const newCode = pageA.getByLabel('Invitation code', { exact: true });
    await newCode.waitFor();
    expect(await newCode.inputValue()).not.toBe(oldCode);
    expect((await pageA.getByLabel('Password', { exact: true }).inputValue()).length).toBe(24);
    await expectAccessible(pageA, 'regenerated');
    await shot(pageA, '10-regenerated');

    await pageA.getByRole('button', { name: 'Delete connection' }).click();
    const dialog = pageA.getByRole('dialog', { name: 'Delete the connection with org-c?' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('Shared channels and their messages stay');
    await expectAccessible(pageA, 'delete confirmation');
    await shot(pageA, '11-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await pageA.getByRole('heading', { name: 'Connected Workspaces' }).waitFor();
    await pageA.getByRole('row', { name: /Organization B/ }).waitFor();
    expect(await pageA.getByRole('link', { name: 'org-c' }).count()).toBe(0);
    const remaining = await api(a.url, a.token).get<Array<{ name: string }>>('/remotecluster');
    expect(remaining.map((r) => r.name)).toEqual(['org-b']);
  });

  it('removes a shared channel', async () => {
    await pageA.getByRole('link', { name: 'Organization B (partners)' }).click();
    await pageA.getByRole('tab', { name: 'Shared channels' }).click();
    await pageA.getByRole('button', { name: 'Remove Project X' }).click();
    await pageA.getByRole('button', { name: 'Remove Project X' }).waitFor({ state: 'detached' });
    await pageA.getByRole('button', { name: 'Remove Launch plan' }).click();
    await pageA.getByText('No channels are shared with Organization B (partners) yet.').waitFor();
  });

  it('lets a non-admin in once the system scheme grants Manage Secure Connections', async () => {
    await api(a.url, a.token).post('/users', { username: 'carol', email: 'carol@a.example.com', password: 'carol-password-1' });
    const contextC = await browser.newContext({ viewport: DESKTOP });
    try {
      const pageC = await contextC.newPage();
      watch(pageC);
      await signIn(pageC, a.url, 'carol', 'carol-password-1');
      await pageC.getByRole('heading', { name: 'No access' }).waitFor();
      expect(await pageC.getByRole('link', { name: 'Connections' }).count()).toBe(0);
      expect(await pageC.getByRole('link', { name: 'Permissions' }).count()).toBe(0);
      await expectAccessible(pageC, 'no access');
      await shot(pageC, '12-no-access');

      // A team scheme no team uses yet is listed too (GET /schemes), so its grants can be set before it is assigned.
      await api(a.url, a.token).post('/schemes', { display_name: 'Partners', scope: 'team' });
      await pageA.getByRole('link', { name: 'Permissions' }).click();
      await pageA.getByRole('heading', { name: 'Permissions' }).waitFor();
      const grant = pageA.getByLabel('Manage Secure Connections for System scheme: all members');
      expect(await grant.isChecked()).toBe(false);
      // The box changes once the server has saved the role: a click, then the new state from the server.
      await grant.click();
      await pageA
        .getByRole('row', { name: /System scheme/ })
        .getByText('Granted', { exact: true })
        .waitFor();
      expect(await pageA.getByRole('row', { name: /Team scheme: Partners/ }).innerText()).toContain('No team uses this scheme yet');
      await expectAccessible(pageA, 'permissions');
      await shot(pageA, '13-permissions');

      await pageC.reload();
      await pageC.getByRole('heading', { name: 'Connected Workspaces' }).waitFor();
      await pageC.getByRole('row', { name: /Organization B/ }).waitFor();
      expect(await pageC.getByRole('link', { name: 'Permissions' }).count()).toBe(0);
    } finally {
      await contextC.close();
    }
  });

  describe('the Accept page on a server that refuses private and loopback peers', () => {
    it('for an address this server refuses (REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=false)', async () => {
      const c = await cStarting!;
      const created = await api(a.url, a.token).post<{ remote_cluster: { remote_id: string }; invite: string; password: string }>(
        '/remotecluster',
        { name: 'org-refused', display_name: 'Refused organization', default_team_id: a.teamId },
      );
      const contextC = await browser.newContext({ viewport: DESKTOP });
      try {
        const pageC = await contextC.newPage();
        watch(pageC);
        const form = { name: 'org-a', displayName: 'Organization A', team: 'Team C', invite: created.invite, password: created.password };
        await openAcceptPage(pageC, c);
        await fillAcceptForm(pageC, form);
        const error = await acceptError(pageC);
        // The address, the rule and the setting, and what to do about it.
        expect(error).toContain(a.url);
        expect(error).toMatch(/loopback/);
        expect(error).toContain('REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=false');
        expect(error).toContain("Only this server's operator can change that setting");
        expect(error).not.toMatch(/password|did not answer/i);
        await expectFormKept(pageC, form);
        await expectNoConnection(c, 'org-a');
        await expectAccessible(pageC, 'accept: refused address');
        await shot(pageC, '05d-accept-refused');
      } finally {
        await contextC.close();
        await api(a.url, a.token).delete(`/remotecluster/${created.remote_cluster.remote_id}`);
      }
    });
  });

  it('fits a phone-sized screen', async () => {
    await pageA.setViewportSize(PHONE);
    await pageA.getByRole('link', { name: 'Connections' }).click();
    await pageA.getByRole('row', { name: /Organization B/ }).waitFor();
    const overflow = await pageA.evaluate(() => {
      const page = globalThis as any;
      return (page.document.documentElement.scrollWidth - page.innerWidth) as number;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await expectAccessible(pageA, 'phone list');
    await shot(pageA, '14-phone-list');
    await pageA.setViewportSize(DESKTOP);
  });
});
