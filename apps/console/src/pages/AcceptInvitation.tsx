import { useEffect, useState, type FormEvent } from 'react';
import { allTeams, client, errorText, statusOf, type Connection, type Team } from '../api';
import { ErrorMessage, InviteModeField, Loading, TeamSelect, TextField } from '../components';
import { useNavigate } from '../router';
import { Link } from '../App';
import { NAME_HINT } from './CreateConnection';

/** The server's message says what went wrong; the console adds what to do about the common cases. */
function explain(err: unknown): string {
  const message = errorText(err);
  const lower = message.toLowerCase();
  if (lower.includes('password') || lower.includes('decrypt')) return `${message} Check the password the other organization sent you.`;
  if (lower.includes('expired')) return `${message} Ask the other organization for a new invitation.`;
  if (lower.includes('private') || lower.includes('refused') || lower.includes('not allowed'))
    return `${message} This server refuses that address; see REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES.`;
  if (lower.includes('unreachable') || lower.includes('connect') || statusOf(err) === 502 || statusOf(err) === 504)
    return `${message} The other site did not answer; check its address and that it is running.`;
  return message;
}

export function AcceptInvitation() {
  const navigate = useNavigate();
  const [teams, setTeams] = useState<Team[]>();
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [teamId, setTeamId] = useState('');
  const [autoAccept, setAutoAccept] = useState(true);
  const [invite, setInvite] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    allTeams().then(setTeams, (err) => setError(errorText(err)));
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const connection = (await client.acceptInviteRemoteCluster({
        name,
        display_name: displayName,
        default_team_id: teamId,
        invite: invite.trim(),
        password,
        auto_accept_channel_invites: autoAccept,
      } as never)) as unknown as Connection;
      navigate(`/connections/${connection.remote_id}`);
    } catch (err) {
      setError(explain(err));
      setBusy(false);
    }
  };

  return (
    <section className="narrow">
      <p className="crumbs">
        <Link to="/">Connected Workspaces</Link> › Add a connection
      </p>
      <h1 tabIndex={-1}>Accept an invitation</h1>
      <p>Enter the invitation code and password another organization sent you.</p>
      {!teams && !error && <Loading what="teams" />}
      <form onSubmit={(e) => void submit(e)}>
        <TextField label="Organization name" value={name} onChange={setName} required pattern="[a-z0-9._\-]{1,64}" hint={NAME_HINT} />
        <TextField label="Display name" value={displayName} onChange={setDisplayName} />
        <InviteModeField autoAccept={autoAccept} onChange={setAutoAccept} />
        <TeamSelect label="Destination team" teams={teams ?? []} value={teamId} onChange={setTeamId} required={autoAccept} />
        <TextField label="Invitation code" value={invite} onChange={setInvite} required />
        <TextField label="Password" type="password" value={password} onChange={setPassword} required autoComplete="off" />
        <ErrorMessage>{error}</ErrorMessage>
        <div className="actions">
          <button type="button" onClick={() => navigate('/')}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || !name || !invite || !password || (autoAccept && !teamId)}>
            {busy ? 'Connecting…' : 'Accept'}
          </button>
        </div>
      </form>
    </section>
  );
}
