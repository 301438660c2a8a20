import { useCallback, useEffect, useState, type FormEvent } from 'react';
import {
  allTeams,
  call,
  client,
  connectionState,
  errorText,
  formatTime,
  type Channel,
  type ChannelShare,
  type Connection,
  type ReceivedInvitation,
  type RefusedItem,
  type Team,
  type UserSyncProgress,
} from '../api';
import {
  ConfirmDialog,
  CopyField,
  ErrorMessage,
  InviteModeField,
  Loading,
  StateBadge,
  TeamSelect,
  TextField,
  usePolling,
} from '../components';
import { ChannelPicker } from '../ChannelPicker';
import { useNavigate } from '../router';
import { Link } from '../App';
import { InvitationRow } from './Invitations';

type Tab = 'details' | 'channels';

const PASSWORD_CLASSES = ['abcdefghijkmnopqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '!#$%*+-=?@^_~'];
const PASSWORD_ALPHABET = PASSWORD_CLASSES.join('');

/**
 * A password for a regenerated invitation, as strong as the server requires (lower and upper case, digit, symbol):
 * 24 characters from the browser's CSPRNG, without modulo bias.
 */
export function newPassword(): string {
  const limit = 256 - (256 % PASSWORD_ALPHABET.length);
  for (;;) {
    let password = '';
    while (password.length < 24) {
      for (const b of crypto.getRandomValues(new Uint8Array(32))) {
        if (b < limit && password.length < 24) password += PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length];
      }
    }
    if (PASSWORD_CLASSES.every((chars) => [...password].some((c) => chars.includes(c)))) return password;
  }
}

export function EditConnection({ remoteId, canShare }: { remoteId: string; canShare: boolean }) {
  const navigate = useNavigate();
  const [tab, setTab] = useState<Tab>('details');
  const [teams, setTeams] = useState<Team[]>();
  const {
    data: connection,
    error: loadError,
    refresh,
  } = usePolling(useCallback(() => client.getRemoteCluster(remoteId) as unknown as Promise<Connection>, [remoteId]));

  useEffect(() => {
    allTeams().then(setTeams, () => setTeams([]));
  }, []);

  if (!connection) {
    return (
      <section>
        <p className="crumbs">
          <Link to="/">Connected Workspaces</Link>
        </p>
        <h1 tabIndex={-1}>Connection</h1>
        {loadError ? <ErrorMessage>Could not load the connection: {loadError}</ErrorMessage> : <Loading what="the connection" />}
      </section>
    );
  }
  const state = connectionState(connection);
  const tabButton = (id: Tab, label: string) => (
    <button
      type="button"
      role="tab"
      id={`tab-${id}`}
      aria-selected={tab === id}
      aria-controls={`panel-${id}`}
      tabIndex={tab === id ? 0 : -1}
      onClick={() => setTab(id)}
      onKeyDown={(e) => {
        if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
          const next = tab === 'details' ? 'channels' : 'details';
          setTab(next);
          document.getElementById(`tab-${next}`)?.focus();
        }
      }}
    >
      {label}
    </button>
  );

  return (
    <section>
      <p className="crumbs">
        <Link to="/">Connected Workspaces</Link> › {connection.display_name || connection.name}
      </p>
      <div className="page-head">
        <h1 tabIndex={-1}>{connection.display_name || connection.name}</h1>
        <StateBadge state={state} />
      </div>
      <dl className="facts">
        <dt>Site URL</dt>
        <dd>{state === 'Connection Pending' ? 'Not connected yet' : connection.site_url}</dd>
        <dt>Last ping</dt>
        <dd>{formatTime(connection.last_ping_at)}</dd>
        <dt>Created</dt>
        <dd>{formatTime(connection.create_at)}</dd>
      </dl>
      <ErrorMessage>{loadError && `Could not refresh: ${loadError}`}</ErrorMessage>
      <div role="tablist" aria-label="Connection settings" className="tabs">
        {tabButton('details', 'Details')}
        {tabButton('channels', 'Shared channels')}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'details' ? (
          <Details connection={connection} teams={teams ?? []} onSaved={refresh} onDeleted={() => navigate('/')} />
        ) : (
          <SharedChannels connection={connection} teams={teams ?? []} canShare={canShare} />
        )}
      </div>
    </section>
  );
}

