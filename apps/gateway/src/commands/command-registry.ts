import { Injectable } from '@nestjs/common';
import { AppError } from '@fedchat/common';
import type { Channel, User } from '@fedchat/models';
import type { ParsedCommand } from './command-args';

/** What a command handler gets: the caller, the channel it was typed in, and the parsed line. */
export interface CommandContext {
  user: User;
  channel: Channel;
  teamId: string;
  rootId: string;
  command: ParsedCommand;
}

/** Mattermost's CommandResponse (the fields clients use). */
export interface CommandResponse {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
  username?: string;
  icon_url?: string;
  goto_location?: string;
}

export interface SlashCommand {
  trigger: string;
  displayName: string;
  description: string;
  hint: string;
  execute(ctx: CommandContext): Promise<CommandResponse>;
}

/**
 * Built-in slash commands register here (e.g. `/secure-connection` and `/share-channel` from their own modules);
 * `POST /api/v4/commands/execute` dispatches through it.
 */
@Injectable()
export class CommandRegistry {
  private readonly commands = new Map<string, SlashCommand>();

  register(command: SlashCommand): void {
    const trigger = command.trigger.toLowerCase();
    if (this.commands.has(trigger)) throw new Error(`slash command /${trigger} is registered twice`);
    this.commands.set(trigger, command);
  }

  get(trigger: string): SlashCommand {
    const command = this.commands.get(trigger.toLowerCase());
    if (!command) {
      throw new AppError('api.command.execute_command.not_found.app_error', `Command with a trigger of '/${trigger}' not found.`, 404);
    }
    return command;
  }

  list(): SlashCommand[] {
    return [...this.commands.values()].sort((a, b) => a.trigger.localeCompare(b.trigger));
  }
}

export function ephemeral(text: string): CommandResponse {
  return { response_type: 'ephemeral', text };
}
