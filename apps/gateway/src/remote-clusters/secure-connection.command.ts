import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { hasPermission, Permission } from '@fedchat/chat';
import { APP_CONFIG, AppConfig, AppError, Bus } from '@fedchat/common';
import { AcceptInvite, CreateConnection, DeleteConnection, ListConnections, REMOTE_NAME_PATTERN } from '@fedchat/contracts';
import { CommandContext, CommandRegistry, CommandResponse, ephemeral } from '../commands/command-registry';

/** `/secure-connection create|accept|remove|status` with Mattermost's flags and texts (protocol §7.1). */
@Injectable()
export class SecureConnectionCommand implements OnModuleInit {
  constructor(
    private readonly registry: CommandRegistry,
    private readonly bus: Bus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      trigger: 'secure-connection',
      displayName: 'secure-connection',
      description: 'Manage secure connections to other workspaces',
      hint: '[create|accept|remove|status]',
      execute: (ctx) => this.execute(ctx),
    });
  }

  private async execute(ctx: CommandContext): Promise<CommandResponse> {
    if (!hasPermission(ctx.user.roles, Permission.ManageSecureConnections)) {
      return ephemeral('You require `manage_secure_connections` permission to manage secure connections.');
    }
    const { action, flags } = ctx.command;
    try {
      switch (action) {
        case 'create':
          return await this.create(ctx, flags);
        case 'accept':
          return await this.accept(ctx, flags);
        case 'remove':
          return await this.remove(flags);
        case 'status':
          return await this.status();
        default:
          return ephemeral(action ? `Unknown action \`${action}\`` : 'Available actions: create, accept, remove, status');
      }
    } catch (err) {
      if (err instanceof MissingArgument) return ephemeral(`Missing or empty \`${err.argument}\``);
      throw err;
    }
  }

  private async create(ctx: CommandContext, flags: Record<string, string>): Promise<CommandResponse> {
    const name = required(flags, 'name');
    const password = required(flags, 'password');
    if (!REMOTE_NAME_PATTERN.test(name) || name.length > 64)
      return ephemeral('Invalid `name`: use letters, digits, periods, hyphens and underscores.');
    try {
      const { invite } = await this.bus.request(CreateConnection, {
        name,
        display_name: flags.displayname || name,
        default_team_id: ctx.teamId,
        password,
        creator_id: ctx.user.id,
      });
      return ephemeral(
        '##### Invitation created.\nSend the following AES 256-bit encrypted invitation to the external Mattermost System Admin along with the password. ' +
          'They will use the `/secure-connection accept` slash command to accept the invitation.\n\n```\n' +
          invite +
          '\n```\n\n**Ensure the secure connection can access your Mattermost instance via** ' +
          this.config.siteUrl,
      );
    } catch (err) {
      return ephemeral(`Could not create the invitation: ${describe(err)}`);
    }
  }

  private async accept(ctx: CommandContext, flags: Record<string, string>): Promise<CommandResponse> {
    const name = required(flags, 'name');
    const password = required(flags, 'password');
    const invite = required(flags, 'invite');
    if (!REMOTE_NAME_PATTERN.test(name) || name.length > 64)
      return ephemeral('Invalid `name`: use letters, digits, periods, hyphens and underscores.');
    try {
      const rc = await this.bus.request(AcceptInvite, {
        name,
        display_name: flags.displayname || name,
        default_team_id: ctx.teamId,
        invite,
        password,
        creator_id: ctx.user.id,
      });
      return ephemeral(`##### Invitation accepted and confirmed.\nSiteURL: ${rc.site_url}`);
    } catch (err) {
      const decode = err instanceof AppError && /base64_decode|invite_decrypt/.test(err.errorId);
      return ephemeral(`${decode ? 'Could not decode invitation' : 'Could not accept invitation'}: ${describe(err)}`);
    }
  }

  private async remove(flags: Record<string, string>): Promise<CommandResponse> {
    const id = required(flags, 'connectionid');
    try {
      await this.bus.request(DeleteConnection, { remote_id: id });
      return ephemeral(`##### Secure connection ${id} removed.`);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return ephemeral(`##### Secure connection ${id} **NOT FOUND**`);
    }
  }

  private async status(): Promise<CommandResponse> {
    const { remote_clusters: remotes } = await this.bus.request(ListConnections, { include_deleted: true, per_page: 200 });
    if (remotes.length === 0) return ephemeral('** No secure connections found. **');
    const onlineSince = Date.now() - this.config.remoteCluster.offlineAfterMs;
    const rows = remotes.map((rc) => {
      const accepted = !rc.site_url.startsWith('pending_');
      const online = rc.last_ping_at > onlineSince;
      const lastPing = rc.last_ping_at ? new Date(rc.last_ping_at).toISOString() : '';
      return `| ${rc.name} | ${rc.display_name} | ${rc.remote_id} | ${accepted ? rc.site_url : ''} | ${rc.default_team_id} | ${mark(accepted)} | ${mark(online)} | ${lastPing} | ${mark(rc.delete_at > 0)} |`;
    });
    return ephemeral(
      [
        '| Secure connection | Display name | Connection ID | Site URL | Default Team | Invite accepted | Online | Last ping | Deleted |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        ...rows,
      ].join('\n'),
    );
  }
}

class MissingArgument extends Error {
  constructor(readonly argument: string) {
    super(argument);
  }
}

function required(flags: Record<string, string>, name: string): string {
  const value = flags[name];
  if (!value || value === 'true') throw new MissingArgument(name === 'connectionid' ? 'connectionID' : name);
  return value;
}

function mark(value: boolean): string {
  return value ? ':white_check_mark:' : ':x:';
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
