import { MentionedUser, applyMentionTransforms, mentionedNames } from './mentions';

describe('mentionedNames', () => {
  it('finds @mentions, lower-cased, once each, in order', () => {
    expect(mentionedNames('Hi @Bob and @alice, @bob again')).toEqual(['bob', 'alice']);
  });

  it('keeps remote names with ":"', () => {
    expect(mentionedNames('ping @alice:acme and @bob-2:other.site')).toEqual(['alice:acme', 'bob-2:other.site']);
  });

  it('accepts username characters', () => {
    expect(mentionedNames('@a.b-c_d @user1 @9lives')).toEqual(['a.b-c_d', 'user1', '9lives']);
  });

  it('strips trailing punctuation that ends a sentence', () => {
    expect(mentionedNames('thanks @alice. @bob- @carol_ @dave... @erin: hi')).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
  });

  it('ignores @channel, @all and @here in any case', () => {
    expect(mentionedNames('@channel @ALL @Here: @alice')).toEqual(['alice']);
  });

  it('ignores email addresses and other @ inside words', () => {
    expect(mentionedNames('mail bob@example.com or x@alice')).toEqual([]);
  });

  it('finds mentions after punctuation and at the start', () => {
    expect(mentionedNames('@start (@paren) "@quoted" **@bold**')).toEqual(['start', 'paren', 'quoted', 'bold']);
  });

  it('needs a letter or digit right after @', () => {
    expect(mentionedNames('@ @. @_x @-y @:z')).toEqual([]);
  });

  it('returns nothing for a message without mentions', () => {
    expect(mentionedNames('')).toEqual([]);
    expect(mentionedNames('no mentions here')).toEqual([]);
  });
});

