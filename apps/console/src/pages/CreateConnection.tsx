import { useState } from 'react';
import { client, errorText, type Connection } from '../api';
import { CopyField } from '../components';
import { ChannelPicker } from '../ChannelPicker';
import { ConnectionForm, NEW_CONNECTION_FIELDS, useTeams } from '../ConnectionForm';
import { useNavigate } from '../router';
import { Link } from '../App';

interface Created {
  connection: Connection;
  invite: string;
  password: string;
  /** The channels whose invitations the server recorded; they are sent when the other side accepts. */
  sharedChannelIds: string[];
}

export function CreateConnection() {
  const navigate = useNavigate();
  const { teams, teamsError } = useTeams();
  const [fields, setFields] = useState(NEW_CONNECTION_FIELDS);
  const [channels, setChannels] = useState(new Set<string>());
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Created>();

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const answer = (await client.createRemoteCluster({
        name: fields.name,
        display_name: fields.displayName,
        default_team_id: fields.teamId,
        auto_accept_channel_invites: fields.autoAccept,
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
      <ConnectionForm
        fields={fields}
        onChange={setFields}
        teams={teams}
        error={error ?? teamsError}
        busy={busy}
        complete
        submitLabel="Save"
        busyLabel="Saving…"
        onSubmit={() => void submit()}
      >
        {teams && <ChannelPicker teams={teams} selected={channels} onChange={setChannels} label="Channels to share now (optional)" />}
      </ConnectionForm>
    </section>
  );
}