function Details(props: { connection: Connection; teams: Team[]; onSaved: () => Promise<void>; onDeleted: () => void }) {
  const c = props.connection;
  const [displayName, setDisplayName] = useState(c.display_name);
  const [teamId, setTeamId] = useState(c.default_team_id);
  const [autoAccept, setAutoAccept] = useState(c.auto_accept_channel_invites ?? true);
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [regenerated, setRegenerated] = useState<{ invite: string; password: string }>();
  const pending = connectionState(c) === 'Connection Pending';

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      await client.patchRemoteCluster(c.remote_id, {
        display_name: displayName,
        default_team_id: teamId,
        auto_accept_channel_invites: autoAccept,
      } as never);
      await props.onSaved();
      setMessage('Saved.');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const regenerate = async () => {
    setError(undefined);
    try {
      const password = newPassword();
      const invite = await client.generateInviteRemoteCluster(c.remote_id, { password });
      setRegenerated({ invite, password });
    } catch (err) {
      setError(errorText(err));
    }
  };

  const remove = async () => {
    setBusy(true);
    try {
      await client.deleteRemoteCluster(c.remote_id);
      props.onDeleted();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
      setConfirmDelete(false);
    }
  };

  return (
    <div className="narrow">
      <form onSubmit={(e) => void save(e)}>
        <TextField label="Organization name" value={c.name} onChange={() => undefined} hint="Set when the connection was made." />
        <TextField label="Display name" value={displayName} onChange={setDisplayName} />
        <InviteModeField autoAccept={autoAccept} onChange={setAutoAccept} />
        <TeamSelect label="Destination team" teams={props.teams} value={teamId} onChange={setTeamId} required={autoAccept} />
        <div role="status" className="saved">
          {message}
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || (autoAccept && !teamId)}>
            Save
          </button>
        </div>
      </form>

      <h2>Invitation</h2>
      {pending ? (
        <p>The other organization has not accepted the invitation yet. A new code and password replace the old ones.</p>
      ) : (
        <p>The connection is established; its invitation can no longer be regenerated.</p>
      )}
      <button type="button" onClick={() => void regenerate()} disabled={!pending}>
        Regenerate invitation
      </button>
      {regenerated && (
        <div className="panel">
          <div className="warning" role="note">
            <strong>Send the code and the password separately.</strong> They are shown only this once.
          </div>
          <CopyField label="Invitation code" value={regenerated.invite} />
          <CopyField label="Password" value={regenerated.password} />
        </div>
      )}

      <UserSync connection={c} />

      <h2>Delete</h2>
      <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
        Delete connection
      </button>
      <ConfirmDialog
        open={confirmDelete}
        title={`Delete the connection with ${c.display_name || c.name}?`}
        confirmLabel="Delete"
        busy={busy}
        onCancel={() => setConfirmDelete(false)}
        onConfirm={() => void remove()}
      >
        <p>
          Channels stop syncing with this organization at once. Shared channels and their messages stay in both workspaces, but new messages
          no longer cross. To connect again, a new invitation is needed.
        </p>
      </ConfirmDialog>
    </div>
  );
}

/**
 * A manual full user sync: every local user is sent to the connection again (for example after it lost its copies).
 * Progress comes from the server, polled each second while the pass runs.
 */
