import { IsString } from 'class-validator';
import { defineEvent } from '../contract';

export class RolesChangedMessage {
  /** The role that changed (each receiver reloads the whole table, so this is for logs and tests). */
  @IsString() role_id: string;
}

/**
 * `chat.roles.changed`: a role's permissions were edited. Delivered to every process (`all`), each of which reloads
 * the roles table into its permission registry, so checks in every gateway replica follow the edit at once.
 */
export const RolesChanged = defineEvent('chat.roles.changed', RolesChangedMessage, 'all');
