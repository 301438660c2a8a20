import { IsString } from 'class-validator';
import { defineEvent } from '../contract';

export class AuthChangedMessage {
  /** The user whose sessions, tokens or user row changed. */
  @IsString() user_id: string;
}

/**
 * `chat.auth.changed`: a user's credentials or account changed (logout, sessions revoked, token revoked, deactivation,
 * roles, profile). Delivered to every process (`all`); each gateway drops the callers it has cached for that user, so
 * the change applies to that user's next request there too. Emitted after the change is committed.
 */
export const AuthChanged = defineEvent('chat.auth.changed', AuthChangedMessage, 'all');
