/**
 * Users on the wire (protocol §2.8) and the props kept on synthetic users (protocol §6). Pure functions, no dependencies.
 */

/** Prop names Mattermost keeps on synthetic users (`model.UserPropsKey*`). */
export const SYNC_USER_PROPS = {
  /** The username at the origin, before munging. */
  RemoteUsername: 'RemoteUsername',
  /** The email the origin sent (the stored email is a random id). */
  RemoteEmail: 'RemoteEmail',
  /** The remote that first owned the user, kept across relays. */
  OriginalRemoteId: 'OriginalRemoteId',
} as const;

const SYNC_USER_PROP_NAMES: ReadonlySet<string> = new Set(Object.values(SYNC_USER_PROPS));

/** `props` without the federation props: what clients see, and what a client may set. */
export function withoutSyncUserProps(props: Record<string, string> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(props ?? {}).filter(([key]) => !SYNC_USER_PROP_NAMES.has(key)));
}

/** The fields of a local user that go to peers (the `User` entity of `@fedchat/models` has them all). */
export interface SyncUserSource {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  username: string;
  email: string;
  nickname: string;
  first_name: string;
  last_name: string;
  position: string;
  props: Record<string, string> | null;
  locale: string;
  timezone: Record<string, string> | null;
  last_picture_update: number;
  remote_id: string | null;
  is_bot: boolean;
}

/** Mattermost `model.User` JSON as sent to a peer, after `sanitizeUserForSync`. */
export interface SyncUserWire {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  username: string;
  auth_data: null;
  auth_service: '';
  email: string;
  email_verified: false;
  nickname: string;
  first_name: string;
  last_name: string;
  position: string;
  roles: 'system_user';
  allow_marketing: false;
  props: Record<string, string>;
  notify_props: Record<string, never>;
  last_password_update: 0;
  last_picture_update: number;
  failed_attempts: 0;
  locale: string;
  timezone: Record<string, string>;
  mfa_active: false;
  remote_id: string;
  is_bot: boolean;
}

/**
 * A local user as peers receive it. Only the listed fields are copied, so secrets on the source (password hash,
 * MFA secret, auth data) can never leak. The real email goes out only when `includeEmail` (Mattermost always sends it).
 */
export function toSyncUser(user: SyncUserSource, opts: { includeEmail: boolean }): SyncUserWire {
  return {
    id: user.id,
    create_at: user.create_at,
    update_at: user.update_at,
    delete_at: user.delete_at,
    username: user.username,
    auth_data: null,
    auth_service: '',
    email: opts.includeEmail ? user.email : '',
    email_verified: false,
    nickname: user.nickname,
    first_name: user.first_name,
    last_name: user.last_name,
    position: user.position,
    roles: 'system_user',
    allow_marketing: false,
    props: { ...(user.props ?? {}) },
    notify_props: {},
    last_password_update: 0,
    last_picture_update: user.last_picture_update,
    failed_attempts: 0,
    locale: user.locale,
    timezone: { ...(user.timezone ?? {}) },
    mfa_active: false,
    remote_id: user.remote_id ?? '',
    is_bot: user.is_bot,
  };
}

/** What `syntheticUserProps` reads from a received user. */
export interface ReceivedUserIdentity {
  username: string;
  email?: string | null;
  remote_id?: string | null;
  props?: Record<string, string> | null;
}

/**
 * The props to store on a synthetic user built from `received` (protocol §6). They start from the received props
 * (Mattermost replaces a synthetic user's props with the sender's), then:
 * - `RemoteUsername` / `RemoteEmail` come from the received username/email only when the username has no ':';
 *   a ':' means a relay munged it, so the relayed prop (or else the value stored here) is kept instead;
 * - `OriginalRemoteId` is kept when already known, else the sender's `remote_id` on the user, else the sender itself.
 * A prop with no value is left out rather than stored empty.
 */
export function syntheticUserProps(
  received: ReceivedUserIdentity,
  senderRemoteId: string,
  existingProps: Record<string, string> | null | undefined,
): Record<string, string> {
  const incoming = received.props ?? {};
  const existing = existingProps ?? {};
  const props: Record<string, string> = { ...incoming };
  const fromOrigin = !received.username.includes(':');
  const { RemoteUsername, RemoteEmail, OriginalRemoteId } = SYNC_USER_PROPS;

  setOrDrop(props, RemoteUsername, fromOrigin ? received.username : incoming[RemoteUsername] || existing[RemoteUsername]);
  setOrDrop(props, RemoteEmail, fromOrigin ? received.email : incoming[RemoteEmail] || existing[RemoteEmail]);
  // The first owner never changes, so the value stored here wins over anything received.
  setOrDrop(props, OriginalRemoteId, existing[OriginalRemoteId] || incoming[OriginalRemoteId] || received.remote_id || senderRemoteId);
  return props;
}

function setOrDrop(props: Record<string, string>, key: string, value: string | null | undefined): void {
  if (value) props[key] = value;
  else delete props[key];
}

/**
 * The connection a remote user originally comes from: `OriginalRemoteId` when known, else the connection that owns
 * it here. It differs from `remote_id` for a user another workspace relayed here.
 */
export function originRemoteId(user: { remote_id: string | null; props: Record<string, string> | null }): string {
  return user.props?.[SYNC_USER_PROPS.OriginalRemoteId] || user.remote_id || '';
}
