import type { User } from '@fedchat/models';
import { isSystemAdmin } from '../permissions';
import { withoutSyncUserProps } from '../remote-users/users';

/** Who is looking at a profile: the user themself and system admins see it whole. */
export interface ProfileViewer {
  id: string;
  roles: string;
}

/** Mattermost's PrivacySettings: what other users' profiles show to non-admins. */
export interface ProfilePrivacy {
  showEmailAddress: boolean;
  showFullName: boolean;
}

/**
 * Mattermost's User JSON as the user themself (or an admin) sees it: never the password hash, MFA secret, auth data
 * or the server-only props of remote users. Use `toUserJsonFor` whenever the viewer may be someone else.
 */
export function toUserJson(user: User): Record<string, unknown> {
  return {
    id: user.id,
    create_at: user.create_at,
    update_at: user.update_at,
    delete_at: user.delete_at,
    username: user.username,
    auth_service: user.auth_service,
    email: user.email,
    email_verified: user.email_verified,
    nickname: user.nickname,
    first_name: user.first_name,
    last_name: user.last_name,
    position: user.position,
    roles: user.roles,
    // A remote user's federation props (real username and email at the origin) stay here; admins: /remote_origin.
    props: withoutSyncUserProps(user.props),
    notify_props: user.notify_props,
    last_password_update: user.last_password_update,
    last_picture_update: user.last_picture_update,
    locale: user.locale,
    timezone: user.timezone,
    mfa_active: user.mfa_active,
    is_bot: user.is_bot,
    ...(user.remote_id ? { remote_id: user.remote_id } : {}),
  };
}

export function seesFullProfile(viewer: ProfileViewer, userId: string): boolean {
  return viewer.id === userId || isSystemAdmin(viewer.roles);
}

/**
 * Another user's profile as Mattermost's `SanitizeProfile` leaves it: no notification settings (they hold mention
 * keys), password date, email verification or auth service; email and full name only when the privacy settings show them.
 */
export function toSanitizedUserJson(user: User, privacy: ProfilePrivacy): Record<string, unknown> {
  return {
    ...toUserJson(user),
    auth_service: '',
    email: privacy.showEmailAddress ? user.email : '',
    email_verified: false,
    first_name: privacy.showFullName ? user.first_name : '',
    last_name: privacy.showFullName ? user.last_name : '',
    notify_props: {},
    last_password_update: 0,
  };
}

/** A user's JSON as `viewer` may see it: whole for the user themself and system admins, sanitized for anyone else. */
export function toUserJsonFor(user: User, viewer: ProfileViewer, privacy: ProfilePrivacy): Record<string, unknown> {
  return seesFullProfile(viewer, user.id) ? toUserJson(user) : toSanitizedUserJson(user, privacy);
}
