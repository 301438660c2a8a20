/**
 * @-mentions in shared posts (protocol §5.14). The sender ships `mention text → user id` in `mention_transforms`; the
 * receiver rewrites each mention to the username that user has locally. Pure functions, no dependencies.
 */

/**
 * Mattermost's `\B@[[:alnum:]][[:alnum:]\.\-_:]*`: '@' not preceded by a word character (so `x@alice` in an email
 * address is no mention), then username characters plus ':' for remote names (`@alice:acme`).
 */
const MENTION_PATTERN = String.raw`\B@([A-Za-z0-9][A-Za-z0-9.\-_:]*)`;
const mentionRegex = () => new RegExp(MENTION_PATTERN, 'g');

/** Characters a sentence may put right after a mention (`@alice.`, `@alice:`) that end no username. */
const TRAILING_PUNCTUATION = new Set(['.', '-', '_', ':']);

/** Channel-wide mentions, never users. */
const SPECIAL_MENTIONS = new Set(['channel', 'all', 'here']);

/** Who a user id is on this cluster: its local username and its owner (`''` = a local user). */
export type MentionedUser = { username: string; remoteId: string };

/** The names mentioned in `message` (lower case, without '@' and trailing punctuation, no repeats, in order). */
export function mentionedNames(message: string): string[] {
  const names = new Set<string>();
  for (const match of message.matchAll(mentionRegex())) {
    const name = withoutTrailingPunctuation(match[1]).toLowerCase();
    if (!SPECIAL_MENTIONS.has(name)) names.add(name);
  }
  return [...names];
}

/**
 * Rewrites the mentions listed in `transforms` (mention text without '@' → user id) as §5.14 says:
 * - user known here: `@name:remote` → `@<local username>`; `@name` stays for a local user, else `@<local username>`;
 * - user unknown: `@name:remote` stays; `@name` → `@name:<remoteName>` (the sender's name for itself).
 * Only whole mentions change: `@alice` is not rewritten inside `@alice2`, `@alice.smith`, `@alice:acme` or `x@alice`.
 * Every mention is rewritten once, from the original text, so one rewrite never feeds another.
 */
export function applyMentionTransforms(
  message: string,
  transforms: Record<string, string>,
  lookup: (userId: string) => MentionedUser | undefined,
  remoteName: string,
): string {
  const userIds = transformsByName(transforms);
  if (userIds.size === 0 || !message.includes('@')) return message;
  const longest = Math.max(...[...userIds.keys()].map((name) => name.length));
  return message.replace(mentionRegex(), (whole: string, name: string) => {
    const listed = longestListedPrefix(name, userIds, longest);
    if (!listed) return whole;
    return rewriteMention(listed.mention, lookup(listed.userId), remoteName) + name.slice(listed.mention.length);
  });
}

/** The rule of §5.14 for one mention (`mention` as written, without '@'). */
function rewriteMention(mention: string, user: MentionedUser | undefined, remoteName: string): string {
  const remote = mention.includes(':');
  if (!user) return remote ? `@${mention}` : `@${mention}:${remoteName}`;
  if (!remote && !user.remoteId) return `@${mention}`;
  return `@${user.username}`;
}

/** Keys in lower case (senders send usernames, which are lower case); a leading '@' is tolerated. */
function transformsByName(transforms: Record<string, string>): Map<string, string> {
  const byName = new Map<string, string>();
  for (const [mention, userId] of Object.entries(transforms)) {
    const name = mention.replace(/^@/, '').toLowerCase();
    if (name && !byName.has(name)) byName.set(name, userId);
  }
  return byName;
}

/**
 * The mention as written, or with trailing punctuation cut one character at a time (as Mattermost's mention
 * matching does), whichever is listed first; so `@alice_` finds a user `alice_` and otherwise `alice`.
 * Only prefixes up to the longest listed name are tried, so a mention followed by a long run of dots stays cheap.
 */
function longestListedPrefix(name: string, userIds: Map<string, string>, longest: number): { mention: string; userId: string } | undefined {
  const shortest = withoutTrailingPunctuation(name).length;
  for (let end = Math.min(name.length, longest); end >= shortest; end--) {
    const mention = name.slice(0, end);
    const userId = userIds.get(mention.toLowerCase());
    if (userId !== undefined) return { mention, userId };
  }
  return undefined;
}

/** A loop rather than a `[...]+$` regex, which backtracks quadratically on long runs of dots. */
function withoutTrailingPunctuation(name: string): string {
  let end = name.length;
  while (end > 0 && TRAILING_PUNCTUATION.has(name[end - 1])) end--;
  return name.slice(0, end);
}
