import { Injectable } from '@nestjs/common';
import { isSystemAdmin, PER_PAGE_DEFAULT, PER_PAGE_MAX, PostListJson, PostReads } from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isValidId } from '@fedchat/crypto';
import { Post, TeamMember, User } from '@fedchat/models';
import { Brackets, Repository, WhereExpressionBuilder } from 'typeorm';

/**
 * Text search configuration: PostgreSQL's 'english' (stemming and stop words, Mattermost's default
 * `DefaultTextSearchConfig`). The expression `to_tsvector('english', message)` is what a GIN index must match.
 */
export const SEARCH_CONFIG = 'english';
const DAY_MS = 86_400_000;

export interface SearchParams {
  terms: string;
  isOrSearch?: boolean;
  timeZoneOffset?: number;
  includeDeletedChannels?: boolean;
  page?: number;
  perPage?: number;
}

/** A search string taken apart (Mattermost's syntax). */
export interface ParsedTerms {
  words: string[];
  phrases: string[];
  prefixes: string[];
  hashtags: string[];
  excludedWords: string[];
  excludedPhrases: string[];
  excludedHashtags: string[];
  from: string[];
  excludedFrom: string[];
  in: string[];
  excludedIn: string[];
  on?: string;
  before?: string;
  after?: string;
}

/**
 * Parses words, "quoted phrases", prefix* terms, #hashtags and the filters from:, in: (also channel:), on:, before:
 * and after:. A leading '-' excludes a word, phrase, hashtag, from: or in:.
 */
export function parseSearchTerms(input: string): ParsedTerms {
  const t: ParsedTerms = {
    words: [],
    phrases: [],
    prefixes: [],
    hashtags: [],
    excludedWords: [],
    excludedPhrases: [],
    excludedHashtags: [],
    from: [],
    excludedFrom: [],
    in: [],
    excludedIn: [],
  };
  const token = /(-?)(?:"([^"]*)"?|(\S+))/g;
  for (const m of input.matchAll(token)) {
    const negated = m[1] === '-';
    if (m[2] !== undefined) {
      const phrase = m[2].trim();
      if (phrase) (negated ? t.excludedPhrases : t.phrases).push(phrase);
      continue;
    }
    const word = m[3];
    const filter = /^(from|in|channel|on|before|after):(.+)$/i.exec(word);
    if (filter) {
      const key = filter[1].toLowerCase();
      const value = filter[2].replace(/^"|"$/g, '');
      if (key === 'from') (negated ? t.excludedFrom : t.from).push(value.replace(/^@/, '').toLowerCase());
      else if (key === 'in' || key === 'channel') (negated ? t.excludedIn : t.in).push(value.replace(/^~/, '').toLowerCase());
      else if (!negated) t[key as 'on' | 'before' | 'after'] = value;
      continue;
    }
    if (word.startsWith('#') && word.length > 1) {
      (negated ? t.excludedHashtags : t.hashtags).push(word.toLowerCase());
    } else if (word.endsWith('*') && !negated) {
      const stem = word.replace(/\*+$/, '');
      if (stem) t.prefixes.push(stem);
    } else if (word !== '-') {
      (negated ? t.excludedWords : t.words).push(negated ? word.replace(/\*+$/, '') : word);
    }
  }
  return t;
}

/** `to_tsquery` input for a prefix term: its alphanumeric parts ANDed, the last one as a prefix (`foo & ba:*`). */
function prefixQuery(term: string): string | undefined {
  const parts = term.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  if (parts.length === 0) return undefined;
  return parts.map((p, i) => (i === parts.length - 1 ? `${p}:*` : p)).join(' & ');
}

