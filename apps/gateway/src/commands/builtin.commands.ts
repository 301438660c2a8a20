import { Injectable, OnModuleInit } from '@nestjs/common';
import { UsersService } from '../users/users.service';
import { CommandRegistry, ephemeral } from './command-registry';

const STATUS_TEXT = {
  online: 'You are now online',
  away: 'You are now away',
  dnd: 'Do Not Disturb is enabled',
  offline: 'You are now offline',
} as const;

/** Mattermost's everyday built-ins: /echo and the status commands. */
@Injectable()
export class BuiltinCommands implements OnModuleInit {
  constructor(
    private readonly registry: CommandRegistry,
    private readonly users: UsersService,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      trigger: 'echo',
      displayName: 'echo',
      description: 'Echo back text from your account',
      hint: '"message"',
      execute: async ({ command }) => ephemeral(command.rest.trim().replace(/^"([\s\S]*)"$/, '$1') || 'Nothing to echo.'),
    });
    for (const status of Object.keys(STATUS_TEXT) as (keyof typeof STATUS_TEXT)[]) {
      this.registry.register({
        trigger: status,
        displayName: status,
        description: `Set your status ${status}`,
        hint: '',
        execute: async ({ user }) => {
          await this.users.setStatus(user, user.id, status);
          return ephemeral(STATUS_TEXT[status]);
        },
      });
    }
  }
}