function UserSync({ connection }: { connection: Connection }) {
  const [progress, setProgress] = useState<UserSyncProgress>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const pending = connectionState(connection) === 'Connection Pending';
  const path = `/remotecluster/${connection.remote_id}/sync_users`;
  const running = progress?.in_progress ?? false;

  useEffect(() => {
    if (!running) return undefined;
    const timer = window.setInterval(() => {
      call<UserSyncProgress>('GET', path).then(setProgress, (err) => setError(errorText(err)));
    }, 1000);
    return () => window.clearInterval(timer);
  }, [running, path]);

  const start = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setProgress(await call<UserSyncProgress>('POST', path));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h2>Users</h2>
      <p>Users from here reach {connection.display_name || connection.name} as they change. Sync users now sends every user again.</p>
      <button type="button" onClick={() => void start()} disabled={pending || busy || running}>
        Sync users now
      </button>
      {pending && <p className="hint">Possible once the connection is accepted.</p>}
      <div role="status" className="saved">
        {progress &&
          (progress.in_progress
            ? `Sending users: ${progress.users_sent} of ${progress.users_total}`
            : `Done: ${progress.users_total} ${progress.users_total === 1 ? 'user' : 'users'} sent.`)}
      </div>
      {progress?.in_progress && (
        <progress max={progress.users_total} value={progress.users_sent} aria-label="Users sent">
          {progress.users_sent} of {progress.users_total}
        </progress>
      )}
      <ErrorMessage>{error}</ErrorMessage>
    </>
  );
}

function shareState(share: ChannelShare): string {
  if (share.connection_pending) return 'Sent when accepted';
  return share.is_invite_confirmed ? 'Shared' : 'Waiting for them to accept';
}

interface ShareRow {
  share: ChannelShare;
  channel?: Channel;
  /** Posts this connection refused in the channel (only for channels we share, and only with manage_shared_channels). */
  refused?: RefusedItem[];
}

async function refusedIn(channelId: string, remoteId: string): Promise<RefusedItem[]> {
  const items = await call<RefusedItem[]>('GET', `/sharedchannels/${channelId}/errors?per_page=200`);
  return items.filter((item) => item.remote_id === remoteId);
}

async function withChannels(shares: ChannelShare[]): Promise<ShareRow[]> {
  return Promise.all(
    shares.map(async (share) => {
      try {
        return { share, channel: (await client.getChannel(share.channel_id)) as unknown as Channel };
      } catch {
        return { share };
      }
    }),
  );
}

async function loadShares(remoteId: string, canShare: boolean) {
  const list = (filters: Record<string, boolean>) =>
    client.getSharedChannelRemotes(remoteId, { include_unconfirmed: true, per_page: 200, ...filters } as never) as unknown as Promise<
      ChannelShare[]
    >;
  const [ours, theirs, invitations] = await Promise.all([
    list({ exclude_remote: true })
      .then(withChannels)
      .then((rows) =>
        canShare ? Promise.all(rows.map(async (row) => ({ ...row, refused: await refusedIn(row.share.channel_id, remoteId) }))) : rows,
      ),
    list({ exclude_home: true }).then(withChannels),
    canShare ? call<ReceivedInvitation[]>('GET', '/sharedchannels/invitations?status=pending') : Promise.resolve([]),
  ]);
  return { ours, theirs, invitations: invitations.filter((i) => i.remote_id === remoteId && i.direction === 'received') };
}

