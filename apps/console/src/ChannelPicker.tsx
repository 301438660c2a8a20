import { useEffect, useId, useMemo, useState } from 'react';
import { call, client, errorText, statusOf, type Channel, type Team } from './api';
import { ErrorMessage, Loading } from './components';

/**
 * The channels an admin shares: every team's public channels and, for a system admin (manage_system, which the
 * private channel list needs), its private channels too; without it the private list is refused and left out.
 */
export async function shareableChannels(teams: Team[]): Promise<Channel[]> {
  const privateOf = (teamId: string) =>
    call<Channel[]>('GET', `/teams/${teamId}/channels/private?per_page=200`).catch((err: unknown) => {
      if (statusOf(err) === 403) return [];
      throw err;
    });
  const lists = await Promise.all(
    teams.flatMap((t) => [client.getChannels(t.id, 0, 200) as unknown as Promise<Channel[]>, privateOf(t.id)]),
  );
  return lists
    .flat()
    .filter((c) => c.type === 'O' || c.type === 'P')
    .sort((x, y) => x.display_name.localeCompare(y.display_name));
}

/** A searchable list of checkboxes: type to filter, Space to pick. */
export function ChannelPicker(props: {
  teams: Team[];
  exclude?: Set<string>;
  selected: Set<string>;
  onChange: (selected: Set<string>) => void;
  label: string;
}) {
  const [channels, setChannels] = useState<Channel[]>();
  const [error, setError] = useState<string>();
  const [query, setQuery] = useState('');
  const searchId = useId();
  const teamNames = useMemo(() => new Map(props.teams.map((t) => [t.id, t.display_name])), [props.teams]);

  useEffect(() => {
    shareableChannels(props.teams).then(setChannels, (err) => setError(errorText(err)));
  }, [props.teams]);

  const visible = (channels ?? [])
    .filter((c) => !props.exclude?.has(c.id))
    .filter((c) => `${c.display_name} ${c.name}`.toLowerCase().includes(query.trim().toLowerCase()));

  const toggle = (id: string) => {
    const next = new Set(props.selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    props.onChange(next);
  };

  return (
    <fieldset className="field picker">
      <legend>{props.label}</legend>
      <label htmlFor={searchId}>Search channels</label>
      <input id={searchId} type="search" value={query} onChange={(e) => setQuery(e.target.value)} autoComplete="off" />
      <ErrorMessage>{error}</ErrorMessage>
      {!channels && !error && <Loading what="channels" />}
      {channels && visible.length === 0 && <p className="hint">No channels match.</p>}
      {channels && visible.length > 0 && (
        <ul className="checklist">
          {visible.map((c) => (
            <li key={c.id}>
              <label className="radio">
                <input type="checkbox" checked={props.selected.has(c.id)} onChange={() => toggle(c.id)} /> {c.display_name}{' '}
                <span className="sub">
                  {teamNames.get(c.team_id)} · {c.type === 'P' ? 'private' : 'public'}
                </span>
              </label>
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}
