import { Body, Controller, Get, HttpCode, Post, UsePipes } from '@nestjs/common';
import { ChannelAccess, WebSocketEvents } from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { newId } from '@fedchat/crypto';
import type { User } from '@fedchat/models';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { CurrentUser } from '../auth/auth.guard';
import { apiValidationPipe } from '../http/validation';
import { parseCommand } from './command-args';
import { CommandRegistry, CommandResponse } from './command-registry';

export class ExecuteCommandBody {
  @ApiProperty() @IsString() channel_id: string;
  @ApiProperty({ example: '/echo hello' }) @IsString() @MaxLength(4096) command: string;
  @ApiPropertyOptional() @IsOptional() @IsString() team_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() root_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() parent_id?: string;
}

export class CommandResponseJson {
  @ApiProperty({ enum: ['ephemeral', 'in_channel'] }) response_type: string;
  @ApiProperty() text: string;
}

export class CommandJson {
  @ApiProperty() trigger: string;
  @ApiProperty() display_name: string;
  @ApiProperty() description: string;
  @ApiProperty() auto_complete_hint: string;
}

@ApiTags('commands')
@ApiBearerAuth()
@UsePipes(apiValidationPipe)
@Controller('api/v4/commands')
export class CommandsController {
  constructor(
    private readonly registry: CommandRegistry,
    private readonly access: ChannelAccess,
    private readonly events: WebSocketEvents,
  ) {}

  /**
   * Runs a slash command typed in a channel the caller belongs to. An ephemeral answer is returned and also
   * pushed to the caller's sockets as an `ephemeral_message`, as Mattermost does.
   */
  @Post('execute')
  @HttpCode(200)
  @ApiOkResponse({ type: CommandResponseJson })
  async execute(@CurrentUser() user: User, @Body() body: ExecuteCommandBody): Promise<CommandResponse> {
    const command = parseCommand(body.command);
    if (!command) throw AppError.badRequest('api.command.execute_command.start.app_error', 'No command trigger found.');
    const channel = await this.access.requireRead(user, body.channel_id);
    if (!(await this.access.isMember(user.id, channel.id))) throw AppError.forbidden('use_slash_commands');
    const response = await this.registry
      .get(command.trigger)
      .execute({ user, channel, teamId: body.team_id ?? channel.team_id, rootId: body.root_id ?? '', command });
    if (response.response_type === 'ephemeral' && response.text) {
      const now = Date.now();
      const post = {
        id: newId(),
        create_at: now,
        update_at: now,
        user_id: user.id,
        channel_id: channel.id,
        root_id: body.root_id ?? '',
        message: response.text,
        type: 'system_ephemeral',
        props: {},
      };
      this.events.toUser(user.id, 'ephemeral_message', { post: JSON.stringify(post) });
    }
    return response;
  }

  /** The commands available (Client4.getCommandsList). */
  @Get()
  @ApiOkResponse({ type: [CommandJson] })
  list(): CommandJson[] {
    return this.registry
      .list()
      .map((c) => ({ trigger: c.trigger, display_name: c.displayName, description: c.description, auto_complete_hint: c.hint }));
  }
}
