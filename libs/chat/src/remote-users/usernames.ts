/**
 * Usernames of synthetic (remote) users: `<user><suffix>:<remote>` (protocol §6, Mattermost `mungUsername`).
 * Pure functions, no dependencies.
 */

/** Mattermost `UserNameMaxLength`. */
export const USERNAME_MAX_LENGTH = 64;

/** Mattermost `MaxUpsertRetries`: the plain name plus suffixes `-2` … `-25`. */
export const MAX_USERNAME_CANDIDATES = 25;

const ELLIPSIS = '...';
const SEPARATOR = ':';
const INVALID_USERNAME_CHAR = /[^a-z0-9._-]/;

/**
 * Joins a username and the name of the remote it comes from, e.g. `alice` from `acme` → `alice:acme`.
 * A name already munged by another cluster (`alice:acme`) keeps its own remote part. `suffix` (e.g. `-2`) makes
 * the result unique after a collision. Over-long parts are cut and end in `...`; the result is at most `maxLen` long.
 */
export function mungUsername(username: string, remoteName: string, suffix: string, maxLen = USERNAME_MAX_LENGTH): string {
  const parts = splitRemoteName(username, remoteName);
  const name = usernameChars(parts.username);
  const remote = usernameChars(parts.remoteName);
  const tail = usernameChars(suffix);

  // The remote part (with its ':') may take up to half; the username part gets the rest, including what the remote leaves.
  const half = Math.floor(maxLen / 2);
  const leftOver = Math.max(half - (remote.length + SEPARATOR.length), 0);
  const [shortName, nameDots] = shorten(name, name.length + tail.length - (half + leftOver));
  const userPart = shortName + tail + nameDots;

  const [shortRemote, remoteDots] = shorten(remote, remote.length + SEPARATOR.length - (maxLen - userPart.length));
  return `${userPart}${SEPARATOR}${shortRemote}${remoteDots}`;
}

/**
 * The suffixes to try, in order, until a munged username is free: `''`, `-2`, … `-<max>` (alice:acme, alice-2:acme, …).
 * The suffixes do not depend on the names; they are parameters so that call sites read like the retry they drive.
 */
export function munggedCandidates(_username: string, _remoteName: string, max = MAX_USERNAME_CANDIDATES): string[] {
  const suffixes: string[] = [];
  for (let attempt = 1; attempt <= max; attempt++) suffixes.push(attempt === 1 ? '' : `-${attempt}`);
  return suffixes;
}

/** The username part of a munged name (`alice-2:acme` → `alice-2`); a name without ':' is returned as is. */
export function remoteUsernameOf(munged: string): string {
  const colon = munged.indexOf(SEPARATOR);
  return colon === -1 ? munged : munged.slice(0, colon);
}

/** `alice:acme:old` → user `alice`, remote `acmeold` (Mattermost joins the rest with the colons dropped). */
function splitRemoteName(username: string, remoteName: string): { username: string; remoteName: string } {
  const colon = username.indexOf(SEPARATOR);
  if (colon === -1) return { username, remoteName };
  return {
    username: username.slice(0, colon),
    remoteName: username
      .slice(colon + 1)
      .split(SEPARATOR)
      .join(''),
  };
}

/** Lower case, and '-' for anything a Mattermost username cannot hold (one '-' per character, so lengths stay ASCII). */
function usernameChars(text: string): string {
  return Array.from(text.toLowerCase(), (ch) => (INVALID_USERNAME_CHAR.test(ch) ? '-' : ch)).join('');
}

/** Cuts `overflow` characters plus room for the ellipsis, as Mattermost does; returns the kept text and the ellipsis. */
function shorten(text: string, overflow: number): [string, string] {
  if (overflow <= 0) return [text, ''];
  return [text.slice(0, Math.max(text.length - overflow - ELLIPSIS.length, 0)), ELLIPSIS];
}
