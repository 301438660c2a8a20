import type { User } from '@fedchat/models';

/** Mattermost's User JSON as clients see it: never the password hash, MFA secret or auth data. */
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
    props: user.props,
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
