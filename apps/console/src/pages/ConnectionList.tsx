import { allTeams, call, client, connectionState, formatDuration, formatTime, type Connection, type ConnectionHealth } from '../api';
import { ErrorMessage, Loading, StateBadge, usePolling } from '../components';
import { Link } from '../App';

interface Row {
  connection: Connection;
  sharedChannels: number;
  health?: ConnectionHealth;
}

/** Health figures come from an endpoint newer servers have; without it the columns say so instead of failing. */
async function healthOf(remoteId: string): Promise<ConnectionHealth | undefined> {
  try {
    return await call<ConnectionHealth>('GET', `/remotecluster/${remoteId}/health`);
  } catch {
    return undefined;
  }
}

async function loadRows(): Promise<{ rows: Row[]; teams: Map<string, string> }> {
  const [connections, teams] = await Promise.all([client.getRemoteClusters() as unknown as Promise<Connection[]>, allTeams()]);
  const rows = await Promise.all(
    connections.map(async (connection) => {
      const [shares, health] = await Promise.all([
        client.getSharedChannelRemotes(connection.remote_id, { include_unconfirmed: true, per_page: 200 } as never) as unknown as Promise<
          unknown[]
        >,
        healthOf(connection.remote_id),
      ]);
      return { connection, sharedChannels: shares.length, health };
    }),
  );
  return { rows, teams: new Map(teams.map((t) => [t.id, t.display_name])) };
}

export function ConnectionList() {
  const { data, error } = usePolling(loadRows);
  return (
    <section>
      <div className="page-head">
        <h1 tabIndex={-1}>Connected Workspaces</h1>
        <div className="actions">
          <Link to="/new" className="button primary">
            Create a connection
          </Link>
          <Link to="/accept" className="button">
            Accept an invitation
          </Link>
        </div>
      </div>
      <p>Connect with other organizations to share channels. States, pings and queues refresh every 5 seconds.</p>
      <ErrorMessage>{error && `Could not load the connections: ${error}`}</ErrorMessage>
      {!data && !error && <Loading what="connections" />}
      {data && data.rows.length === 0 && (
        <div className="empty">
          <h2>No connections yet</h2>
          <p>Create a connection and send its invitation to another organization, or accept an invitation you received.</p>
        </div>
      )}
      {data && data.rows.length > 0 && (
        <div className="table-wrap" role="region" aria-label="Connections" tabIndex={0}>
          <table className="cards" role="table">
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col" role="columnheader">
                  Organization
                </th>
                <th scope="col" role="columnheader">
                  Site URL
                </th>
                <th scope="col" role="columnheader">
                  Destination team
                </th>
                <th scope="col" role="columnheader">
                  State
                </th>
                <th scope="col" role="columnheader">
                  Last ping
                </th>
                <th scope="col" role="columnheader">
                  Shared channels
                </th>
                <th scope="col" role="columnheader">
                  Sync queue
                </th>
                <th scope="col" role="columnheader">
                  Lag
                </th>
                <th scope="col" role="columnheader">
                  Refused items
                </th>
                <th scope="col" role="columnheader">
                  File transfers pending
                </th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {data.rows.map(({ connection: c, sharedChannels, health }) => {
                const state = connectionState(c);
                return (
                  <tr key={c.remote_id} data-remote-id={c.remote_id} role="row">
                    <th scope="row" role="rowheader">
                      <Link to={`/connections/${c.remote_id}`}>{c.display_name || c.name}</Link>
                      <div className="sub">{c.name}</div>
                    </th>
                    <td role="cell" data-label="Site URL">
                      {state === 'Connection Pending' ? '—' : c.site_url}
                    </td>
                    <td role="cell" data-label="Destination team">
                      {c.default_team_id ? (data.teams.get(c.default_team_id) ?? c.default_team_id) : 'Review each invite'}
                    </td>
                    <td role="cell" data-label="State">
                      <StateBadge state={state} />
                    </td>
                    <td role="cell" data-label="Last ping">
                      {formatTime(c.last_ping_at)}
                    </td>
                    <td role="cell" data-label="Shared channels">
                      {sharedChannels}
                    </td>
                    <td role="cell" data-label="Sync queue">
                      {health?.queue_size ?? '—'}
                    </td>
                    <td role="cell" data-label="Lag">
                      {health?.lag_ms !== undefined ? formatDuration(health.lag_ms) : '—'}
                    </td>
                    <td role="cell" data-label="Refused items">
                      {health?.refused_items ?? '—'}
                    </td>
                    <td role="cell" data-label="File transfers pending">
                      {health?.file_transfers_pending ?? '—'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