function SharedChannels({ connection, teams, canShare }: { connection: Connection; teams: Team[]; canShare: boolean }) {
  const remoteId = connection.remote_id;
  const { data, error, refresh } = usePolling(useCallback(() => loadShares(remoteId, canShare), [remoteId, canShare]));
  const [picked, setPicked] = useState(new Set<string>());
  const [actionError, setActionError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const act = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await work();
      await refresh();
    } catch (err) {
      setActionError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const share = () =>
    act(async () => {
      for (const channelId of picked) await client.sharedChannelRemoteInvite(remoteId, channelId);
      setPicked(new Set());
    });

  if (!data) return error ? <ErrorMessage>Could not load the shared channels: {error}</ErrorMessage> : <Loading what="shared channels" />;
  const alreadyShared = new Set(data.ours.map((r) => r.share.channel_id));
  const name = connection.display_name || connection.name;

  return (
    <div>
      <ErrorMessage>{actionError}</ErrorMessage>
      <h2>Channels shared with {name}</h2>
      {data.ours.length === 0 ? (
        <p className="empty-inline">No channels are shared with {name} yet.</p>
      ) : (
        <ul className="rows" aria-label={`Channels shared with ${name}`}>
          {data.ours.map(({ share, channel, refused }) => (
            <li key={share.id}>
              <span className="row-main">{channel?.display_name ?? share.channel_id}</span>
              <span className="sub">{shareState(share)}</span>
              <button
                type="button"
                disabled={!canShare || busy}
                onClick={() => void act(() => client.sharedChannelRemoteUninvite(remoteId, share.channel_id))}
                aria-label={`Remove ${channel?.display_name ?? share.channel_id}`}
              >
                Remove
              </button>
              {refused && refused.length > 0 && (
                <RefusedItems
                  channelName={channel?.display_name ?? share.channel_id}
                  items={refused}
                  busy={busy}
                  onRetry={(item) => void act(() => call('POST', `/sharedchannels/${item.channel_id}/errors/${item.id}/retry`))}
                  onDiscard={(item) => void act(() => call('DELETE', `/sharedchannels/${item.channel_id}/errors/${item.id}`))}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {canShare ? (
        <div className="panel">
          <ChannelPicker
            teams={teams}
            exclude={alreadyShared}
            selected={picked}
            onChange={setPicked}
            label={`Add channels to share with ${name}`}
          />
          <button type="button" className="primary" disabled={picked.size === 0 || busy} onClick={() => void share()}>
            Share {picked.size > 0 ? `${picked.size} channel${picked.size > 1 ? 's' : ''}` : 'channels'}
          </button>
        </div>
      ) : (
        <p className="hint">Sharing channels needs the Manage Shared Channels permission.</p>
      )}

      <h2>Channels {name} shares with us</h2>
      {data.invitations.length > 0 && (
        <>
          <h3>Waiting for review</h3>
          <ul className="rows" aria-label="Channel invitations waiting for review">
            {data.invitations.map((invitation) => (
              <InvitationRow
                key={invitation.id}
                invitation={invitation}
                teams={teams}
                onDecided={refresh}
                defaultTeamId={connection.default_team_id}
              />
            ))}
          </ul>
        </>
      )}
      {data.theirs.length === 0 && data.invitations.length === 0 ? (
        <p className="empty-inline">{name} shares no channels with us.</p>
      ) : (
        data.theirs.length > 0 && (
          <ul className="rows" aria-label={`Channels ${name} shares with us`}>
            {data.theirs.map(({ share, channel }) => (
              <li key={share.id}>
                <span className="row-main">{channel?.display_name ?? share.channel_id}</span>
                <span className="sub">{teams.find((t) => t.id === channel?.team_id)?.display_name ?? ''}</span>
              </li>
            ))}
          </ul>
        )
      )}
    </div>
  );
}

/** The posts a connection refused in one channel: why, how often, when; Retry sends one again now, Discard gives up on it. */
function RefusedItems(props: {
  channelName: string;
  items: RefusedItem[];
  busy: boolean;
  onRetry: (item: RefusedItem) => void;
  onDiscard: (item: RefusedItem) => void;
}) {
  const count = props.items.length;
  return (
    <div className="refused">
      <h3>
        {count === 1 ? '1 refused post' : `${count} refused posts`} in {props.channelName}
      </h3>
      <table>
        <caption className="visually-hidden">Posts refused in {props.channelName}</caption>
        <thead>
          <tr>
            <th scope="col">Reason</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last refused</th>
            <th scope="col">State</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((item) => (
            <tr key={item.id}>
              <td>{item.reason}</td>
              <td>{item.attempts}</td>
              <td>{formatTime(item.update_at)}</td>
              <td>{item.state === 'retrying' ? `Retrying at ${formatTime(item.next_retry_at)}` : 'Waiting for an administrator'}</td>
              <td className="row-actions">
                <button type="button" disabled={props.busy} onClick={() => props.onRetry(item)} aria-label={`Retry post ${item.post_id}`}>
                  Retry
                </button>
                <button
                  type="button"
                  disabled={props.busy}
                  onClick={() => props.onDiscard(item)}
                  aria-label={`Discard post ${item.post_id}`}
                >
                  Discard
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
