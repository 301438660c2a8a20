import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@fedchat/common';
import type { User } from '@fedchat/models';
import { DataSource } from 'typeorm';
import { ROLE_SYSTEM_ADMIN } from '../permissions';
import { WebSocketEvents, WsEvent } from '../websocket-events.service';
import { toSanitizedUserJson, toUserJson } from './user.mapper';

/**
 * `user_updated` as Mattermost sends it: the user and the system admins get the whole profile, everyone else the
 * sanitized one. Two events over the bus (one for the few full recipients, one to all but them), so the hub needs
 * no knowledge of roles or privacy.
 */
@Injectable()
export class UserUpdatedEvents {
  constructor(
    private readonly events: WebSocketEvents,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async publish(user: User): Promise<void> {
    const admins: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM users WHERE delete_at = 0 AND $1 = ANY (string_to_array(roles, ' '))`,
      [ROLE_SYSTEM_ADMIN],
    );
    const fullRecipients = [...new Set([user.id, ...admins.map((a) => a.id)])];
    this.events.toUsers(fullRecipients, WsEvent.UserUpdated, { user: toUserJson(user) });
    this.events.toAll(WsEvent.UserUpdated, { user: toSanitizedUserJson(user, this.config.privacy) }, fullRecipients);
  }
}
