import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { allTeams, errorText, type Team } from './api';
import { ErrorMessage, InviteModeField, Loading, TeamSelect, TextField } from './components';
import { useNavigate } from './router';

export const NAME_HINT = 'Lower-case letters, digits, dots, dashes and underscores; used in channel and user names from this workspace.';

/** What both ways of adding a connection ask: who the other organization is and where its channels land here. */
export interface ConnectionFields {
  name: string;
  displayName: string;
  autoAccept: boolean;
  teamId: string;
}

export const NEW_CONNECTION_FIELDS: ConnectionFields = { name: '', displayName: '', autoAccept: true, teamId: '' };

/** The teams for the destination team; a failure to load them is shown where the form shows its errors. */
export function useTeams(): { teams?: Team[]; teamsError?: string } {
  const [teams, setTeams] = useState<Team[]>();
  const [teamsError, setTeamsError] = useState<string>();
  useEffect(() => {
    allTeams().then(setTeams, (err) => setTeamsError(errorText(err)));
  }, []);
  return { teams, teamsError };
}

/**
 * The form of Create a connection and Accept an invitation: the shared fields, then the page's own (`children`), the
 * error, Cancel and the submit button. Submitting needs a name, and a team while channel invites are accepted
 * automatically (the server requires one then), besides whatever the page's own fields need (`complete`).
 */
export function ConnectionForm(props: {
  fields: ConnectionFields;
  onChange: (fields: ConnectionFields) => void;
  teams?: Team[];
  error?: string;
  busy: boolean;
  complete: boolean;
  submitLabel: string;
  busyLabel: string;
  onSubmit: () => void;
  children?: ReactNode;
}) {
  const navigate = useNavigate();
  const { fields } = props;
  const set = (change: Partial<ConnectionFields>) => props.onChange({ ...fields, ...change });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onSubmit();
  };
  const ready = props.complete && fields.name !== '' && (!fields.autoAccept || fields.teamId !== '');
  return (
    <>
      {!props.teams && !props.error && <Loading what="teams" />}
      <form onSubmit={submit}>
        <TextField
          label="Organization name"
          value={fields.name}
          onChange={(name) => set({ name })}
          required
          pattern="[a-z0-9._\-]{1,64}"
          hint={NAME_HINT}
        />
        <TextField
          label="Display name"
          value={fields.displayName}
          onChange={(displayName) => set({ displayName })}
          hint="How the other organization appears here."
        />
        <InviteModeField autoAccept={fields.autoAccept} onChange={(autoAccept) => set({ autoAccept })} />
        <TeamSelect
          label="Destination team"
          teams={props.teams ?? []}
          value={fields.teamId}
          onChange={(teamId) => set({ teamId })}
          required={fields.autoAccept}
          hint="Channels this organization shares with us are created in this team."
        />
        {props.children}
        <ErrorMessage>{props.error}</ErrorMessage>
        <div className="actions">
          <button type="button" onClick={() => navigate('/')}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={props.busy || !ready}>
            {props.busy ? props.busyLabel : props.submitLabel}
          </button>
        </div>
      </form>
    </>
  );
}
