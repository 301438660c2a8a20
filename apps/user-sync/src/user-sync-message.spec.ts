import { newId } from '@fedchat/crypto';
import { GLOBAL_SYNC_MAX_USERS, GlobalUserSyncMsgSchema, itemUserId, MembershipChangeSchema, SyncStatusSchema } from './user-sync-message';

const user = (id = newId()) => ({ id, username: `u${id.slice(0, 5)}` });
const users = (n: number) => Object.fromEntries(Array.from({ length: n }, () => user()).map((u) => [u.id, u]));

describe('GlobalUserSyncMsgSchema', () => {
  it('takes users with an empty channel id', () => {
    const parsed = GlobalUserSyncMsgSchema.parse({ channel_id: '', users: users(2) });
    expect(Object.keys(parsed.users ?? {})).toHaveLength(2);
  });

  it('refuses a channel id', () => {
    expect(GlobalUserSyncMsgSchema.safeParse({ channel_id: newId(), users: users(1) }).success).toBe(false);
  });

  it.each(['posts', 'reactions', 'statuses', 'acknowledgements', 'membership_changes'])('refuses %s beside the users', (key) => {
    expect(GlobalUserSyncMsgSchema.safeParse({ channel_id: '', users: users(1), [key]: [{}] }).success).toBe(false);
  });

  it('tolerates empty or null lists of other items, as Mattermost serialises them', () => {
    expect(GlobalUserSyncMsgSchema.safeParse({ channel_id: '', users: users(1), posts: [], statuses: null }).success).toBe(true);
  });

  it(`takes at most ${GLOBAL_SYNC_MAX_USERS} users`, () => {
    expect(GlobalUserSyncMsgSchema.safeParse({ channel_id: '', users: users(GLOBAL_SYNC_MAX_USERS) }).success).toBe(true);
    expect(GlobalUserSyncMsgSchema.safeParse({ channel_id: '', users: users(GLOBAL_SYNC_MAX_USERS + 1) }).success).toBe(false);
  });

  it('refuses malformed users', () => {
    expect(GlobalUserSyncMsgSchema.safeParse({ channel_id: '', users: { x: { id: 'not-an-id', username: 'a' } } }).success).toBe(false);
  });
});

describe('SyncStatusSchema', () => {
  it('takes the four statuses with defaults', () => {
    const id = newId();
    expect(SyncStatusSchema.parse({ user_id: id, status: 'dnd' })).toEqual({
      user_id: id,
      status: 'dnd',
      manual: false,
      last_activity_at: 0,
      dnd_end_time: 0,
    });
  });

  it('refuses other statuses and bad ids', () => {
    expect(SyncStatusSchema.safeParse({ user_id: newId(), status: 'sleeping' }).success).toBe(false);
    expect(SyncStatusSchema.safeParse({ user_id: 'x', status: 'online' }).success).toBe(false);
  });
});

describe('MembershipChangeSchema', () => {
  it('needs a channel, a user and the direction', () => {
    expect(MembershipChangeSchema.safeParse({ channel_id: newId(), user_id: newId(), is_add: true }).success).toBe(true);
    expect(MembershipChangeSchema.safeParse({ channel_id: newId(), user_id: newId() }).success).toBe(false);
    expect(MembershipChangeSchema.safeParse({ channel_id: '', user_id: newId(), is_add: false }).success).toBe(false);
  });
});

describe('itemUserId', () => {
  it('names the user of an item for the error lists, or nobody', () => {
    expect(itemUserId({ user_id: 'abc' })).toBe('abc');
    expect(itemUserId({ user_id: 'x'.repeat(100) })).toHaveLength(26);
    expect(itemUserId({ user_id: 42 })).toBe('');
  });
});
