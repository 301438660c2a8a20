import { MAX_USERNAME_CANDIDATES, USERNAME_MAX_LENGTH, mungUsername, munggedCandidates, remoteUsernameOf } from './usernames';

const r = (count: number, text: string) => text.repeat(count);

describe('mungUsername', () => {
  it('joins the username and the remote name', () => {
    expect(mungUsername('alice', 'acme', '')).toBe('alice:acme');
    expect(mungUsername('bart', 'example.com', '')).toBe('bart:example.com');
  });

  it('puts a collision suffix after the username', () => {
    expect(mungUsername('alice', 'acme', '-2')).toBe('alice-2:acme');
    expect(mungUsername('bart', 'example.com', '-25')).toBe('bart-25:example.com');
  });

  it('keeps the remote part of a name another cluster already munged', () => {
    expect(mungUsername('alice:acme', 'home', '')).toBe('alice:acme');
    expect(mungUsername('alice:acme', 'home', '-3')).toBe('alice-3:acme');
  });

  it('drops further colons from an already munged remote part', () => {
    expect(mungUsername('alice:acme:old', 'home', '')).toBe('alice:acmeold');
    expect(mungUsername('alice::', 'home', '')).toBe('alice:');
  });

  it('defaults the maximum length to 64', () => {
    expect(USERNAME_MAX_LENGTH).toBe(64);
    expect(mungUsername(r(100, 'a'), 'acme', '')).toHaveLength(64);
  });

  // The expected values are Mattermost's own table (util_test.go), lower-cased, with the suffix passed with its '-'.
  it.each([
    ['everything empty', '', '', '', 64, ':'],
    ['no trunc, no suffix', 'bart', 'example.com', '', 64, 'bart:example.com'],
    ['no trunc, suffix', 'bart', 'example.com', '-2', 64, 'bart-2:example.com'],
    ['trunc remote, no suffix', 'bart', 'example1234567890.com', '', 24, 'bart:example123456789...'],
    ['trunc remote, suffix', 'bart', 'example1234567890.com', '-2', 24, 'bart-2:example1234567...'],
    ['trunc both, no suffix', r(24, 'a'), r(24, 'b'), '', 24, 'aaaaaaaaa...:bbbbbbbb...'],
    ['trunc both, suffix', r(24, 'a'), r(24, 'b'), '-10', 24, 'aaaaaa-10...:bbbbbbbb...'],
    ['trunc user, no suffix', r(40, 'a'), 'abc', '', 24, 'aaaaaaaaaaaaaaaaa...:abc'],
    ['trunc user, suffix', r(40, 'a'), 'abc', '-11', 24, 'aaaaaaaaaaaaaa-11...:abc'],
    ['trunc user, remote, no suffix', r(40, 'a'), 'abcdefghijk', '', 24, 'aaaaaaaaa...:abcdefghijk'],
    ['trunc user, remote, suffix', r(40, 'a'), 'abcdefghijk', '-19', 24, 'aaaaaa-19...:abcdefghijk'],
    ['short user, long remote, no suffix', 'bart', r(40, 'b'), '', 24, 'bart:bbbbbbbbbbbbbbbb...'],
    ['long user, short remote, no suffix', r(40, 'a'), 'abc.com', '', 24, 'aaaaaaaaaaaaa...:abc.com'],
    ['short user, long remote, suffix', 'bart', r(40, 'b'), '-12', 24, 'bart-12:bbbbbbbbbbbbb...'],
    ['long user, short remote, suffix', r(40, 'a'), 'abc.com', '-12', 24, 'aaaaaaaaaa-12...:abc.com'],
  ])('matches Mattermost: %s', (_case, username, remote, suffix, maxLen, want) => {
    expect(mungUsername(username, remote, suffix, maxLen)).toBe(want);
  });

  it('cuts a long username to fit beside a short remote name', () => {
    expect(mungUsername(r(70, 'a'), 'acme', '')).toBe(`${r(56, 'a')}...:acme`);
    expect(mungUsername(r(70, 'a'), 'acme', '-2')).toBe(`${r(54, 'a')}-2...:acme`);
  });

  it('gives the remote name at most half when both are long', () => {
    expect(mungUsername(r(40, 'a'), r(40, 'r'), '')).toBe(`${r(29, 'a')}...:${r(28, 'r')}...`);
    expect(mungUsername('bob', r(70, 'r'), '')).toBe(`bob:${r(57, 'r')}...`);
  });

  it('never exceeds the maximum length (Mattermost fuzz range)', () => {
    for (let user = 0; user < 70; user++) {
      for (let remote = 0; remote < 70; remote++) {
        for (const suffix of ['', '-1', '-11', '-25']) {
          expect(mungUsername(r(user, 'a'), r(remote, 'b'), suffix).length).toBeLessThanOrEqual(64);
          expect(mungUsername(r(user, 'a'), r(remote, 'b'), suffix, 24).length).toBeLessThanOrEqual(24);
        }
      }
    }
  });

  it('lower-cases the result', () => {
    expect(mungUsername('Alice', 'ACME', '')).toBe('alice:acme');
    expect(mungUsername('Alice:ACME', 'home', '-2')).toBe('alice-2:acme');
  });

  it('replaces characters a Mattermost username cannot hold with "-"', () => {
    expect(mungUsername('al ice!', 'ac/me', '')).toBe('al-ice-:ac-me');
    expect(mungUsername('zoë', 'acme', '')).toBe('zo-:acme');
    expect(mungUsername('a😀b', 'acme', '')).toBe('a-b:acme');
    expect(mungUsername('a.b-c_d', 'x.y-z_w', '')).toBe('a.b-c_d:x.y-z_w');
  });

  it('only ever produces username characters plus one ":"', () => {
    const samples = ['Ünïcødé name', 'a:b:c', '<script>', 'tab\there', 'ÀÉÎ', ''];
    for (const username of samples) {
      for (const remote of ['acme', 'Rémote site', 'x:y']) {
        const munged = mungUsername(username, remote, '-2');
        expect(munged).toMatch(/^[a-z0-9._-]*:[a-z0-9._-]*$/);
      }
    }
  });

  it('keeps the length exact for non-ASCII input (one "-" per character)', () => {
    const munged = mungUsername(r(70, 'é'), 'acme', '');
    expect(munged).toBe(`${r(56, '-')}...:acme`);
  });

  it('is stable: munging a munged name from the same remote gives the same name', () => {
    const once = mungUsername('alice', 'acme', '');
    expect(mungUsername(once, 'acme', '')).toBe(once);
  });
});

