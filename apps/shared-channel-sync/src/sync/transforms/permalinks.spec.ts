import {
  MATTERMOST_PERMALINK_PATTERN,
  PERMALINK_REGEX,
  SHARED_PERMALINK_REGEX,
  inboundPermalinks,
  outboundPermalinks,
  permalinkPostIds,
} from './permalinks';

const P1 = 'a'.repeat(26);
const P2 = 'b'.repeat(26);
const P3 = 'c'.repeat(26);

describe('permalink regexes', () => {
  it('match Mattermost links and capture team and post id', () => {
    const match = `see https://chat.example.com/my-team/pl/${P1} please`.match(PERMALINK_REGEX);
    expect(match?.[0]).toBe(`https://chat.example.com/my-team/pl/${P1}`);
    expect(match?.[1]).toBe('my-team');
    expect(match?.[2]).toBe(P1);
    expect(`http://10.0.0.1/t2/plshared/${P2}`.match(SHARED_PERMALINK_REGEX)?.[2]).toBe(P2);
  });

  it.each([
    ['a one-letter team', `https://h.com/t/pl/${P1}`],
    ['a team starting with "-"', `https://h.com/-team/pl/${P1}`],
    ['a team ending with "-"', `https://h.com/team-/pl/${P1}`],
    ['an upper-case team', `https://h.com/Team/pl/${P1}`],
    ['a single "_" in the team', `https://h.com/my_team/pl/${P1}`],
    ['a port (as in Mattermost)', `https://h.com:8065/team/pl/${P1}`],
    ['a path before the team (as in Mattermost)', `https://h.com/chat/team/pl/${P1}`],
    ['another scheme', `ftp://h.com/team/pl/${P1}`],
  ])('do not match %s', (_case, text) => {
    expect(PERMALINK_REGEX.test(text)).toBe(false);
  });

  it('accept a team with "__" and dashes', () => {
    expect(PERMALINK_REGEX.test(`https://h.com/ab__cd/pl/${P1}`)).toBe(true);
    expect(PERMALINK_REGEX.test(`https://h.com/a-b-c/pl/${P1}`)).toBe(true);
  });

  it('find exactly what the Mattermost regex finds', () => {
    const mattermost = new RegExp(MATTERMOST_PERMALINK_PATTERN, 'g');
    const ours = new RegExp(PERMALINK_REGEX.source, 'g');
    const pieces = ['http', 's', '://', 'h', '.', '-', 'H', '/', 'a', 'z', '0', '_', '__', '-', 'pl', '/pl/', 'plshared', ' ', 'X', '9'];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 20000; i++) {
      const text = Array.from({ length: 4 + Math.floor(random() * 14) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      const withLink = `${text}https://h.com/${text.replace(/[^a-z0-9_-]/g, '')}/pl/${text.replace(/[^a-zA-Z0-9]/g, '') || 'x'}`;
      for (const sample of [text, withLink]) {
        expect([...sample.matchAll(ours)].map((m) => [m.index, m[0]])).toEqual(
          [...sample.matchAll(mattermost)].map((m) => [m.index, m[0]]),
        );
      }
    }
  });

  it('stay fast on hostile input (Mattermost’s form is cubic in JavaScript)', () => {
    const hostile = `http://h/${'a'.repeat(16000)} x http://h/${'a-'.repeat(8000)}_ http://h/a__${'b'.repeat(16000)}_`;
    const started = Date.now();
    expect(permalinkPostIds(hostile)).toEqual([]);
    expect(inboundPermalinks(hostile, 'https://x', 't')).toBe(hostile);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('outboundPermalinks', () => {
  const sameChannel = new Set([P1, P3]);
  const isSameChannel = (id: string) => sameChannel.has(id);

  it('marks links to posts of the same channel as /plshared/', () => {
    const out = outboundPermalinks(`look https://chat.example.com/team/pl/${P1}`, isSameChannel);
    expect(out).toEqual({ message: `look https://chat.example.com/team/plshared/${P1}`, foreign: false });
  });

  it('leaves links to other channels alone and reports them', () => {
    const message = `look https://chat.example.com/team/pl/${P2}`;
    expect(outboundPermalinks(message, isSameChannel)).toEqual({ message, foreign: true });
  });

  it('handles several links, mixed', () => {
    const message = `a http://h.io/team/pl/${P1} b http://h.io/team/pl/${P2} c http://h.io/team/pl/${P3}`;
    expect(outboundPermalinks(message, isSameChannel)).toEqual({
      message: `a http://h.io/team/plshared/${P1} b http://h.io/team/pl/${P2} c http://h.io/team/plshared/${P3}`,
      foreign: true,
    });
  });

  it('asks about each linked post id', () => {
    const asked: string[] = [];
    outboundPermalinks(`http://h.io/team/pl/${P1} http://h.io/team/pl/${P2}`, (id) => (asked.push(id), false));
    expect(asked).toEqual([P1, P2]);
  });

  it('does not count a link to an unknown post (undefined) as foreign', () => {
    const message = `http://h.io/team/pl/${P2}`;
    expect(outboundPermalinks(message, () => undefined)).toEqual({ message, foreign: false });
  });

  it('only touches the /pl/ segment, even when host or team is called "pl"', () => {
    expect(outboundPermalinks(`http://pl/pl/pl/${P1}`, isSameChannel).message).toBe(`http://pl/pl/plshared/${P1}`);
  });

  it('leaves messages without permalinks unchanged', () => {
    expect(outboundPermalinks('no links https://example.com/a/b', isSameChannel)).toEqual({
      message: 'no links https://example.com/a/b',
      foreign: false,
    });
    expect(outboundPermalinks('', isSameChannel)).toEqual({ message: '', foreign: false });
  });

  it('leaves already shared links alone', () => {
    const message = `http://h.io/team/plshared/${P2}`;
    expect(outboundPermalinks(message, isSameChannel)).toEqual({ message, foreign: false });
  });
});

describe('inboundPermalinks', () => {
  it('points shared links at this site, team and /pl/', () => {
    const message = `see https://peer.example.org/their-team/plshared/${P1}!`;
    expect(inboundPermalinks(message, 'http://localhost', 'our-team')).toBe(`see http://localhost/our-team/pl/${P1}!`);
  });

  it('keeps the path prefix of the local site URL and ignores trailing slashes', () => {
    const message = `https://peer.org/t1/plshared/${P1}`;
    expect(inboundPermalinks(message, 'https://example.com/chat', 'ours')).toBe(`https://example.com/chat/ours/pl/${P1}`);
    expect(inboundPermalinks(message, 'https://example.com/chat//', 'ours')).toBe(`https://example.com/chat/ours/pl/${P1}`);
    expect(inboundPermalinks(message, 'https://example.com:8065', 'ours')).toBe(`https://example.com:8065/ours/pl/${P1}`);
  });

  it('rewrites every shared link', () => {
    const message = `https://a.org/t1/plshared/${P1} and http://b.org/t2/plshared/${P2}`;
    expect(inboundPermalinks(message, 'https://me.net', 'home')).toBe(`https://me.net/home/pl/${P1} and https://me.net/home/pl/${P2}`);
  });

  it('leaves ordinary permalinks and other text alone', () => {
    const message = `https://peer.org/t1/pl/${P1} https://peer.org/t1/plsharedx/${P2} plain`;
    expect(inboundPermalinks(message, 'https://me.net', 'home')).toBe(message);
  });
});

describe('permalinkPostIds', () => {
  it('lists the ids linked with /pl/, first appearance first, once each', () => {
    const message = `http://h.io/t1/pl/${P2} http://h.io/t1/pl/${P1} again http://h.io/t1/pl/${P2}`;
    expect(permalinkPostIds(message)).toEqual([P2, P1]);
  });

  it('ignores /plshared/ links and non-links', () => {
    expect(permalinkPostIds(`http://h.io/t1/plshared/${P1} /pl/${P2}`)).toEqual([]);
    expect(permalinkPostIds('')).toEqual([]);
  });
});
