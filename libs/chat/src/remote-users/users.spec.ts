import { SYNC_USER_PROPS, SyncUserSource, syntheticUserProps, toSyncUser } from './users';

describe('toSyncUser', () => {
  // Shaped like the User entity, including the secrets that must never travel.
  const entity = () => ({
    id: 'u'.repeat(26),
    create_at: 100,
    update_at: 200,
    delete_at: 0,
    username: 'alice',
    password: '$2a$10$hash',
    auth_data: 'ldap-id',
    auth_service: 'ldap',
    email: 'alice@example.com',
    email_verified: true,
    nickname: 'Al',
    first_name: 'Alice',
    last_name: 'Liddell',
    position: 'Engineer',
    roles: 'system_admin system_user',
    allow_marketing: true,
    props: { customStatus: 'away' },
    notify_props: { email: 'true' },
    last_password_update: 123,
    last_picture_update: 456,
    failed_attempts: 3,
    locale: 'fr',
    timezone: { useAutomaticTimezone: 'true', automaticTimezone: 'Europe/Paris' },
    mfa_active: true,
    mfa_secret: 'TOTPSECRET',
    remote_id: '',
    is_bot: false,
  });

  it('builds the sanitised Mattermost user JSON (§2.8)', () => {
    expect(toSyncUser(entity(), { includeEmail: true })).toEqual({
      id: 'u'.repeat(26),
      create_at: 100,
      update_at: 200,
      delete_at: 0,
      username: 'alice',
      auth_data: null,
      auth_service: '',
      email: 'alice@example.com',
      email_verified: false,
      nickname: 'Al',
      first_name: 'Alice',
      last_name: 'Liddell',
      position: 'Engineer',
      roles: 'system_user',
      allow_marketing: false,
      props: { customStatus: 'away' },
      notify_props: {},
      last_password_update: 0,
      last_picture_update: 456,
      failed_attempts: 0,
      locale: 'fr',
      timezone: { useAutomaticTimezone: 'true', automaticTimezone: 'Europe/Paris' },
      mfa_active: false,
      remote_id: '',
      is_bot: false,
    });
  });

  it('sends an empty email unless asked to include it', () => {
    expect(toSyncUser(entity(), { includeEmail: false }).email).toBe('');
  });

  it('never carries a password, MFA secret or auth data', () => {
    const wire = toSyncUser(entity(), { includeEmail: true });
    const json = JSON.stringify(wire);
    expect(wire).not.toHaveProperty('password');
    expect(wire).not.toHaveProperty('mfa_secret');
    expect(json).not.toContain('$2a$10$hash');
    expect(json).not.toContain('TOTPSECRET');
    expect(json).not.toContain('ldap');
  });

  it('copies props and timezone rather than sharing them', () => {
    const user = entity();
    const wire = toSyncUser(user, { includeEmail: false });
    wire.props.changed = 'yes';
    wire.timezone.changed = 'yes';
    expect(user.props).toEqual({ customStatus: 'away' });
    expect(user.timezone).not.toHaveProperty('changed');
  });

  it('keeps the owner of a relayed remote user and the bot flag', () => {
    const wire = toSyncUser({ ...entity(), remote_id: 'r'.repeat(26), is_bot: true }, { includeEmail: false });
    expect(wire.remote_id).toBe('r'.repeat(26));
    expect(wire.is_bot).toBe(true);
  });

  it('tolerates missing maps and a null remote id', () => {
    const user: SyncUserSource = { ...entity(), props: null, timezone: null, remote_id: null };
    const wire = toSyncUser(user, { includeEmail: false });
    expect(wire.props).toEqual({});
    expect(wire.timezone).toEqual({});
    expect(wire.remote_id).toBe('');
  });
});

describe('SYNC_USER_PROPS', () => {
  it('uses the Mattermost prop names', () => {
    expect(SYNC_USER_PROPS).toEqual({ RemoteUsername: 'RemoteUsername', RemoteEmail: 'RemoteEmail', OriginalRemoteId: 'OriginalRemoteId' });
  });
});