describe('munggedCandidates', () => {
  it('lists the plain name, then suffixes -2 … -25', () => {
    const suffixes = munggedCandidates('alice', 'acme');
    expect(MAX_USERNAME_CANDIDATES).toBe(25);
    expect(suffixes).toHaveLength(25);
    expect(suffixes.slice(0, 3)).toEqual(['', '-2', '-3']);
    expect(suffixes[24]).toBe('-25');
  });

  it('drives the collision retries alice:acme, alice-2:acme, …', () => {
    const names = munggedCandidates('alice', 'acme').map((suffix) => mungUsername('alice', 'acme', suffix));
    expect(names.slice(0, 3)).toEqual(['alice:acme', 'alice-2:acme', 'alice-3:acme']);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives distinct names even when the username must be cut', () => {
    const long = r(80, 'a');
    const names = munggedCandidates(long, 'acme').map((suffix) => mungUsername(long, 'acme', suffix));
    expect(new Set(names).size).toBe(25);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(64);
  });

  it('honours a custom maximum', () => {
    expect(munggedCandidates('alice', 'acme', 3)).toEqual(['', '-2', '-3']);
    expect(munggedCandidates('alice', 'acme', 1)).toEqual(['']);
    expect(munggedCandidates('alice', 'acme', 0)).toEqual([]);
  });
});

describe('remoteUsernameOf', () => {
  it('returns the part before the first ":"', () => {
    expect(remoteUsernameOf('alice:acme')).toBe('alice');
    expect(remoteUsernameOf('alice-2:acme')).toBe('alice-2');
    expect(remoteUsernameOf('alice:acme:old')).toBe('alice');
    expect(remoteUsernameOf(':acme')).toBe('');
  });

  it('returns a name without ":" unchanged', () => {
    expect(remoteUsernameOf('alice')).toBe('alice');
    expect(remoteUsernameOf('')).toBe('');
  });
});
