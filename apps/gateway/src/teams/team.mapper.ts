import type { Team, TeamMember } from '@fedchat/models';

/**
 * Mattermost's Team JSON. `sanitize` blanks what only team managers may see (email, invite id), as Mattermost's
 * `Team.Sanitize` does for callers without manage_team.
 */
export function toTeamJson(team: Team, sanitize = false): Record<string, unknown> {
  return {
    id: team.id,
    create_at: team.create_at,
    update_at: team.update_at,
    delete_at: team.delete_at,
    display_name: team.display_name,
    name: team.name,
    description: team.description,
    email: sanitize ? '' : team.email,
    type: team.type,
    company_name: team.company_name,
    allowed_domains: team.allowed_domains,
    invite_id: sanitize ? '' : team.invite_id,
    allow_open_invite: team.allow_open_invite,
    last_team_icon_update: 0,
    scheme_id: team.scheme_id || null,
    group_constrained: null,
    policy_id: null,
  };
}

/** Mattermost's TeamMember JSON; `roles` holds the full role list (team_user, team_admin) as stored. */
export function toTeamMemberJson(member: TeamMember): Record<string, unknown> {
  return {
    team_id: member.team_id,
    user_id: member.user_id,
    roles: member.roles,
    delete_at: member.delete_at,
    scheme_guest: false,
    scheme_user: member.scheme_user,
    scheme_admin: member.scheme_admin,
    explicit_roles: '',
    create_at: member.create_at,
  };
}

/** Team admins: the explicit team_admin role or the scheme admin flag. */
export function isTeamAdminMember(member: TeamMember | null | undefined): boolean {
  if (!member || member.delete_at > 0) return false;
  return member.scheme_admin || member.roles.split(/\s+/).includes('team_admin');
}
