import { hasPermission, Permission, RoleCatalogue } from '@fedchat/chat';
import { AppConfig, AppError, Bus } from '@fedchat/common';
import { GetChannelShareStatus, InviteRemote, SharedChannelRemoteStatusJson, UninviteRemote, UnshareChannel } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';
import type { Channel, User } from '@fedchat/models';
import { parseCommand } from '../commands/command-args';
import { CommandRegistry } from '../commands/command-registry';
import { formatStatus, ShareChannelCommand } from './share-channel.command';

const ADMIN = { id: newId(), roles: 'system_user system_admin' } as User;
const PLAIN = { id: newId(), roles: 'system_user' } as User;
const CHANNEL = { id: newId(), team_id: newId() } as Channel;
const REMOTE = newId();

function config(shared = true, remoteCluster = true): AppConfig {
  return {
    connectedWorkspaces: { enableSharedChannels: shared, enableRemoteClusterService: remoteCluster },
    featureFlags: { enableRemoteClusterService: remoteCluster },
  } as unknown as AppConfig;
}

function setup(cfg = config()) {
  const request = jest.fn();
  const registry = new CommandRegistry();
  // No team override schemes here: the permission is the system one (team schemes: administration.int-spec.ts).
  const catalogue = {
    hasTeamPermission: (user: User, _teamId: string, permission: Permission) => Promise.resolve(hasPermission(user.roles, permission)),
  } as unknown as RoleCatalogue;
  const command = new ShareChannelCommand(registry, { request } as unknown as Bus, cfg, catalogue);
  command.onModuleInit();
  const run = async (line: string, user: User = ADMIN) =>
    (
      await registry.get('share-channel').execute({
        user,
        channel: CHANNEL,
        teamId: CHANNEL.team_id,
        rootId: '',
        command: parseCommand(line)!,
      })
    ).text;
  return { request, run };
}

function inviteReply(over: Partial<Record<string, unknown>> = {}) {
  return {
    newly_shared: false,
    already_invited: false,
    delivered: true,
    remote_display_name: 'Peer B',
    remote_site_url: 'https://b.example.com',
    connection_pending: false,
    ...over,
  };
}

describe('/share-channel', () => {
  it('requires manage_shared_channels and asks nothing of the bus without it', async () => {
    const { request, run } = setup();
    expect(await run(`/share-channel invite --connectionID ${REMOTE}`, PLAIN)).toBe(
      'You require `manage_shared_channels` permission to manage shared channels.',
    );
    expect(request).not.toHaveBeenCalled();
  });

  it('says which service is disabled', async () => {
    expect(await setup(config(false, true)).run('/share-channel status')).toBe('Shared Channels Service is disabled.');
    expect(await setup(config(true, false)).run('/share-channel status')).toBe('Secure Connection Service is disabled.');
  });

  it('lists the actions without one and names an unknown one', async () => {
    const { request, run } = setup();
    expect(await run('/share-channel')).toBe('Available actions: invite, uninvite, unshare, status');
    expect(await run('/share-channel frobnicate --connectionID x')).toBe('Unknown action `frobnicate`');
    expect(request).not.toHaveBeenCalled();
  });

  it('needs a non-empty, well-formed connectionID for invite and uninvite', async () => {
    const { request, run } = setup();
    expect(await run('/share-channel invite')).toBe('Missing or empty `connectionID`');
    expect(await run('/share-channel invite --connectionID')).toBe('Missing or empty `connectionID`');
    expect(await run('/share-channel uninvite --connectionID ""')).toBe('Missing or empty `connectionID`');
    expect(await run('/share-channel uninvite --connectionID not-an-id')).toBe(
      'Invalid `connectionID`: `not-an-id` is not a secure connection ID.',
    );
    expect(request).not.toHaveBeenCalled();
  });

  it('invites the connection to the channel it is typed in; readonly Y|N|true|false, default false', async () => {
    const { request, run } = setup();
    request.mockResolvedValue(inviteReply());
    for (const [flag, readonly] of [
      ['', false],
      ['--readonly Y', true],
      ['--readonly n', false],
      ['--readonly true', true],
      ['--readonly false', false],
      ['--readonly', true],
    ] as const) {
      request.mockClear();
      await run(`/share-channel invite --connectionID ${REMOTE} ${flag}`);
      expect(request).toHaveBeenCalledWith(InviteRemote, { actor_id: ADMIN.id, remote_id: REMOTE, channel_id: CHANNEL.id, readonly });
    }
    request.mockClear();
    expect(await run(`/share-channel invite --connectionID ${REMOTE} --readonly maybe`)).toBe('Invalid value for `readonly`: use Y or N.');
    expect(request).not.toHaveBeenCalled();
  });

  it('reports the invitation: newly shared, sent, to be sent when back online, already invited', async () => {
    const { request, run } = setup();
    const line = `/share-channel invite --connectionID ${REMOTE}`;
    request.mockResolvedValueOnce(inviteReply({ newly_shared: true }));
    expect(await run(line)).toBe(
      '##### This channel is now shared.\n##### Shared channel invitation has been sent to `Peer B https://b.example.com`.',
    );
    request.mockResolvedValueOnce(inviteReply());
    expect(await run(line)).toBe('##### Shared channel invitation has been sent to `Peer B https://b.example.com`.');
    request.mockResolvedValueOnce(inviteReply({ delivered: false }));
    expect(await run(line)).toBe('##### Shared channel invitation will be sent to `Peer B https://b.example.com` when it is back online.');
    request.mockResolvedValueOnce(inviteReply({ already_invited: true }));
    expect(await run(line)).toBe('This channel is already shared with that secure connection.');
  });

  it('says an invitation to a pending connection is sent when the connection is accepted', async () => {
    const { request, run } = setup();
    request.mockResolvedValueOnce(inviteReply({ newly_shared: true, delivered: false, connection_pending: true, remote_site_url: '' }));
    expect(await run(`/share-channel invite --connectionID ${REMOTE}`)).toBe(
      '##### This channel is now shared.\n##### Shared channel invitation will be sent to `Peer B` when it accepts the secure connection.',
    );
  });

  it('shows an AppError from the sync app as its message, and lets other failures through', async () => {
    const { request, run } = setup();
    request.mockRejectedValueOnce(
      new AppError(
        'api.command_share.channel_invite_not_home.error',
        'Cannot invite secure connection to a shared channel originating somewhere else.',
        400,
      ),
    );
    expect(await run(`/share-channel invite --connectionID ${REMOTE}`)).toBe(
      'Cannot invite secure connection to a shared channel originating somewhere else.',
    );
    request.mockRejectedValueOnce(new Error('bus down'));
    await expect(run('/share-channel unshare')).rejects.toThrow('bus down');
  });

  it('uninvites, or says the channel was not shared with that connection', async () => {
    const { request, run } = setup();
    request.mockResolvedValueOnce({ changed: true });
    expect(await run(`/share-channel uninvite --connectionID ${REMOTE}`)).toBe(`##### Secure connection \`${REMOTE}\` uninvited.`);
    expect(request).toHaveBeenCalledWith(UninviteRemote, { actor_id: ADMIN.id, remote_id: REMOTE, channel_id: CHANNEL.id });
    request.mockResolvedValueOnce({ changed: false });
    expect(await run(`/share-channel uninvite --connectionID ${REMOTE}`)).toBe(
      `This channel is not shared with secure connection \`${REMOTE}\`.`,
    );
  });

  it('unshares, or refuses for a channel that is not shared', async () => {
    const { request, run } = setup();
    request.mockResolvedValueOnce({ changed: true });
    expect(await run('/share-channel unshare')).toBe('##### This channel is no longer shared.');
    expect(request).toHaveBeenCalledWith(UnshareChannel, { actor_id: ADMIN.id, channel_id: CHANNEL.id });
    request.mockResolvedValueOnce({ changed: false });
    expect(await run('/share-channel unshare')).toBe('Cannot unshare a channel that is not shared.');
  });

  it('status: none invited, or the table', async () => {
    const { request, run } = setup();
    request.mockResolvedValueOnce({ shared: false, home: true, remotes: [] });
    expect(await run('/share-channel status')).toBe('No secure connections have been invited to this channel.');
    expect(request).toHaveBeenCalledWith(GetChannelShareStatus, { actor_id: ADMIN.id, channel_id: CHANNEL.id });
    request.mockResolvedValueOnce({ shared: true, home: true, remotes: [] });
    expect(await run('/share-channel status')).toBe('No secure connections have been invited to this channel.');
    const remote = statusRow({ display_name: 'Peer B', site_url: 'https://b.example.com', is_invite_accepted: true, is_online: true });
    request.mockResolvedValueOnce({ shared: true, home: true, remotes: [remote] });
    expect(await run('/share-channel status')).toBe(formatStatus(CHANNEL.id, [remote]));
  });
});

