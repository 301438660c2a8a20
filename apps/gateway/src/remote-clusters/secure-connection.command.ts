import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { hasPermission, Permission } from '@fedchat/chat';
import { APP_CONFIG, AppConfig, AppError, Bus, remoteClusterServiceEnabled } from '@fedchat/common';
import {
  AcceptInvite,
  CreateConnection,
  DeleteConnection,
  ListConnections,
  REMOTE_NAME_PATTERN,
  RestartGlobalUserSync,
} from '@fedchat/contracts';
import { Team } from '@fedchat/models';
import { Repository } from 'typeorm';
import { utcTime } from '../commands/command-format';
import { CommandContext, CommandRegistry, CommandResponse, ephemeral } from '../commands/command-registry';
import { SharesOnCreate } from './shares-on-create.service';

/** `/secure-connection create|accept|remove|status` with Mattermost's flags and texts (protocol §7.1), plus our `sync-users`. */
@Injectable()
export class SecureConnectionCommand implements OnModuleInit {
  constructor(
    private readonly registry: CommandRegistry,
    private readonly bus: Bus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRepository(Team) private readonly teams: Repository<Team>,
    private readonly sharesOnCreate: SharesOnCreate,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      trigger: 'secure-connection',
      displayName: 'secure-connection',
      description: 'Manage secure connections to other workspaces',
      hint: '[create|accept|remove|status|sync-users]',
      execute: (ctx) => this.execute(ctx),
    });
  }

  private async execute(ctx: CommandContext): Promise<CommandResponse> {
    if (!hasPermission(ctx.user.roles, Permission.ManageSecureConnections)) {
      return ephemeral('You require `manage_secure_connections` permission to manage secure connections.');
    }
    // As REST and the peer endpoints (501), nothing may be created or changed while the service is off.
    if (!remoteClusterServiceEnabled(this.config)) return ephemeral('Secure Connection Service is disabled.');
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
        case 'sync-users':
          return await this.syncUsers(flags);
        default:
          return ephemeral(action ? `Unknown action \`${action}\`` : 'Available actions: create, accept, remove, status, sync-users');
      }
    } catch (err) {
      if (err instanceof MissingArgument) return ephemeral(`Missing or empty \`${err.argument}\``);
      if (err instanceof ArgumentError) return ephemeral(err.message);
      throw err;
    }
  }

  private async create(ctx: CommandContext, flags: Record<string, string>): Promise<CommandResponse> {
    const name = required(flags, 'name');
    // Without --password the server generates a strong one, shown once here and stored nowhere.
    const password = flags.password === undefined ? '' : required(flags, 'password');
    if (!REMOTE_NAME_PATTERN.test(name) || name.length > 64)
      return ephemeral('Invalid `name`: use letters, digits, periods, hyphens and underscores.');
    const arrival = await this.arrival(ctx, flags);
    // `--share town-square,~off-topic,<channel id>`: names in the team the command is typed in, checked before creating.
    const shareRefs = flags.share === undefined ? [] : required(flags, 'share').split(',');
    try {
      const toShare = shareRefs.length === 0 ? [] : await this.sharesOnCreate.resolve(ctx.user, shareRefs, 'share', ctx.teamId);
      const created = await this.bus.request(CreateConnection, {
        name,
        display_name: flags.displayname || name,
        password,
        creator_id: ctx.user.id,
        ...arrival,
      });
      await this.sharesOnCreate.share(ctx.user, created, toShare);
      const { invite, password: generated } = created;
      const shared =
        toShare.length === 0
          ? ''
          : `**Channels shared** (the invitations are sent when the connection is accepted): ${toShare.map((c) => `~${c.name}`).join(', ')}\n\n`;
      return ephemeral(
        '##### Invitation created.\nSend the following AES 256-bit encrypted invitation to the external Mattermost System Admin along with the password. ' +
          'They will use the `/secure-connection accept` slash command to accept the invitation.\n\n```\n' +
          invite +
          '\n```\n\n' +
          (generated ? `**Password** (generated; shown only this once): \`${generated}\`\n\n` : '') +
          shared +
          '**Ensure the secure connection can access your Mattermost instance via** ' +
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
    const arrival = await this.arrival(ctx, flags);
    try {
      const rc = await this.bus.request(AcceptInvite, {
        name,
        display_name: flags.displayname || name,
        invite,
        password,
        creator_id: ctx.user.id,
        ...arrival,
      });
      return ephemeral(`##### Invitation accepted and confirmed.\nSiteURL: ${rc.site_url}`);
    } catch (err) {
      const decode = err instanceof AppError && /base64_decode|invite_decrypt/.test(err.errorId);
      return ephemeral(`${decode ? 'Could not decode invitation' : 'Could not accept invitation'}: ${describe(err)}`);
    }
  }

  /**
   * How channels from the new connection arrive: `--autoaccept Y|N` (default Y) and `--team <name>` (default: the
   * team the command is typed in) as their destination.
   */
  private async arrival(
    ctx: CommandContext,
    flags: Record<string, string>,
  ): Promise<{ default_team_id: string; auto_accept_channel_invites: boolean }> {
    const autoAccept = yesNo(flags.autoaccept, 'autoaccept', true);
    let teamId = ctx.teamId;
    if (flags.team !== undefined) {
      const wanted = flags.team.toLowerCase();
      const team = wanted === 'true' ? null : await this.teams.findOneBy({ name: wanted, delete_at: 0 });
      if (!team) throw new ArgumentError(`Unknown \`team\`: \`${flags.team}\`. Give the team's name (as in its URL).`);
      teamId = team.id;
    }
    return { default_team_id: teamId, auto_accept_channel_invites: autoAccept };
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

  /** Our extension: sends every local user to the connection again; progress is in GET .../sync_users. */
  private async syncUsers(flags: Record<string, string>): Promise<CommandResponse> {
    const id = required(flags, 'connectionid');
    try {
      const progress = await this.bus.request(RestartGlobalUserSync, { remote_id: id });
      return ephemeral(
        `##### Full user sync with secure connection ${id} started: ${progress.users_total} local users to send. ` +
          `Progress: \`GET /api/v4/remotecluster/${id}/sync_users\`.`,
      );
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return ephemeral(`Could not start the user sync with secure connection ${id}: ${err.message}`);
    }
  }

  private async status(): Promise<CommandResponse> {
    const { remote_clusters: remotes } = await this.bus.request(ListConnections, { include_deleted: true, per_page: 200 });
    if (remotes.length === 0) return ephemeral('** No secure connections found. **');
    const onlineSince = Date.now() - this.config.remoteCluster.offlineAfterMs;
    const rows = remotes.map((rc) => {
      const accepted = !rc.site_url.startsWith('pending_');
      const online = rc.last_ping_at > onlineSince;
      return `| ${rc.remote_id} | ${accepted ? cell(rc.site_url) : ''} | ${cell(rc.display_name)} | ${rc.name} | ${rc.default_team_id} | ${mark(
        rc.auto_accept_channel_invites,
      )} | ${mark(accepted)} | ${mark(online)} | ${utcTime(rc.last_ping_at, 'never')} | ${mark(rc.delete_at > 0)} |`;
    });
    // The columns of Mattermost's documentation first, then the name and how channels arrive.
    return ephemeral(
      [
        '| Connection ID | Connection URL | Description | Name | Default team | Auto-accept channels | Invite accepted | Online | Last ping (UTC) | Deleted |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        ...rows,
      ].join('\n'),
    );
  }
}

/** A problem with the typed arguments, shown to the user as it is. */
class ArgumentError extends Error {}

/** Mattermost's Y/N flags; true/false and yes/no too; a bare flag is true. */
function yesNo(value: string | undefined, name: string, absent: boolean): boolean {
  if (value === undefined) return absent;
  const v = value.toLowerCase();
  if (v === 'y' || v === 'yes' || v === 'true') return true;
  if (v === 'n' || v === 'no' || v === 'false') return false;
  throw new ArgumentError(`Invalid value for \`${name}\`: use Y or N.`);
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

/** Keeps a peer- or admin-supplied text from breaking the markdown table. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
