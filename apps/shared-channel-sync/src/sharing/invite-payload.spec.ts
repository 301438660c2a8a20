import { newId } from '@fedchat/crypto';
import { parseInvitePayload } from './invite-payload';

describe('parseInvitePayload', () => {
  const valid = (over: Record<string, unknown> = {}) => ({
    channel_id: newId(),
    team_id: '',
    read_only: true,
    name: 'town-talk_2',
    display_name: 'Town talk',
    header: 'h',
    purpose: 'p',
    type: 'P',
    creator_id: newId(),
    direct_participant_ids: [],
    direct_participants: [],
    ...over,
  });

  it('accepts a Mattermost invite and ignores unknown keys', () => {
    const payload = valid({ something_new: 1 });
    const parsed = parseInvitePayload(payload);
    expect(parsed).toEqual({ ok: true, invite: { ...payload, something_new: undefined } });
  });

  it('fills what older senders leave out', () => {
    const parsed = parseInvitePayload({ channel_id: newId(), type: 'O', name: 'x', display_name: 'X' });
    expect(parsed.ok && parsed.invite).toMatchObject({ read_only: false, header: '', purpose: '', creator_id: '', team_id: '' });
  });

  it('measures limits in characters, not bytes', () => {
    expect(parseInvitePayload(valid({ display_name: 'é'.repeat(64) })).ok).toBe(true);
    expect(parseInvitePayload(valid({ display_name: 'é'.repeat(65) })).ok).toBe(false);
  });

  it.each([
    ['not an object', []],
    ['bad channel id', valid({ channel_id: 'x' })],
    ['unknown type', valid({ type: 'Z' })],
    ['read_only not boolean', valid({ read_only: 1 })],
    ['name too long', valid({ name: 'a'.repeat(65) })],
    ['name not a channel name', valid({ name: '../etc' })],
    ['empty display name', valid({ display_name: '  ' })],
    ['purpose too long', valid({ purpose: 'p'.repeat(251) })],
    ['header too long', valid({ header: 'h'.repeat(1025) })],
    ['header not a string', valid({ header: {} })],
    ['bad creator id', valid({ creator_id: 'nobody' })],
    ['participants not ids', valid({ direct_participant_ids: ['x'] })],
    ['too many participants', valid({ direct_participants: Array(9).fill({}) })],
  ])('refuses %s', (_what, payload) => {
    const parsed = parseInvitePayload(payload);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.err).toMatch(/^invalid invite: /);
  });
});