describe('formatStatus', () => {
  it('prints the header, one row per connection, and escapes table breakers', () => {
    const at = Date.UTC(2025, 0, 2, 3, 4, 5);
    const text = formatStatus('chan1', [
      statusRow({
        remote_id: REMOTE,
        display_name: 'Peer B',
        site_url: 'https://b.example.com',
        readonly: true,
        is_invite_accepted: true,
        is_online: true,
        last_ping_at: at - 1000,
        last_sync_at: at,
      }),
      statusRow({ remote_id: 'c'.repeat(26), display_name: 'Bad | name\nhere', site_url: 'https://c.example.com' }),
    ]);
    expect(text).toBe(
      [
        'Status for channel ID `chan1`',
        '',
        '| Connection ID | Connection URL | Description | Read only | Invite accepted | Online | Last ping (UTC) | Last sync (UTC) |',
        '|---|---|---|---|---|---|---|---|',
        `| ${REMOTE} | https://b.example.com | Peer B | :white_check_mark: | :white_check_mark: | :white_check_mark: | 2025-01-02 03:04:04 | 2025-01-02 03:04:05 |`,
        `| ${'c'.repeat(26)} | https://c.example.com | Bad \\| name here | :x: | :x: | :x: | never | never |`,
      ].join('\n'),
    );
  });

  it('marks invitations waiting for their connection, and those whose connection can no longer be accepted', () => {
    const text = formatStatus('chan1', [
      statusRow({ remote_id: REMOTE, display_name: 'Peer B', is_invite_accepted: true, connection_pending: true }),
      statusRow({
        remote_id: 'c'.repeat(26),
        display_name: 'Peer C',
        is_invite_accepted: true,
        connection_pending: true,
        connection_expired: true,
      }),
    ]);
    expect(text.split('\n').slice(4)).toEqual([
      `| ${REMOTE} |  | Peer B | :x: | :hourglass: pending connection (sent when accepted) | :x: | never | never |`,
      `| ${'c'.repeat(26)} |  | Peer C | :x: | :x: connection invitation expired (never sent) | :x: | never | never |`,
    ]);
  });
});

function statusRow(over: Partial<SharedChannelRemoteStatusJson>): SharedChannelRemoteStatusJson {
  return {
    channel_id: CHANNEL.id,
    remote_id: newId(),
    display_name: '',
    site_url: '',
    last_ping_at: 0,
    last_sync_at: 0,
    readonly: false,
    is_invite_accepted: false,
    is_invite_confirmed: false,
    is_online: false,
    connection_pending: false,
    connection_expired: false,
    ...over,
  };
}
