import { useCallback, useState } from 'react';
import { allTeams, call, client, errorText, formatTime, type Connection, type ReceivedInvitation, type Team } from '../api';
import { ErrorMessage, Loading, TeamSelect, usePolling } from '../components';

/** One received channel invitation: accept it into a team, or decline it. */
export function InvitationRow(props: {
  invitation: ReceivedInvitation;
  teams: Team[];
  defaultTeamId: string;
  from?: string;
  onDecided: () => Promise<unknown>;
}) {
  const i = props.invitation;
  const [teamId, setTeamId] = useState(props.defaultTeamId);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const decide = async (accept: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      if (accept) await call('POST', `/sharedchannels/invitations/${i.id}/accept`, { team_id: teamId });
      else await call('POST', `/sharedchannels/invitations/${i.id}/decline`);
      await props.onDecided();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <li className="invitation">
      <span className="row-main">
        {i.display_name || i.name}
        <span className="sub">
          {' '}
          {i.type === 'P' ? 'private' : 'public'}
          {i.read_only ? ', read-only' : ''}
          {props.from ? ` · from ${props.from}` : ''} · {formatTime(i.create_at)}
        </span>
      </span>
      <TeamSelect label={`Team for ${i.display_name || i.name}`} teams={props.teams} value={teamId} onChange={setTeamId} required />
      <div className="actions">
        <button type="button" className="primary" disabled={!teamId || busy} onClick={() => void decide(true)}>
          Accept
        </button>
        <button type="button" disabled={busy} onClick={() => void decide(false)}>
          Decline
        </button>
      </div>
      <ErrorMessage>{error}</ErrorMessage>
    </li>
  );
}

async function load() {
  const [invitations, teams, connections] = await Promise.all([
    call<ReceivedInvitation[]>('GET', '/sharedchannels/invitations?status=pending'),
    allTeams(),
    // Only holders of manage_secure_connections may list connections; others see the invitation without the name.
    (client.getRemoteClusters() as unknown as Promise<Connection[]>).catch(() => [] as Connection[]),
  ]);
  return { invitations: invitations.filter((i) => i.direction === 'received'), teams, connections };
}

export function Invitations() {
  const { data, error, refresh } = usePolling(useCallback(load, []));
  return (
    <section>
      <h1 tabIndex={-1}>Channel invitations</h1>
      <p>Channels other organizations want to share with us, held for review. Accept one into a team, or decline it.</p>
      <ErrorMessage>{error && `Could not load the invitations: ${error}`}</ErrorMessage>
      {!data && !error && <Loading what="invitations" />}
      {data && data.invitations.length === 0 && (
        <div className="empty">
          <h2>Nothing to review</h2>
          <p>Invitations from connections that review channel invites appear here.</p>
        </div>
      )}
      {data && data.invitations.length > 0 && (
        <ul className="rows" aria-label="Channel invitations waiting for review">
          {data.invitations.map((invitation) => {
            const from = data.connections.find((c) => c.remote_id === invitation.remote_id);
            return (
              <InvitationRow
                key={invitation.id}
                invitation={invitation}
                teams={data.teams}
                defaultTeamId={from?.default_team_id ?? ''}
                from={from ? from.display_name || from.name : undefined}
                onDecided={refresh}
              />
            );
          })}
        </ul>
      )}
    </section>
  );
}
