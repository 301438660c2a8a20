import { RefusedItem } from '@fedchat/chat';
import { User } from '@fedchat/models';
import { SyncPost } from '../sync-message';
import { ApplyContext } from './apply-context';
import { checkPostShape, ownedBySender } from './sync-authority';

const CHANNEL = 'c'.repeat(26);
const ctx = { remoteId: 'r'.repeat(26), channel: { id: CHANNEL } } as unknown as ApplyContext;
const post = (over: Partial<SyncPost> = {}) => ({ channel_id: CHANNEL, type: '', message: 'hi', props: {}, ...over }) as SyncPost;

function refusal(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    if (err instanceof RefusedItem) return err.message;
    throw err;
  }
  return undefined;
}

describe('ownedBySender', () => {
  it("accepts only the sender's own users", () => {
    const mine = { id: 'u'.repeat(26), remote_id: ctx.remoteId } as User;
    expect(ownedBySender(ctx, mine)).toBe(mine);
    expect(refusal(() => ownedBySender(ctx, { ...mine, remote_id: '' }))).toBe('remoteID mismatch');
    expect(refusal(() => ownedBySender(ctx, { ...mine, remote_id: 'x'.repeat(26) }))).toBe('remoteID mismatch');
    expect(refusal(() => ownedBySender(ctx, null))).toBe('unknown user');
  });
});

describe('checkPostShape', () => {
  it('accepts a plain post of the channel', () => {
    expect(refusal(() => checkPostShape(ctx, post()))).toBeUndefined();
  });

  it('refuses posts of another channel, system messages, NULs and oversized props', () => {
    expect(refusal(() => checkPostShape(ctx, post({ channel_id: 'd'.repeat(26) })))).toBe('post of another channel');
    expect(refusal(() => checkPostShape(ctx, post({ type: 'system_join_channel' })))).toBe('system messages are not synced');
    expect(refusal(() => checkPostShape(ctx, post({ message: 'a\u0000' })))).toBe('invalid message');
    expect(refusal(() => checkPostShape(ctx, post({ props: { a: 'x'.repeat(800_001) } })))).toBe('props too large');
    expect(refusal(() => checkPostShape(ctx, post({ props: { a: '\u0000' } })))).toBe('props too large');
  });
});
