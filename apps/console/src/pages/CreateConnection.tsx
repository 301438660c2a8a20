import { useEffect, useState, type FormEvent } from 'react';
import { allTeams, client, errorText, type Connection, type Team } from '../api';
import { ErrorMessage, InviteModeField, Loading, TextField, TeamSelect, CopyField } from '../components';
import { ChannelPicker } from '../ChannelPicker';
import { useNavigate } from '../router';
import { Link } from '../App';

interface Created {
  connection: Connection;
  invite: string;
  password: string;
  /** The channels whose invitations the server recorded; they are sent when the other side accepts. */
  sharedChannelIds: string[];
}

export const NAME_HINT = 'Lower-case letters, digits, dots, dashes and underscores; used in channel and user names from this workspace.';

export function CreateConnection() {
  const navigate = useNavigate();
  const [teams, setTeams] = useState<Team[]>();
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [teamId, setTeamId] = useState('');
  const [autoAccept, setAutoAccept] = useState(true);
  const [channels, setChannels] = useState(new Set<string>());
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Created>();

  useEffect(() => {
    allTeams().then(setTeams, (err) => setError(errorText(err)));
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = (await client.createRemoteCluster({
        name,
        display_name: displayName,
        default_team_id: teamId,
        auto_accept_channel_invites: autoAccept,
        // One request: the server checks every channel first (a refused one creates nothing) and sends the invitations on acceptance.
        ...(channels.size > 0 ? { share_channel_ids: [...channels] } : {}),
      } as never)) as unknown as { remote_cluster: Connection; invite: string; password: string; shared_channel_ids?: string[] };
      setCreated({
        connection: answer.remote_cluster,
        invite: answer.invite,
        password: answer.password,
        sharedChannelIds: answer.shared_channel_ids ?? [],
      });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    return (
      <section className="narrow">
        <h1 tabIndex={-1}>Connection created</h1>
        <p>
          Send the invitation code and the password to the administrator of{' '}
          <strong>{created.connection.display_name || created.connection.name}</strong>. They accept it on their console under Add a
          connection › Accept an invitation.
        </p>
        <div className="warning" role="note">
          <strong>Send the code and the password separately</strong> (for example by email and by phone). They are shown only this once.
        </div>
        <CopyField label="Invitation code" value={created.invite} />
        <CopyField label="Password" value={created.password} />
        {created.sharedChannelIds.length > 0 && (
          <p role="status">
            {created.sharedChannelIds.length === 1 ? '1 channel is' : `${created.sharedChannelIds.length} channels are`} shared with them as
            soon as they accept.
          </p>
        )}
        <button type="button" className="primary" onClick={() => navigate('/')}>
          Done
        </button>
      </section>
    );
  }

  return (
    <section className="narrow">
      <p className="crumbs">
        <Link to="/">Connected Workspaces</Link> › Add a connection
      </p>
      <h1 tabIndex={-1}>Create a connection</h1>
      <p>
        Creates an invitation for another organization. <Link to="/accept">Received an invitation? Accept it instead.</Link>
      </p>
      {!teams && !error && <Loading what="teams" />}
      <form onSubmit={(e) => void submit(e)}>
        <TextField label="Organization name" value={name} onChange={setName} required pattern="[a-z0-9._\-]{1,64}" hint={NAME_HINT} />
        <TextField label="Display name" value={displayName} onChange={setDisplayName} hint="How the other organization appears here." />
        <InviteModeField autoAccept={autoAccept} onChange={setAutoAccept} />
        <TeamSelect
          label="Destination team"
          teams={teams ?? []}
          value={teamId}
          onChange={setTeamId}
          required={autoAccept}
          hint="Channels this organization shares with us are created in this team."
        />
        {teams && <ChannelPicker teams={teams} selected={channels} onChange={setChannels} label="Channels to share now (optional)" />}
        <ErrorMessage>{error}</ErrorMessage>
        <div className="actions">
          <button type="button" onClick={() => navigate('/')}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || !name || (autoAccept && !teamId)}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </section>
  );
}