describe('syntheticUserProps', () => {
  const sender = 's'.repeat(26);
  const origin = 'o'.repeat(26);

  it('records the origin username and email of a new user, owned by the sender', () => {
    const props = syntheticUserProps({ username: 'alice', email: 'alice@acme.test', remote_id: '', props: { a: '1' } }, sender, {});
    expect(props).toEqual({ a: '1', RemoteUsername: 'alice', RemoteEmail: 'alice@acme.test', OriginalRemoteId: sender });
  });

  it('takes OriginalRemoteId from the remote id the sender had on the user', () => {
    const props = syntheticUserProps({ username: 'alice:a', remote_id: origin, props: {} }, sender, undefined);
    expect(props[SYNC_USER_PROPS.OriginalRemoteId]).toBe(origin);
  });

  it('falls back to the sender when remote_id is missing or null', () => {
    expect(syntheticUserProps({ username: 'alice' }, sender, null).OriginalRemoteId).toBe(sender);
    expect(syntheticUserProps({ username: 'alice', remote_id: null }, sender, null).OriginalRemoteId).toBe(sender);
  });

  it('keeps an OriginalRemoteId already stored here, then one already received', () => {
    const stored = syntheticUserProps({ username: 'alice', remote_id: origin, props: { OriginalRemoteId: 'x'.repeat(26) } }, sender, {
      OriginalRemoteId: 'first',
    });
    expect(stored.OriginalRemoteId).toBe('first');
    const relayed = syntheticUserProps({ username: 'alice', remote_id: origin, props: { OriginalRemoteId: 'relayed' } }, sender, {});
    expect(relayed.OriginalRemoteId).toBe('relayed');
  });

  it('keeps the "UNKNOWN" sentinel when present', () => {
    expect(syntheticUserProps({ username: 'alice' }, sender, { OriginalRemoteId: 'UNKNOWN' }).OriginalRemoteId).toBe('UNKNOWN');
  });

  it('updates RemoteUsername/RemoteEmail when the origin renames the user', () => {
    const props = syntheticUserProps({ username: 'alicia', email: 'alicia@acme.test' }, sender, {
      RemoteUsername: 'alice',
      RemoteEmail: 'alice@acme.test',
      OriginalRemoteId: sender,
    });
    expect(props).toMatchObject({ RemoteUsername: 'alicia', RemoteEmail: 'alicia@acme.test' });
  });

  it('does not take a munged (":") username or its email as the origin values', () => {
    const props = syntheticUserProps({ username: 'alice:acme', email: 'random-id' }, sender, {
      RemoteUsername: 'alice',
      RemoteEmail: 'alice@acme.test',
    });
    expect(props).toMatchObject({ RemoteUsername: 'alice', RemoteEmail: 'alice@acme.test' });
  });

  it('prefers the origin values a relay forwards over older stored ones', () => {
    const props = syntheticUserProps(
      { username: 'alicia:acme', email: 'random-id', props: { RemoteUsername: 'alicia', RemoteEmail: 'alicia@acme.test' } },
      sender,
      { RemoteUsername: 'alice', RemoteEmail: 'alice@acme.test' },
    );
    expect(props).toMatchObject({ RemoteUsername: 'alicia', RemoteEmail: 'alicia@acme.test' });
  });

  it('leaves out origin values nobody knows', () => {
    const props = syntheticUserProps({ username: 'alice:acme', email: 'random-id' }, sender, {});
    expect(props).not.toHaveProperty('RemoteUsername');
    expect(props).not.toHaveProperty('RemoteEmail');
  });

  it('leaves out RemoteEmail when the origin shares no email', () => {
    const props = syntheticUserProps({ username: 'alice', email: '' }, sender, { RemoteEmail: 'old@acme.test' });
    expect(props).not.toHaveProperty('RemoteEmail');
    expect(props.RemoteUsername).toBe('alice');
  });

  it('takes the other props from the sender, as Mattermost does', () => {
    const props = syntheticUserProps({ username: 'alice', props: { customStatus: 'new' } }, sender, { customStatus: 'old', stale: 'x' });
    expect(props.customStatus).toBe('new');
    expect(props).not.toHaveProperty('stale');
  });

  it('does not change its inputs', () => {
    const received = { username: 'alice', email: 'a@b.c', props: { k: 'v' } };
    const existing = { OriginalRemoteId: 'first' };
    syntheticUserProps(received, sender, existing);
    expect(received.props).toEqual({ k: 'v' });
    expect(existing).toEqual({ OriginalRemoteId: 'first' });
  });
});
