import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Permission, RoleCatalogue } from '@fedchat/chat';
import { APP_CONFIG, AppConfig, AppError, Bus, remoteClusterServiceEnabled } from '@fedchat/common';
import { GetChannelShareStatus, InviteRemote, SharedChannelRemoteStatusJson, UninviteRemote, UnshareChannel } from '@fedchat/contracts';
import { isValidId } from '@fedchat/crypto';
import { utcTime } from '../commands/command-format';
import { CommandContext, CommandRegistry, CommandResponse, ephemeral } from '../commands/command-registry';

export const SHARE_CHANNEL_ACTIONS = 'Available actions: invite, uninvite, unshare, status';

/**
 * `/share-channel invite|uninvite|unshare|status` on the channel it is typed in, with Mattermost's flags and
 * texts (protocol §7.2). The shared-channel-sync app does the work; its AppErrors are shown as their message.
 */
@Injectable()
export class ShareChannelCommand implements OnModuleInit {
  constructor(
    private readonly registry: CommandRegistry,
    private readonly bus: Bus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly catalogue: RoleCatalogue,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      trigger: 'share-channel',
      displayName: 'share-channel',
      description: 'Share this channel with secure connections',
      hint: '[invite|uninvite|unshare|status]',
      execute: (ctx) => this.execute(ctx),
    });
  }

  async execute(ctx: CommandContext): Promise<CommandResponse> {
    // System-wide, or for this channel's team through the team's override scheme.
    if (!(await this.catalogue.hasTeamPermission(ctx.user, ctx.channel.team_id, Permission.ManageSharedChannels))) {
      return ephemeral('You require `manage_shared_channels` permission to manage shared channels.');
    }
    if (!this.config.connectedWorkspaces.enableSharedChannels) return ephemeral('Shared Channels Service is disabled.');
    if (!remoteClusterServiceEnabled(this.config)) return ephemeral('Secure Connection Service is disabled.');
    const { action, flags } = ctx.command;
    try {
      switch (action) {
        case 'invite':
          return await this.invite(ctx, flags);
        case 'uninvite':
          return await this.uninvite(ctx, flags);
        case 'unshare':
          return await this.unshare(ctx);
        case 'status':
          return await this.status(ctx);
        case '':
          return ephemeral(SHARE_CHANNEL_ACTIONS);
        default:
          return ephemeral(`Unknown action \`${action}\``);
      }
    } catch (err) {
      if (err instanceof ArgumentError) return ephemeral(err.message);
      if (err instanceof AppError) return ephemeral(err.message);
      throw err;
    }
  }

  private async invite(ctx: CommandContext, flags: Record<string, string>): Promise<CommandResponse> {
    const remoteId = connectionId(flags);
    const readonly = yesNo(flags.readonly, 'readonly');
    const reply = await this.bus.request(InviteRemote, {
      actor_id: ctx.user.id,
      remote_id: remoteId,
      channel_id: ctx.channel.id,
      readonly,
    });
    if (reply.already_invited) return ephemeral('This channel is already shared with that secure connection.');
    const target = `${reply.remote_display_name} ${reply.remote_site_url}`;
    const sent = reply.connection_pending
      ? `##### Shared channel invitation will be sent to \`${reply.remote_display_name}\` when it accepts the secure connection.`
      : reply.delivered
        ? `##### Shared channel invitation has been sent to \`${target}\`.`
        : `##### Shared channel invitation will be sent to \`${target}\` when it is back online.`;
    return ephemeral(reply.newly_shared ? `##### This channel is now shared.\n${sent}` : sent);
  }

  private async uninvite(ctx: CommandContext, flags: Record<string, string>): Promise<CommandResponse> {
    const remoteId = connectionId(flags);
    const { changed } = await this.bus.request(UninviteRemote, { actor_id: ctx.user.id, remote_id: remoteId, channel_id: ctx.channel.id });
    return ephemeral(
      changed ? `##### Secure connection \`${remoteId}\` uninvited.` : `This channel is not shared with secure connection \`${remoteId}\`.`,
    );
  }

  private async unshare(ctx: CommandContext): Promise<CommandResponse> {
    const { changed } = await this.bus.request(UnshareChannel, { actor_id: ctx.user.id, channel_id: ctx.channel.id });
    return ephemeral(changed ? '##### This channel is no longer shared.' : 'Cannot unshare a channel that is not shared.');
  }

  private async status(ctx: CommandContext): Promise<CommandResponse> {
    const status = await this.bus.request(GetChannelShareStatus, { actor_id: ctx.user.id, channel_id: ctx.channel.id });
    if (!status.shared || status.remotes.length === 0) return ephemeral('No secure connections have been invited to this channel.');
    return ephemeral(formatStatus(ctx.channel.id, status.remotes));
  }
}

/**
 * The `/share-channel status` table, with the columns Mattermost's documentation lists (plus the last sync). An
 * invitation waiting for its connection to be accepted says so in "Invite accepted".
 */
export function formatStatus(channelId: string, remotes: SharedChannelRemoteStatusJson[]): string {
  const rows = remotes.map(
    (r) =>
      `| ${r.remote_id} | ${cell(r.site_url)} | ${cell(r.display_name)} | ${mark(r.readonly)} | ${inviteState(r)} | ${mark(
        r.is_online,
      )} | ${utcTime(r.last_ping_at, 'never')} | ${utcTime(r.last_sync_at, 'never')} |`,
  );
  return [
    `Status for channel ID \`${channelId}\``,
    '',
    '| Connection ID | Connection URL | Description | Read only | Invite accepted | Online | Last ping (UTC) | Last sync (UTC) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** A problem with the typed arguments, shown to the user as it is. */
class ArgumentError extends Error {}

function connectionId(flags: Record<string, string>): string {
  const value = flags.connectionid;
  if (!value || value === 'true') throw new ArgumentError('Missing or empty `connectionID`');
  if (!isValidId(value)) throw new ArgumentError(`Invalid \`connectionID\`: \`${value}\` is not a secure connection ID.`);
  return value;
}

/** Mattermost's Y/N flags; true/false and yes/no too. Absent is false; a bare `--readonly` is true. */
function yesNo(value: string | undefined, name: string): boolean {
  if (value === undefined) return false;
  const v = value.toLowerCase();
  if (v === 'y' || v === 'yes' || v === 'true') return true;
  if (v === 'n' || v === 'no' || v === 'false') return false;
  throw new ArgumentError(`Invalid value for \`${name}\`: use Y or N.`);
}

function inviteState(r: SharedChannelRemoteStatusJson): string {
  if (r.connection_expired) return ':x: connection invitation expired (never sent)';
  if (r.connection_pending) return ':hourglass: pending connection (sent when accepted)';
  return mark(r.is_invite_accepted);
}

function mark(value: boolean): string {
  return value ? ':white_check_mark:' : ':x:';
}

/** Keeps a remote-supplied text from breaking the markdown table. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}
