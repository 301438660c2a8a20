import { useState } from 'react';
import { client, errorIdOf, errorText, type Connection } from '../api';
import { TextField } from '../components';
import { ConnectionForm, NEW_CONNECTION_FIELDS, useTeams } from '../ConnectionForm';
import { useNavigate } from '../router';
import { Link } from '../App';

/**
 * The server's message says what went wrong; the console adds what to do about the common cases. Told apart by the
 * error id first: a message may quote a peer's words (an "ECONNREFUSED" is not a refused address).
 */
function explain(err: unknown): string {
  const message = errorText(err);
  switch (errorIdOf(err)) {
    case 'api.remote_cluster.invite_decrypt_error':
    case 'api.remote_cluster.base64_decode_error':
      return `${message} Check the code and the password the other organization sent you.`;
    case 'api.remote_cluster.invalid_site_url':
      // Private and loopback addresses are a setting; metadata, link-local and malformed URLs are refused whatever it says.
      if (message.includes('REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=') && !message.includes('always refused')) {
        return `${message} Only this server's operator can change that setting (see "Peers on private addresses" in the operations guide).`;
      }
      return `${message} The other organization must invite from a site URL that other servers may reach.`;
    case 'api.remote_cluster.accept_invitation_error':
      if (message.includes('did not answer'))
        return `${message} Check that the other site is running and that this server can reach its address.`;
      if (/expired/i.test(message)) {
        // The inviter times an invitation from the connection's creation: a regenerated code expires with it.
        return `${message} Ask the other organization to delete that connection and create a new one; a regenerated code would be expired too.`;
      }
      if (message.includes("refuses the accepting server's site URL")) {
        return `${message} The other organization's operator decides that with REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES on their server.`;
      }
      return message;
    default:
      return message;
  }
}

export function AcceptInvitation() {
  const navigate = useNavigate();
  const { teams, teamsError } = useTeams();
  const [fields, setFields] = useState(NEW_CONNECTION_FIELDS);
  const [invite, setInvite] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const connection = (await client.acceptInviteRemoteCluster({
        name: fields.name,
        display_name: fields.displayName,
        default_team_id: fields.teamId,
        invite: invite.trim(),
        password,
        auto_accept_channel_invites: fields.autoAccept,
      } as never)) as unknown as Connection;
      navigate(`/connections/${connection.remote_id}`);
    } catch (err) {
      // Everything typed stays in the form: the person fixes one field and tries again.
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
      <ConnectionForm
        fields={fields}
        onChange={setFields}
        teams={teams}
        error={error ?? teamsError}
        busy={busy}
        complete={invite !== '' && password !== ''}
        submitLabel="Accept"
        busyLabel="Connecting…"
        onSubmit={() => void submit()}
      >
        <TextField label="Invitation code" value={invite} onChange={setInvite} required />
        <TextField label="Password" type="password" value={password} onChange={setPassword} required autoComplete="off" />
      </ConnectionForm>
    </section>
  );
}
