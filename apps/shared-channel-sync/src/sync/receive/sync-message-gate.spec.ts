import { AppConfig } from '@fedchat/common';
import { admitSyncMessage } from './sync-message-gate';

const CHANNEL = 'c'.repeat(26);
const memberSync = (on: boolean) => ({ featureFlags: { enableSharedChannelsMemberSync: on } }) as unknown as AppConfig;

describe('admitSyncMessage', () => {
  it('refuses a malformed payload whole, saying why', () => {
    const out = admitSyncMessage({ channel_id: 'short', posts: 'nope' }, memberSync(true));
    expect('answer' in out && out.answer.status).toBe('FAIL');
    expect('answer' in out && out.refused).toEqual(expect.any(String));
  });

  it('admits a message for a channel', () => {
    const out = admitSyncMessage({ channel_id: CHANNEL, posts: [] }, memberSync(true));
    expect('msg' in out && out.msg.channel_id).toBe(CHANNEL);
  });

  it('answers OK with nothing confirmed to membership-only messages while membership sync is off', () => {
    const only = { channel_id: CHANNEL, membership_changes: [{ user_id: 'u'.repeat(26) }] };
    expect(admitSyncMessage(only, memberSync(false))).toEqual({ answer: { status: 'OK', payload: null } });
    expect('msg' in admitSyncMessage(only, memberSync(true))).toBe(true);
    expect('msg' in admitSyncMessage({ ...only, posts: [], statuses: [{}] }, memberSync(false))).toBe(true);
  });

  it('answers OK to a message without a channel (global user sync has its own topic)', () => {
    expect(admitSyncMessage({ channel_id: '' }, memberSync(true))).toEqual({ answer: { status: 'OK', payload: null } });
  });

  it('admits channel metadata within Mattermost limits and refuses it beyond them', () => {
    const metadata = { display_name: 'Ünïcode name', header: 'h'.repeat(1024), purpose: 'p'.repeat(250), update_at: 5 };
    const ok = admitSyncMessage({ channel_id: CHANNEL, channel_metadata: metadata }, memberSync(true));
    expect('msg' in ok && ok.msg.channel_metadata).toEqual(metadata);
    for (const bad of [
      { ...metadata, display_name: 'd'.repeat(65) },
      { ...metadata, display_name: '  ' },
      { ...metadata, header: 'h'.repeat(1025) },
      { ...metadata, purpose: 'p'.repeat(251) },
      { ...metadata, update_at: 0 },
    ]) {
      const out = admitSyncMessage({ channel_id: CHANNEL, channel_metadata: bad }, memberSync(true));
      expect('answer' in out && out.answer.status).toBe('FAIL');
    }
  });
});
