import { useCallback, useState } from 'react';
import { call, client, errorText, Permissions, type Role, type Scheme, type Team } from '../api';
import { ErrorMessage, Loading, usePolling } from '../components';

const GRANTS = [
  { permission: Permissions.secureConnections, label: 'Manage Secure Connections' },
  { permission: Permissions.sharedChannels, label: 'Manage Shared Channels' },
] as const;

interface Target {
  label: string;
  description: string;
  role: Role;
}

/** The system scheme's user role, then each team override scheme's team user role, in use by a team or not. */
async function loadTargets(): Promise<Target[]> {
  const [systemUser] = (await client.getRolesByNames(['system_user'])) as Role[];
  const [teams, schemes] = await Promise.all([
    client.getTeams(0, 200) as Promise<Team[]>,
    call<Scheme[]>('GET', '/schemes?scope=team&page=0&per_page=200'),
  ]);
  const schemeRoles = schemes.length ? ((await client.getRolesByNames(schemes.map((s) => s.default_team_user_role))) as Role[]) : [];
  const targets: Target[] = [{ label: 'System scheme: all members', description: 'Every user of this workspace', role: systemUser }];
  for (const scheme of schemes) {
    const role = schemeRoles.find((r) => r.name === scheme.default_team_user_role);
    const using = teams.filter((t) => t.scheme_id === scheme.id).map((t) => t.display_name);
    const description = using.length ? `Members of ${using.join(', ')}` : 'No team uses this scheme yet';
    if (role) targets.push({ label: `Team scheme: ${scheme.display_name}`, description, role });
  }
  return targets;
}

export function PermissionsPage() {
  const { data, error, refresh } = usePolling(useCallback(loadTargets, []), 15000);
  const [busy, setBusy] = useState<string>();
  const [actionError, setActionError] = useState<string>();

  const toggle = async (role: Role, permission: string, grant: boolean) => {
    setBusy(`${role.id}:${permission}`);
    setActionError(undefined);
    try {
      const permissions = grant ? [...role.permissions, permission] : role.permissions.filter((p) => p !== permission);
      await client.patchRole(role.id, { permissions });
      await refresh();
    } catch (err) {
      setActionError(errorText(err));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section>
      <h1 tabIndex={-1}>Permissions</h1>
      <p>
        Choose who may manage connections and shared channels besides system administrators. A team scheme grants Manage Shared Channels for
        that team's channels only.
      </p>
      <ErrorMessage>{(error && `Could not load the roles: ${error}`) || actionError}</ErrorMessage>
      {!data && !error && <Loading what="roles" />}
      {data && (
        <div className="table-wrap" role="region" aria-label="Permissions" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Scheme</th>
                {GRANTS.map((g) => (
                  <th scope="col" key={g.permission}>
                    {g.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.map((t) => (
                <tr key={t.role.id}>
                  <th scope="row">
                    {t.label}
                    <div className="sub">{t.description}</div>
                  </th>
                  {GRANTS.map((g) => {
                    const granted = t.role.permissions.includes(g.permission);
                    return (
                      <td key={g.permission}>
                        <label className="radio">
                          <input
                            type="checkbox"
                            checked={granted}
                            disabled={busy !== undefined}
                            onChange={() => void toggle(t.role, g.permission, !granted)}
                            aria-label={`${g.label} for ${t.label}`}
                          />{' '}
                          {granted ? 'Granted' : 'Not granted'}
                        </label>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.length === 1 && <p className="hint">There are no team override schemes; only the system scheme can be changed here.</p>}
    </section>
  );
}