/** Start of a YYYY-MM-DD day in the searcher's time zone (offset in seconds east of UTC), as epoch ms. */
function dayStart(date: string | undefined, offsetSeconds: number): number | undefined {
  const m = date ? /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(date) : null;
  if (!m) return undefined;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(utc) ? undefined : utc - offsetSeconds * 1000;
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

/**
 * Full-text search over post messages with PostgreSQL (`to_tsvector('english', message)` against
 * plainto_/phraseto_/to_tsquery), only in channels the searcher is a member of: the team's channels and the
 * searcher's direct and group messages. Deleted posts and system messages are never found; archived channels only
 * with `include_deleted_channels`.
 */
@Injectable()
export class PostSearch {
  constructor(
    @InjectRepository(Post) private readonly posts: Repository<Post>,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(TeamMember) private readonly teamMembers: Repository<TeamMember>,
    private readonly reads: PostReads,
  ) {}

  /** Searches one team (plus the caller's DMs/GMs), or with `teamId` undefined, all of the caller's channels. */
  async search(user: User, teamId: string | undefined, params: SearchParams): Promise<PostListJson> {
    if (teamId !== undefined) {
      if (!isValidId(teamId)) throw AppError.invalidParam('team_id');
      const member = await this.teamMembers.existsBy({ team_id: teamId, user_id: user.id, delete_at: 0 });
      if (!member && !isSystemAdmin(user.roles)) throw AppError.forbidden('view_team');
    }
    const perPage = Math.min(PER_PAGE_MAX, params.perPage || PER_PAGE_DEFAULT);
    const page = params.page ?? 0;
    const t = parseSearchTerms(params.terms.replaceAll('\u0000', ''));
    const hasText = t.words.length + t.phrases.length + t.prefixes.length + t.hashtags.length > 0;
    const hasExclusion = t.excludedWords.length + t.excludedPhrases.length + t.excludedHashtags.length > 0;
    const hasFilter = t.from.length + t.in.length + t.excludedFrom.length + t.excludedIn.length > 0 || !!(t.on || t.before || t.after);
    if (!hasText && !hasExclusion && !hasFilter) return emptyList();

    const qb = this.posts
      .createQueryBuilder('p')
      .innerJoin('channels', 'c', 'c.id = p.channel_id')
      .innerJoin('channel_members', 'm', 'm.channel_id = p.channel_id AND m.user_id = :me', { me: user.id })
      .where('p.delete_at = 0')
      .andWhere(`p.type NOT LIKE 'system\\_%'`);
    if (teamId !== undefined) qb.andWhere(`(c.team_id = :team OR c.type IN ('D', 'G'))`, { team: teamId });
    if (!params.includeDeletedChannels) qb.andWhere('c.delete_at = 0');

    let n = 0;
    const param = (value: unknown): string => {
      const name = `s${n++}`;
      qb.setParameter(name, value);
      return `:${name}`;
    };
    const vector = `to_tsvector('${SEARCH_CONFIG}', p.message)`;

    // Positive terms: one tsquery combined with && (AND) or || (OR); hashtags join the same AND/OR group.
    const queries = [
      ...t.words.map((w) => `plainto_tsquery('${SEARCH_CONFIG}', ${param(w)})`),
      ...t.phrases.map((ph) => `phraseto_tsquery('${SEARCH_CONFIG}', ${param(ph)})`),
      ...t.prefixes.flatMap((pr) => {
        const q = prefixQuery(pr);
        return q ? [`to_tsquery('${SEARCH_CONFIG}', ${param(q)})`] : [];
      }),
    ];
    const joiner = params.isOrSearch ? ' || ' : ' && ';
    const group: string[] = [];
    if (queries.length) group.push(`${vector} @@ (${queries.join(joiner)})`);
    for (const tag of t.hashtags) group.push(`(' ' || lower(p.hashtags) || ' ') LIKE ${param(`% ${likeEscape(tag)} %`)}`);
    if (group.length) qb.andWhere(`(${group.join(params.isOrSearch ? ' OR ' : ' AND ')})`);

    const excluded = [
      ...t.excludedWords.map((w) => `plainto_tsquery('${SEARCH_CONFIG}', ${param(w)})`),
      ...t.excludedPhrases.map((ph) => `phraseto_tsquery('${SEARCH_CONFIG}', ${param(ph)})`),
    ];
    if (excluded.length) qb.andWhere(`NOT (${vector} @@ (${excluded.join(' || ')}))`);
    for (const tag of t.excludedHashtags) qb.andWhere(`(' ' || lower(p.hashtags) || ' ') NOT LIKE ${param(`% ${likeEscape(tag)} %`)}`);

    if (t.from.length) qb.andWhere(`p.user_id IN (SELECT u.id FROM users u WHERE u.username = ANY(${param(t.from)}))`);
    if (t.excludedFrom.length) qb.andWhere(`p.user_id NOT IN (SELECT u.id FROM users u WHERE u.username = ANY(${param(t.excludedFrom)}))`);
    if (t.in.length) qb.andWhere(new Brackets((w) => this.inChannels(w, user, t.in, param)));
    if (t.excludedIn.length) qb.andWhere(new Brackets((w) => this.inChannels(w, user, t.excludedIn, param, true)));

    const offset = params.timeZoneOffset ?? 0;
    const on = dayStart(t.on, offset);
    const before = dayStart(t.before, offset);
    const after = dayStart(t.after, offset);
    if (on !== undefined) qb.andWhere(`p.create_at >= ${param(on)} AND p.create_at < ${param(on + DAY_MS)}`);
    if (before !== undefined) qb.andWhere(`p.create_at < ${param(before)}`);
    if (after !== undefined) qb.andWhere(`p.create_at >= ${param(after + DAY_MS)}`);

    const posts = await qb
      .orderBy('p.create_at', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .offset(page * perPage)
      .limit(perPage)
      .getMany();
    const list = await this.reads.list(posts, true, {});
    return { ...list, matches: null };
  }

  /** `in:` values: a channel name, or `@username` for the direct channel with that user. */
  private inChannels(w: WhereExpressionBuilder, user: User, values: string[], param: (v: unknown) => string, negate = false): void {
    const names = values.filter((v) => !v.startsWith('@'));
    const dmUsers = values.filter((v) => v.startsWith('@')).map((v) => v.slice(1));
    const parts: string[] = [];
    if (names.length) parts.push(`c.name = ANY(${param(names)})`);
    if (dmUsers.length) {
      const me = param(user.id);
      parts.push(
        `(c.type = 'D' AND EXISTS (SELECT 1 FROM users u WHERE u.username = ANY(${param(dmUsers)})
           AND c.name IN (u.id || '__' || ${me}, ${me} || '__' || u.id)))`,
      );
    }
    const expr = parts.join(' OR ');
    w.where(negate ? `NOT (${expr})` : `(${expr})`);
  }
}

function emptyList(): PostListJson {
  return { order: [], posts: {}, next_post_id: '', prev_post_id: '', first_inaccessible_post_time: 0, matches: null };
}
