import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idPrimary, idRef, int, jsonObject, str, text } from './columns';

/** Mattermost `model.User`. Synthetic (remote) users keep the origin's id and carry `remote_id` = the owning remote cluster. */
@Entity('users')
@Index('uq_users_username', ['username'], { unique: true })
@Index('uq_users_email', ['email'], { unique: true })
@Index('idx_users_remote_id', ['remote_id'])
@Index('idx_users_update_at', ['update_at'])
export class User {
  @PrimaryColumn(idPrimary('pk_users'))
  id: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  update_at: number;

  @Column(bigintMs)
  delete_at: number;

  /** Always lower-case (the application normalises before saving). Remote users: munged `name:remote`. */
  @Column({ type: 'varchar', length: 64 })
  username: string;

  /** Password hash ('' for users that cannot log in with a password). */
  @Column(text)
  password: string;

  /** Mattermost uses NULL here when there is no external auth. */
  @Column({ type: 'varchar', length: 128, nullable: true })
  auth_data: string | null;

  @Column(str(32))
  auth_service: string;

  /** Lower-case. Remote users get a random id here (see protocol §6). */
  @Column({ type: 'varchar', length: 128 })
  email: string;

  @Column(bool())
  email_verified: boolean;

  @Column(str(64))
  nickname: string;

  @Column(str(64))
  first_name: string;

  @Column(str(64))
  last_name: string;

  @Column(str(128))
  position: string;

  /** Space-separated role names, e.g. "system_user" or "system_admin system_user". */
  @Column(str(256))
  roles: string;

  @Column(bool())
  allow_marketing: boolean;

  @Column(jsonObject)
  props: Record<string, string>;

  @Column(jsonObject)
  notify_props: Record<string, string>;

  @Column(bigintMs)
  last_password_update: number;

  @Column(bigintMs)
  last_picture_update: number;

  /** Failed password checks since the last success (a check in progress counts as failed until it succeeds). */
  @Column(int)
  failed_attempts: number;

  /** When failed_attempts last grew (ms); a lockout ends LOGIN_LOCKOUT_DURATION_MS after it. */
  @Column(bigintMs)
  last_failed_attempt_at: number;

  @Column(str(32))
  locale: string;

  @Column(jsonObject)
  timezone: Record<string, string>;

  @Column(bool())
  mfa_active: boolean;

  @Column(str(128))
  mfa_secret: string;

  /** '' for local users; otherwise the remote cluster that owns this user. */
  @Column(idRef)
  remote_id: string;

  @Column(bool())
  is_bot: boolean;
}
