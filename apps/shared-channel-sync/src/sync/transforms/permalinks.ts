/**
 * Permalinks in shared posts (protocol §5.11, Mattermost `permalink.go`). Pure functions, no dependencies.
 *
 * A link to a post of the same shared channel travels as `/plshared/` so that the receiver can point it at its own
 * copy of the post; links to other channels travel unchanged.
 */

/** The regex of §5.11 exactly as Mattermost writes it: `<scheme>://<host>/<team>/pl/<post id>`. Reference only, see below. */
export const MATTERMOST_PERMALINK_PATTERN = String.raw`https?://[0-9.\-A-Za-z]+/[a-z0-9]+([a-z\-0-9]+|(__)?)[a-z0-9]+/pl/([a-zA-Z0-9]+)`;

/**
 * The same language as `MATTERMOST_PERMALINK_PATTERN`, written so that a backtracking engine runs in linear time:
 * Mattermost's team segment `[a-z0-9]+([a-z\-0-9]+|(__)?)[a-z0-9]+` is cubic in JavaScript (a 4 000-letter word
 * takes seconds) and is exactly "two or more of [a-z0-9-], alphanumeric at both ends" or "alnum+ __ alnum+".
 * Like Mattermost's, it matches no port and no path before the team.
 */
const TEAM = '(?:[a-z0-9][a-z0-9-]*[a-z0-9]|[a-z0-9]+__[a-z0-9]+)';
const linkPattern = (marker: string) => String.raw`https?://[0-9.\-A-Za-z]+/(${TEAM})/${marker}/([a-zA-Z0-9]+)`;

/** A permalink as written locally: group 1 is the team name, group 2 the post id. */
export const PERMALINK_REGEX = new RegExp(linkPattern('pl'));
/** A permalink as sent to peers for a post of the same shared channel. */
export const SHARED_PERMALINK_REGEX = new RegExp(linkPattern('plshared'));

/** Fresh global copies, so that no caller shares `lastIndex` state. */
const allLinks = (regex: RegExp) => new RegExp(regex.source, 'g');

/**
 * Rewrites links to posts of the same channel as `/plshared/` before a post goes to a peer. Other links stay as they
 * are and set `foreign` (the author is told once that peers may not see them). `isSameChannel` may answer `undefined`
 * for a post that does not exist: such a link is left alone without counting as foreign, as Mattermost does.
 */
export function outboundPermalinks(
  message: string,
  isSameChannel: (postId: string) => boolean | undefined,
): { message: string; foreign: boolean } {
  let foreign = false;
  const rewritten = message.replace(allLinks(PERMALINK_REGEX), (link: string, _team: string, postId: string) => {
    const same = isSameChannel(postId);
    // Rebuilt from the end: a host or team called "pl" must not be touched.
    if (same) return `${link.slice(0, link.length - `/pl/${postId}`.length)}/plshared/${postId}`;
    if (same === false) foreign = true;
    return link;
  });
  return { message: rewritten, foreign };
}

/**
 * Points `/plshared/` links received from a peer at this cluster's copy of the post:
 * `<localSiteUrl>/<localTeamName>/pl/<post id>`. `localSiteUrl` may carry a path prefix; trailing slashes are ignored.
 */
export function inboundPermalinks(message: string, localSiteUrl: string, localTeamName: string): string {
  const base = localSiteUrl.replace(/\/+$/, '');
  return message.replace(allLinks(SHARED_PERMALINK_REGEX), (_link: string, _team: string, postId: string) => {
    return `${base}/${localTeamName}/pl/${postId}`;
  });
}

/** The ids of the posts linked with `/pl/` permalinks, in order of first appearance, without repeats. */
export function permalinkPostIds(message: string): string[] {
  const ids = Array.from(message.matchAll(allLinks(PERMALINK_REGEX)), (match) => match[2]);
  return [...new Set(ids)];
}
