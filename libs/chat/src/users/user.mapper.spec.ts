import type { User } from '@fedchat/models';
import { toSanitizedUserJson, toUserJson, toUserJsonFor } from './user.mapper';

const alice = {
  id: 'a'.repeat(26),
  create_at: 1,
  update_at: 2,
  delete_at: 0,
  username: 'alice',
  password: 'scrypt$secret-hash',
  auth_data: 'ldap-id',
  auth_service: 'ldap',
  email: 'alice@example.com',
  email_verified: true,
  nickname: 'Al',
  first_name: 'Alice',
  last_name: 'Liddell',
  position: '',
  roles: 'system_user',
  allow_marketing: false,
  props: { theme: 'dark', RemoteUsername: 'alice', RemoteEmail: 'alice@origin.example', OriginalRemoteId: 'r'.repeat(26) },
  notify_props: { mention_keys: 'rabbit' },
  last_password_update: 5,
  last_picture_update: 6,
  failed_attempts: 3,
  locale: 'en',
  timezone: {},
  mfa_active: false,
  mfa_secret: 'totp-secret',
  remote_id: '',
  is_bot: false,
} as unknown as User;

const SHOWN = { showEmailAddress: true, showFullName: true };
const admin = { id: 'b'.repeat(26), roles: 'system_admin system_user' };
const other = { id: 'c'.repeat(26), roles: 'system_user' };

describe('user JSON', () => {
  it('never carries secrets or the server-only props of remote users', () => {
    const json = JSON.stringify([toUserJson(alice), toSanitizedUserJson(alice, SHOWN)]);
    for (const secret of ['secret-hash', 'ldap-id', 'totp-secret', 'alice@origin.example', 'OriginalRemoteId', 'RemoteUsername']) {
      expect(json).not.toContain(secret);
    }
    expect(toUserJson(alice).props).toEqual({ theme: 'dark' });
  });

  it('gives other users the sanitized profile, the user and admins the whole one', () => {
    expect(toUserJsonFor(alice, other, SHOWN)).toMatchObject({
      notify_props: {},
      last_password_update: 0,
      auth_service: '',
      email_verified: false,
      email: 'alice@example.com',
      first_name: 'Alice',
    });
    for (const viewer of [admin, { id: alice.id, roles: 'system_user' }]) {
      expect(toUserJsonFor(alice, viewer, SHOWN)).toMatchObject({ notify_props: { mention_keys: 'rabbit' }, last_password_update: 5 });
    }
  });

  it('hides email and full name when the privacy settings say so', () => {
    const hidden = toUserJsonFor(alice, other, { showEmailAddress: false, showFullName: false });
    expect(hidden).toMatchObject({ email: '', first_name: '', last_name: '', nickname: 'Al' });
    expect(toUserJsonFor(alice, admin, { showEmailAddress: false, showFullName: false })).toMatchObject({ email: 'alice@example.com' });
  });
});
