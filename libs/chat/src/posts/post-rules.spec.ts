import { AppError } from '@fedchat/common';
import { checkFileIds, checkMessage, checkProps, parseHashtags, parseMentions, priorityToStore } from './post-rules';

const ID_A = 'a'.repeat(26);
const ID_B = 'b'.repeat(26);

function errorId(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    if (err instanceof AppError) return err.errorId;
    throw err;
  }
  return undefined;
}

describe('parseHashtags', () => {
  it('keeps #words that start with a letter, once each, in order', () => {
    expect(parseHashtags('#release notes for #v2 and #release again, #été')).toBe('#release #v2 #été');
  });

  it('drops punctuation around a tag but keeps dots, dashes and underscores inside it', () => {
    expect(parseHashtags('(#fed.chat-sync_1), #done!')).toBe('#fed.chat-sync_1 #done');
  });

  it('refuses one-letter tags and tags that start with a digit', () => {
    expect(parseHashtags('#a #1abc')).toBe('');
  });

  it('stops before the list grows past 1000 characters', () => {
    const tags = Array.from({ length: 200 }, (_, i) => `#tag${String(i).padStart(4, '0')}`);
    const out = parseHashtags(tags.join(' '));
    expect(out.length).toBeLessThanOrEqual(1000);
    expect(out.split(' ')).toEqual(tags.slice(0, out.split(' ').length));
    expect(out.split(' ').length).toBe(111);
  });
});

describe('parseMentions', () => {
  it('reads @usernames in lower case without trailing punctuation', () => {
    const { names, everyone } = parseMentions('hi @Alice, ask @bob.smith. and @carol_');
    expect([...names]).toEqual(['alice', 'bob.smith', 'carol']);
    expect(everyone).toBe(false);
  });

  it('ignores e-mail addresses and @@', () => {
    expect([...parseMentions('mail alice@example.com or @@bob').names]).toEqual([]);
  });

  it.each(['@channel', '@all', '@here'])('%s mentions everyone', (word) => {
    const { names, everyone } = parseMentions(`look ${word}`);
    expect(everyone).toBe(true);
    expect(names.size).toBe(0);
  });
});

describe('post validity', () => {
  it('needs a message or files', () => {
    expect(errorId(() => checkMessage('  ', []))).toBe('api.post.create_post.message_and_files_empty.app_error');
    expect(errorId(() => checkMessage('', [ID_A]))).toBeUndefined();
  });

  it('refuses NUL characters and messages over the limit', () => {
    expect(errorId(() => checkMessage('a\u0000b', []))).toBe('model.post.is_valid.msg.app_error');
    expect(errorId(() => checkMessage('x'.repeat(16383), []))).toBeUndefined();
    expect(errorId(() => checkMessage('x'.repeat(16384), []))).toBe('model.post.is_valid.msg.app_error');
  });

  it('refuses repeated or malformed file ids', () => {
    expect(checkFileIds([ID_A, ID_B])).toEqual([ID_A, ID_B]);
    expect(errorId(() => checkFileIds([ID_A, ID_A]))).toBe('api.context.invalid_param.app_error');
    expect(errorId(() => checkFileIds(['nope']))).toBe('api.context.invalid_param.app_error');
  });

  it('refuses props jsonb cannot hold', () => {
    expect(errorId(() => checkProps({ a: 'b\u0000' }))).toBe('model.post.is_valid.props.app_error');
    expect(errorId(() => checkProps({ a: 'b' }))).toBeUndefined();
  });
});

describe('priorityToStore', () => {
  it('stores nothing when nothing is set', () => {
    expect(priorityToStore(undefined, '')).toBeUndefined();
    expect(priorityToStore({ priority: '' }, '')).toBeUndefined();
  });

  it('fills the flags of a root post', () => {
    expect(priorityToStore({ priority: 'important' }, '')).toEqual({
      priority: 'important',
      requested_ack: false,
      persistent_notifications: false,
    });
  });

  it('refuses a priority on a reply and persistent notifications that are not urgent', () => {
    expect(errorId(() => priorityToStore({ priority: 'urgent' }, ID_A))).toBe(
      'api.post.create_post.post_priority.priority_post_not_allowed_for_reply',
    );
    expect(errorId(() => priorityToStore({ priority: 'important', persistent_notifications: true }, ''))).toBe(
      'api.post.create_post.post_priority.persistent_notifications_not_urgent',
    );
  });
});