describe('applyMentionTransforms', () => {
  const users = new Map<string, MentionedUser>([
    ['local-admin', { username: 'admin', remoteId: '' }],
    ['local-dave', { username: 'dave', remoteId: '' }],
    ['synced-admin', { username: 'admin:remote1', remoteId: 'rc1' }],
    ['synced-bob', { username: 'bob-2:remote1', remoteId: 'rc1' }],
    ['synced-guest', { username: 'guest:remote1', remoteId: 'rc1' }],
    ['relayed-zoe', { username: 'zoe:third', remoteId: 'rc1' }],
  ]);
  const lookup = (id: string) => users.get(id);
  const apply = (message: string, transforms: Record<string, string>) => applyMentionTransforms(message, transforms, lookup, 'remote1');

  describe('§5.14 rules', () => {
    it('plain mention of a synced remote user → its local (munged) username', () => {
      expect(apply('Hello @admin, can you help?', { admin: 'synced-admin' })).toBe('Hello @admin:remote1, can you help?');
      expect(apply('Hello @bob', { bob: 'synced-bob' })).toBe('Hello @bob-2:remote1');
    });

    it('plain mention of a local user → unchanged', () => {
      expect(apply('Hello @dave!', { dave: 'local-dave' })).toBe('Hello @dave!');
    });

    it('colon mention of a known user → its local username', () => {
      expect(apply('Hello @admin:remote1, can you help?', { 'admin:remote1': 'local-admin' })).toBe('Hello @admin, can you help?');
      expect(apply('Hi @guest:remote1', { 'guest:remote1': 'synced-guest' })).toBe('Hi @guest:remote1');
      expect(apply('Hi @zoe:elsewhere', { 'zoe:elsewhere': 'relayed-zoe' })).toBe('Hi @zoe:third');
    });

    it('plain mention of an unknown user → @name:<sender name>', () => {
      expect(apply('Hello @charlie, can you help?', { charlie: 'nobody' })).toBe('Hello @charlie:remote1, can you help?');
    });

    it('colon mention of an unknown user → unchanged', () => {
      expect(apply('Hello @eve:remote1, can you help?', { 'eve:remote1': 'nobody' })).toBe('Hello @eve:remote1, can you help?');
    });

    it('mixes rules in one message and rewrites every occurrence', () => {
      const message = 'Hello @admin:remote1 and @bob, @bob again; @charlie? @dave.';
      const transforms = { 'admin:remote1': 'local-admin', bob: 'synced-bob', charlie: 'nobody', dave: 'local-dave' };
      expect(apply(message, transforms)).toBe('Hello @admin and @bob-2:remote1, @bob-2:remote1 again; @charlie:remote1? @dave.');
    });

    it("handles many mentions and possessives (Mattermost's performance case)", () => {
      const message = "Meeting with @bob, @admin about @bob's proposal.";
      expect(apply(message, { bob: 'synced-bob', admin: 'synced-admin' })).toBe(
        "Meeting with @bob-2:remote1, @admin:remote1 about @bob-2:remote1's proposal.",
      );
    });
  });

  describe('whole mentions only', () => {
    it('does not rewrite a longer name that starts with the mention', () => {
      expect(apply('@bob2 and @bobby and @bob.smith and @bob_x', { bob: 'synced-bob' })).toBe('@bob2 and @bobby and @bob.smith and @bob_x');
    });

    it('does not rewrite the user part of a colon mention', () => {
      expect(apply('@bob:elsewhere', { bob: 'synced-bob' })).toBe('@bob:elsewhere');
    });

    it('does not rewrite inside email addresses', () => {
      expect(apply('write to x@bob or bob@bob.com', { bob: 'synced-bob' })).toBe('write to x@bob or bob@bob.com');
    });

    it('keeps punctuation that follows a mention', () => {
      expect(apply('@bob. @bob- @bob_ @bob: @bob...', { bob: 'synced-bob' })).toBe(
        '@bob-2:remote1. @bob-2:remote1- @bob-2:remote1_ @bob-2:remote1: @bob-2:remote1...',
      );
    });

    it('prefers a listed name that itself ends in punctuation', () => {
      expect(apply('hi @bob_ and @bob', { bob_: 'local-dave', bob: 'synced-bob' })).toBe('hi @bob_ and @bob-2:remote1');
      expect(apply('hi @bob_.', { bob_: 'synced-guest' })).toBe('hi @guest:remote1.');
    });

    it('matches case-insensitively and keeps the written case when nothing is looked up', () => {
      expect(apply('Hi @BOB', { bob: 'synced-bob' })).toBe('Hi @bob-2:remote1');
      expect(apply('Hi @Charlie', { charlie: 'nobody' })).toBe('Hi @Charlie:remote1');
      expect(apply('Hi @Dave', { dave: 'local-dave' })).toBe('Hi @Dave');
    });
  });

  describe('one pass', () => {
    it('never rewrites the result of another rewrite', () => {
      // bob → bob-2:remote1 must not then be treated as a mention listed under "bob-2:remote1".
      expect(apply('@bob', { bob: 'synced-bob', 'bob-2:remote1': 'local-admin' })).toBe('@bob-2:remote1');
    });

    it('rewrites an unknown plain mention once, not again for its new ":" form', () => {
      expect(apply('@charlie @charlie', { charlie: 'nobody', 'charlie:remote1': 'local-admin' })).toBe('@charlie:remote1 @charlie:remote1');
    });
  });

  describe('inputs', () => {
    it('returns the message unchanged without transforms or mentions', () => {
      expect(apply('Hello @anyone', {})).toBe('Hello @anyone');
      expect(apply('no mentions', { bob: 'synced-bob' })).toBe('no mentions');
      expect(apply('', { bob: 'synced-bob' })).toBe('');
    });

    it('leaves mentions that are not listed alone', () => {
      expect(apply('@bob @carol', { bob: 'synced-bob' })).toBe('@bob-2:remote1 @carol');
    });

    it('accepts keys written with a leading "@"', () => {
      expect(apply('@bob', { '@bob': 'synced-bob' })).toBe('@bob-2:remote1');
    });

    it('looks each user up by the id the transform names', () => {
      const asked: string[] = [];
      applyMentionTransforms('@bob @carol @bob', { bob: 'id-b', carol: 'id-c' }, (id) => (asked.push(id), undefined), 'r');
      expect(asked).toEqual(['id-b', 'id-c', 'id-b']);
    });

    it('uses the given remote name', () => {
      expect(applyMentionTransforms('@x', { x: 'none' }, () => undefined, 'acme')).toBe('@x:acme');
    });
  });
});

describe('hostile input', () => {
  it('stays fast on very long mentions and runs of punctuation', () => {
    const message = `@a${'.'.repeat(16000)}b @b${'.'.repeat(16000)} ${' @c'.repeat(5000)}`;
    const started = Date.now();
    expect(mentionedNames(message)).toEqual([`a${'.'.repeat(16000)}b`, 'b', 'c']);
    expect(applyMentionTransforms(message, { b: 'x', c: 'y' }, () => undefined, 'r')).toContain(`@b:r${'.'.repeat(16000)}`);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
