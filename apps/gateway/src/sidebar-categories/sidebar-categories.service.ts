import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { hasPermission, Permission, toChannelMemberJson, WebSocketEvents, WsEvent } from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import { isValidId, newId } from '@fedchat/crypto';
import { ChannelMember } from '@fedchat/models';
import type { SidebarCategory, User } from '@fedchat/models';
import { DataSource, EntityManager, In } from 'typeorm';
import { invalidUrlParam } from '../http/user-id-param';
import {
  CATEGORY_SORTINGS,
  CategoryInput,
  CategoryType,
  OrderedSidebarCategoriesJson,
  SidebarCategoryJson,
} from './sidebar-categories.dto';

/** Mattermost's MinimalSidebarSortDistance: room between neighbours for a client to insert without renumbering. */
const SORT_DISTANCE = 10;
/** The sidebar_categories.display_name column. */
const DISPLAY_NAME_MAX_LENGTH = 64;
/** Mattermost keeps a user's favourite channels also as preferences of this category (name: channel id, value "true"). */
export const FAVORITE_CHANNEL_CATEGORY = 'favorite_channel';

const DEFAULT_CATEGORIES: { type: CategoryType; display_name: string; sorting: string }[] = [
  { type: CategoryType.Favorites, display_name: 'Favorites', sorting: '' },
  { type: CategoryType.Channels, display_name: 'Channels', sorting: '' },
  { type: CategoryType.DirectMessages, display_name: 'Direct Messages', sorting: 'recent' },
];

/** The id Mattermost gives a default category. */
export function defaultCategoryId(type: CategoryType, userId: string, teamId: string): string {
  return `${type}_${userId}_${teamId}`;
}

/** A channel the user is a member of, as the sidebar needs it. */
interface MemberChannel {
  id: string;
  type: string;
  team_id: string;
  display_name: string;
  archived: boolean;
}

type Queryable = DataSource | EntityManager;

function categoryError(status: number): AppError {
  return new AppError('app.channel.sidebar_categories.app_error', 'Unable to get or update the sidebar categories.', status);
}

/**
 * Sidebar categories per user and team (Mattermost's channel categories). Only what the user placed is stored: a
 * member channel placed nowhere is listed in the default "Channels" (team channels) or "Direct Messages" (DMs and
 * GMs, in every team) category when categories are read. So every new membership, whoever writes it (a local join, a
 * shared channel accepted from a peer, a DM with a remote user), lands in the right category without telling the
 * sidebar. Favourites are kept in step with the `favorite_channel` preferences both ways.
 */
@Injectable()
export class SidebarCategoriesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: WebSocketEvents,
  ) {}

  /** Mattermost's SessionHasPermissionToUser, and the categories belong to a team the user is in. */
  async requireAccess(caller: User, userId: string, teamId: string): Promise<void> {
    if (!isValidId(teamId)) throw invalidUrlParam('team_id');
    if (caller.id !== userId && !hasPermission(caller.roles, Permission.EditOtherUsers))
      throw AppError.forbidden(Permission.EditOtherUsers);
    const rows: unknown[] = await this.dataSource.query(
      'SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2 AND delete_at = 0',
      [teamId, userId],
    );
    if (rows.length === 0) throw AppError.forbidden(Permission.ViewTeam);
  }

  async list(userId: string, teamId: string): Promise<OrderedSidebarCategoriesJson> {
    await this.ensureDefaults(this.dataSource, userId, teamId);
    const categories = await this.populate(this.dataSource, userId, teamId);
    return { categories, order: categories.map((c) => c.id) };
  }

  async get(userId: string, teamId: string, categoryId: string): Promise<SidebarCategoryJson> {
    const category = (await this.list(userId, teamId)).categories.find((c) => c.id === categoryId);
    // Mattermost answers a category of someone else (or none) as a permission error, not a 404.
    if (!category) throw AppError.forbidden(Permission.EditOtherUsers);
    return category;
  }

  async order(userId: string, teamId: string): Promise<string[]> {
    return (await this.list(userId, teamId)).order;
  }

  /**
   * A custom category, placed as Mattermost places it: right after Favorites when Favorites is first, otherwise first
   * (the categories are renumbered). The channels given move into it.
   */
  async create(userId: string, teamId: string, body: unknown): Promise<SidebarCategoryJson> {
    const input = parseCategoryInput(body);
    if (input.user_id !== userId || input.team_id !== teamId) throw AppError.invalidParam('category');
    const displayName = validDisplayName(input.display_name);
    if (input.sorting !== undefined) validSorting(input.sorting);
    const id = newId();
    const created = await this.dataSource.transaction(async (tx) => {
      await this.ensureDefaults(tx, userId, teamId);
      const order = (await this.categoryRows(tx, userId, teamId)).map((c) => ({ id: c.id, type: c.type }));
      await tx.query(
        `INSERT INTO sidebar_categories (id, user_id, team_id, sort_order, sorting, type, display_name, muted, collapsed)
         VALUES ($1, $2, $3, 0, $4, 'custom', $5, $6, $7)`,
        [id, userId, teamId, input.sorting ?? '', displayName, input.muted ?? false, input.collapsed ?? false],
      );
      const at = order[0]?.type === CategoryType.Favorites ? 1 : 0;
      await this.renumber(tx, [...order.slice(0, at).map((c) => c.id), id, ...order.slice(at).map((c) => c.id)]);
      const channelIds = await this.memberChannelIds(tx, userId, teamId, input.channel_ids ?? []);
      await this.placeChannels(tx, userId, teamId, id, channelIds);
      return (await this.populate(tx, userId, teamId)).find((c) => c.id === id);
    });
    if (!created) throw categoryError(500);
    this.events.toUserAbout(userId, { team_id: teamId }, WsEvent.SidebarCategoryCreated, { category_id: id });
    return created;
  }

  /**
   * Updates categories of the user in the team (Mattermost's bulk update): type never changes, a default category
   * keeps its name, and `channel_ids` (if sent) becomes the category's channels, in that order, taken out of any other
   * category. Channels the user is not a member of are dropped, as Mattermost does.
   */
  async update(userId: string, teamId: string, body: unknown): Promise<SidebarCategoryJson[]> {
    if (!Array.isArray(body) || body.length === 0) throw AppError.invalidParam('category');
    const inputs = body.map(parseCategoryInput);
    return this.applyUpdates(userId, teamId, inputs);
  }

  /** One category, by id in the path; the body names the same user and team. */
  async updateOne(userId: string, teamId: string, categoryId: string, body: unknown): Promise<SidebarCategoryJson> {
    const input = parseCategoryInput(body);
    if (input.user_id !== userId || input.team_id !== teamId) throw AppError.invalidParam('category');
    await this.get(userId, teamId, categoryId);
    return (await this.applyUpdates(userId, teamId, [{ ...input, id: categoryId }]))[0];
  }

  /** Deletes a custom category; its channels go back to their default category. */
  async delete(userId: string, teamId: string, categoryId: string): Promise<void> {
    const category = await this.get(userId, teamId, categoryId);
    if (category.type !== CategoryType.Custom) throw categoryError(400);
    await this.dataSource.query('DELETE FROM sidebar_categories WHERE id = $1 AND user_id = $2 AND team_id = $3', [
      categoryId,
      userId,
      teamId,
    ]);
    this.events.toUserAbout(userId, { team_id: teamId }, WsEvent.SidebarCategoryDeleted, { category_id: categoryId });
  }

  /** Reorders the categories: the body lists every category of the user in the team exactly once. */
  async setOrder(userId: string, teamId: string, body: unknown): Promise<string[]> {
    if (!Array.isArray(body) || !body.every((id): id is string => typeof id === 'string')) throw AppError.invalidParam('category');
    const order = body;
    await this.dataSource.transaction(async (tx) => {
      await this.ensureDefaults(tx, userId, teamId);
      const existing = await this.categoryRows(tx, userId, teamId);
      const known = new Set(existing.map((c) => c.id));
      if (!order.every((id) => known.has(id))) throw AppError.invalidParam('category');
      if (new Set(order).size !== order.length || order.length !== existing.length) throw categoryError(400);
      await this.renumber(tx, order);
    });
    this.events.toUserAbout(userId, { team_id: teamId }, WsEvent.SidebarCategoryOrderUpdated, { order });
    return order;
  }

  /**
   * Follows `favorite_channel` preferences into the favourites categories: a team channel in its team, a DM or GM
   * in every team of the user. `favorite` false takes the channels out of favourites (back to their default).
   * Sends `sidebar_category_updated` with the default categories of each team whose favourites changed.
   */
  async applyFavoritePreferences(userId: string, channelIds: string[], favorite: boolean): Promise<void> {
    if (channelIds.length === 0) return;
    const changedTeams = await this.dataSource.transaction(async (tx) => {
      const channels: MemberChannel[] = await tx.query(
        `SELECT c.id, c.type, c.team_id, c.display_name, c.delete_at > 0 AS archived FROM channels c
           JOIN channel_members m ON m.channel_id = c.id AND m.user_id = $1
          WHERE c.id = ANY($2)`,
        [userId, channelIds],
      );
      const teams: { team_id: string }[] = await tx.query('SELECT team_id FROM team_members WHERE user_id = $1 AND delete_at = 0', [
        userId,
      ]);
      const changed = new Set<string>();
      for (const { team_id: teamId } of teams) {
        const inTeam = channels.filter((c) => c.team_id === teamId || c.type === 'D' || c.type === 'G').map((c) => c.id);
        if (inTeam.length === 0) continue;
        // New defaults start from the preferences just saved, so the favourites are already there: still a change.
        const madeNow = await this.ensureDefaults(tx, userId, teamId);
        const favoritesId = defaultCategoryId(CategoryType.Favorites, userId, teamId);
        const placed: { channel_id: string }[] = await tx.query(
          'SELECT channel_id FROM sidebar_channels WHERE category_id = $1 AND channel_id = ANY($2)',
          [favoritesId, inTeam],
        );
        const isFavorite = new Set(placed.map((p) => p.channel_id));
        const toChange = inTeam.filter((id) => isFavorite.has(id) !== favorite);
        if (madeNow) changed.add(teamId);
        if (toChange.length === 0) continue;
        if (favorite) await this.placeChannels(tx, userId, teamId, favoritesId, toChange, 'prepend');
        else await tx.query('DELETE FROM sidebar_channels WHERE category_id = $1 AND channel_id = ANY($2)', [favoritesId, toChange]);
        changed.add(teamId);
      }
      const out: { teamId: string; categories: SidebarCategoryJson[] }[] = [];
      for (const teamId of changed) out.push({ teamId, categories: await this.populate(tx, userId, teamId) });
      return out;
    });
    for (const { teamId, categories } of changedTeams) {
      const updated = categories.filter(
        (c) => c.type === CategoryType.Favorites || c.type === CategoryType.Channels || c.type === CategoryType.DirectMessages,
      );
      this.events.toUserAbout(userId, { team_id: teamId }, WsEvent.SidebarCategoryUpdated, { updatedCategories: JSON.stringify(updated) });
    }
  }

  private async applyUpdates(userId: string, teamId: string, inputs: CategoryInput[]): Promise<SidebarCategoryJson[]> {
    const favoriteChanges = { added: [] as string[], removed: [] as string[] };
    const members: ChannelMember[] = [];
    const updated = await this.dataSource.transaction(async (tx) => {
      await this.ensureDefaults(tx, userId, teamId);
      const existing = new Map((await this.categoryRows(tx, userId, teamId)).map((c) => [c.id, c]));
      const before = await this.populate(tx, userId, teamId);
      const favoritesBefore = new Set(before.find((c) => c.type === CategoryType.Favorites)?.channel_ids ?? []);
      for (const input of inputs) {
        const current = input.id === undefined ? undefined : existing.get(input.id);
        if (!current) throw AppError.invalidParam('category');
        const displayName =
          current.type === CategoryType.Custom && input.display_name !== undefined
            ? validDisplayName(input.display_name)
            : current.display_name;
        const sorting = input.sorting !== undefined ? validSorting(input.sorting) : current.sorting;
        // As in Mattermost, the direct-messages category can be neither muted nor reordered by hand.
        const direct = current.type === CategoryType.DirectMessages;
        await tx.query('UPDATE sidebar_categories SET display_name = $1, sorting = $2, muted = $3, collapsed = $4 WHERE id = $5', [
          displayName,
          sorting,
          direct ? current.muted : (input.muted ?? current.muted),
          input.collapsed ?? current.collapsed,
          current.id,
        ]);
        if (input.channel_ids !== undefined && !direct) {
          const channelIds = await this.memberChannelIds(tx, userId, teamId, input.channel_ids);
          await tx.query('DELETE FROM sidebar_channels WHERE category_id = $1', [current.id]);
          await this.placeChannels(tx, userId, teamId, current.id, channelIds);
        }
      }
      const after = await this.populate(tx, userId, teamId);
      const favoritesAfter = new Set(after.find((c) => c.type === CategoryType.Favorites)?.channel_ids ?? []);
      favoriteChanges.added = [...favoritesAfter].filter((id) => !favoritesBefore.has(id));
      favoriteChanges.removed = [...favoritesBefore].filter((id) => !favoritesAfter.has(id));
      await this.syncFavoritePreferences(tx, userId, favoriteChanges.added, favoriteChanges.removed);
      const { mute, unmute } = channelsToMute(before, after);
      members.push(...(await this.setMuted(tx, userId, mute, true)), ...(await this.setMuted(tx, userId, unmute, false)));
      // In the order they were sent, as Mattermost answers.
      const byId = new Map(after.map((c) => [c.id, c]));
      return inputs.map((i) => byId.get(i.id ?? '')).filter((c): c is SidebarCategoryJson => c !== undefined);
    });
    for (const member of members) {
      this.events.toUser(userId, WsEvent.ChannelMemberUpdated, { channelMember: JSON.stringify(toChannelMemberJson(member)) });
    }
    this.events.toUserAbout(userId, { team_id: teamId }, WsEvent.SidebarCategoryUpdated, { updatedCategories: JSON.stringify(updated) });
    this.publishFavoritePreferences(userId, favoriteChanges.added, favoriteChanges.removed);
    // A DM or GM is a favourite in every team, as in Mattermost (team channels are already where they belong).
    await this.applyFavoritePreferences(userId, favoriteChanges.added, true);
    await this.applyFavoritePreferences(userId, favoriteChanges.removed, false);
    return updated;
  }

  /** Gives the categories, in this order, the sort orders 0, 10, 20, … */
  private async renumber(tx: EntityManager, order: string[]): Promise<void> {
    await tx.query(
      `UPDATE sidebar_categories k SET sort_order = (t.ordinality - 1) * $2
         FROM UNNEST($1::varchar[]) WITH ORDINALITY AS t(id, ordinality) WHERE k.id = t.id`,
      [order, SORT_DISTANCE],
    );
  }

  /** Mattermost's muted category: its channels notify only on mentions (`mark_unread`), and back to `all` when unmuted. */
  private async setMuted(tx: EntityManager, userId: string, channelIds: string[], muted: boolean): Promise<ChannelMember[]> {
    if (channelIds.length === 0) return [];
    await tx.query(
      `UPDATE channel_members SET notify_props = notify_props || jsonb_build_object('mark_unread', $3::text), last_update_at = $4
        WHERE user_id = $1 AND channel_id = ANY($2)`,
      [userId, channelIds, muted ? 'mention' : 'all', Date.now()],
    );
    return tx.getRepository(ChannelMember).findBy({ user_id: userId, channel_id: In(channelIds) });
  }

  /** Mattermost keeps favourites also as preferences; a favourite moved in the sidebar updates them. */
  private async syncFavoritePreferences(tx: EntityManager, userId: string, added: string[], removed: string[]): Promise<void> {
    for (const channelId of added) {
      await tx.query(
        `INSERT INTO preferences (user_id, category, name, value) VALUES ($1, $2, $3, 'true')
         ON CONFLICT (user_id, category, name) DO UPDATE SET value = 'true'`,
        [userId, FAVORITE_CHANNEL_CATEGORY, channelId],
      );
    }
    if (removed.length > 0) {
      await tx.query('DELETE FROM preferences WHERE user_id = $1 AND category = $2 AND name = ANY($3)', [
        userId,
        FAVORITE_CHANNEL_CATEGORY,
        removed,
      ]);
    }
  }

  private publishFavoritePreferences(userId: string, added: string[], removed: string[]): void {
    const prefs = (ids: string[], value: string) =>
      ids.map((name) => ({ user_id: userId, category: FAVORITE_CHANNEL_CATEGORY, name, value }));
    if (added.length > 0) this.events.toUser(userId, WsEvent.PreferencesChanged, { preferences: JSON.stringify(prefs(added, 'true')) });
    if (removed.length > 0) this.events.toUser(userId, WsEvent.PreferencesDeleted, { preferences: JSON.stringify(prefs(removed, 'true')) });
  }

  /**
   * The three default categories of the user in the team, if missing (lazily, on first use; concurrent first uses
   * conflict on the deterministic ids). Favourites start from the `favorite_channel` preferences, as in Mattermost.
   * True when this call made them.
   */
  private async ensureDefaults(q: Queryable, userId: string, teamId: string): Promise<boolean> {
    const favoritesId = defaultCategoryId(CategoryType.Favorites, userId, teamId);
    const created: { id: string }[] = await q.query(
      `INSERT INTO sidebar_categories (id, user_id, team_id, sort_order, sorting, type, display_name)
       SELECT * FROM UNNEST($1::varchar[], $2::varchar[], $3::varchar[], $4::bigint[], $5::varchar[], $6::varchar[], $7::varchar[])
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [
        DEFAULT_CATEGORIES.map((c) => defaultCategoryId(c.type, userId, teamId)),
        DEFAULT_CATEGORIES.map(() => userId),
        DEFAULT_CATEGORIES.map(() => teamId),
        DEFAULT_CATEGORIES.map((_, i) => i * SORT_DISTANCE),
        DEFAULT_CATEGORIES.map((c) => c.sorting),
        DEFAULT_CATEGORIES.map((c) => c.type),
        DEFAULT_CATEGORIES.map((c) => c.display_name),
      ],
    );
    if (!created.some((c) => c.id === favoritesId)) return false;
    await q.query(
      `INSERT INTO sidebar_channels (category_id, channel_id, user_id, sort_order)
       SELECT $1, c.id, $2, 0 FROM preferences p
         JOIN channels c ON c.id = p.name AND (c.team_id = $3 OR c.type IN ('D', 'G'))
         JOIN channel_members m ON m.channel_id = c.id AND m.user_id = $2
        WHERE p.user_id = $2 AND p.category = $4 AND p.value <> 'false'
       ON CONFLICT DO NOTHING`,
      [favoritesId, userId, teamId, FAVORITE_CHANNEL_CATEGORY],
    );
    return true;
  }

  private async categoryRows(q: Queryable, userId: string, teamId: string): Promise<SidebarCategory[]> {
    const rows: (SidebarCategory & { sort_order: string })[] = await q.query(
      'SELECT * FROM sidebar_categories WHERE user_id = $1 AND team_id = $2 ORDER BY sort_order, id',
      [userId, teamId],
    );
    return rows.map((r) => ({ ...r, sort_order: Number(r.sort_order) }));
  }

  /** The channels of the user's sidebar in this team: their team channels and every DM and GM. */
  private async memberChannels(q: Queryable, userId: string, teamId: string): Promise<MemberChannel[]> {
    return q.query(
      `SELECT c.id, c.type, c.team_id, c.display_name, c.delete_at > 0 AS archived FROM channel_members m JOIN channels c ON c.id = m.channel_id
        WHERE m.user_id = $1 AND (c.team_id = $2 OR c.type IN ('D', 'G'))
        ORDER BY c.display_name, c.id`,
      [userId, teamId],
    );
  }

  private async memberChannelIds(q: Queryable, userId: string, teamId: string, wanted: string[]): Promise<string[]> {
    if (!wanted.every((id) => typeof id === 'string')) throw AppError.invalidParam('category');
    const member = new Set((await this.memberChannels(q, userId, teamId)).map((c) => c.id));
    return [...new Set(wanted)].filter((id) => member.has(id));
  }

  /** Puts channels into a category (after or before what is there), taking them out of the user's other categories in the team. */
  private async placeChannels(
    tx: EntityManager,
    userId: string,
    teamId: string,
    categoryId: string,
    channelIds: string[],
    where: 'append' | 'prepend' = 'append',
  ): Promise<void> {
    if (channelIds.length === 0) return;
    await tx.query(
      `DELETE FROM sidebar_channels s USING sidebar_categories k
        WHERE k.id = s.category_id AND k.user_id = $1 AND k.team_id = $2 AND s.channel_id = ANY($3) AND s.category_id <> $4`,
      [userId, teamId, channelIds, categoryId],
    );
    const [{ low, high }] = (await tx.query(
      'SELECT COALESCE(MIN(sort_order), 0) AS low, COALESCE(MAX(sort_order), 0) AS high FROM sidebar_channels WHERE category_id = $1',
      [categoryId],
    )) as { low: string; high: string }[];
    const start = where === 'append' ? Number(high) + SORT_DISTANCE : Number(low) - SORT_DISTANCE * channelIds.length;
    await tx.query(
      `INSERT INTO sidebar_channels (category_id, channel_id, user_id, sort_order)
       SELECT $1, channel_id, $2, $3::bigint + (ordinality - 1) * $4 FROM UNNEST($5::varchar[]) WITH ORDINALITY AS t(channel_id, ordinality)
       ON CONFLICT (category_id, channel_id) DO UPDATE SET sort_order = EXCLUDED.sort_order`,
      [categoryId, userId, start, SORT_DISTANCE, channelIds],
    );
  }

  /**
   * The categories with their channels: in the default channels and direct-messages categories first every member
   * channel placed nowhere (not archived), by name, as Mattermost lists them; then what the user placed (still a member).
   */
  private async populate(q: Queryable, userId: string, teamId: string): Promise<SidebarCategoryJson[]> {
    const categories = await this.categoryRows(q, userId, teamId);
    const channels = await this.memberChannels(q, userId, teamId);
    const member = new Set(channels.map((c) => c.id));
    const placedRows: { category_id: string; channel_id: string }[] = await q.query(
      `SELECT s.category_id, s.channel_id FROM sidebar_channels s JOIN sidebar_categories k ON k.id = s.category_id
        WHERE k.user_id = $1 AND k.team_id = $2 ORDER BY s.sort_order, s.channel_id`,
      [userId, teamId],
    );
    const placed = new Map<string, string[]>();
    const placedAnywhere = new Set<string>();
    for (const row of placedRows) {
      if (!member.has(row.channel_id)) continue;
      placed.set(row.category_id, [...(placed.get(row.category_id) ?? []), row.channel_id]);
      placedAnywhere.add(row.channel_id);
    }
    // Archived channels stay where the user placed them but are not added to a default category (as Mattermost).
    const unplaced = channels.filter((c) => !placedAnywhere.has(c.id) && !c.archived);
    const unplacedTeamChannels = unplaced.filter((c) => c.type === 'O' || c.type === 'P').map((c) => c.id);
    const unplacedDirect = unplaced.filter((c) => c.type === 'D' || c.type === 'G').map((c) => c.id);
    return categories.map((c) => {
      const explicit = placed.get(c.id) ?? [];
      const implicit =
        c.type === CategoryType.Channels ? unplacedTeamChannels : c.type === CategoryType.DirectMessages ? unplacedDirect : [];
      return {
        id: c.id,
        user_id: c.user_id,
        team_id: c.team_id,
        sort_order: c.sort_order,
        sorting: c.sorting,
        type: c.type,
        display_name: c.display_name,
        muted: c.muted,
        collapsed: c.collapsed,
        channel_ids: [...implicit, ...explicit],
      };
    });
  }
}

/**
 * Which channels an update mutes or unmutes, as Mattermost decides it: all channels of a category that became muted
 * (or unmuted), and a channel moved from an unmuted category into a muted one (or the other way).
 */
export function channelsToMute(before: SidebarCategoryJson[], after: SidebarCategoryJson[]): { mute: string[]; unmute: string[] } {
  const mute = new Set<string>();
  const unmute = new Set<string>();
  const beforeById = new Map(before.map((c) => [c.id, c]));
  const categoryOfBefore = new Map(before.flatMap((c) => c.channel_ids.map((id) => [id, c] as const)));
  for (const category of after) {
    const was = beforeById.get(category.id);
    if (was && category.muted !== was.muted) {
      for (const id of category.channel_ids) (category.muted ? mute : unmute).add(id);
      continue;
    }
    for (const id of category.channel_ids) {
      const from = categoryOfBefore.get(id);
      if (!from || from.id === category.id || from.muted === category.muted) continue;
      (category.muted ? mute : unmute).add(id);
    }
  }
  return { mute: [...mute], unmute: [...unmute] };
}

/** A category from a request body; wrong types are a 400, as Mattermost's JSON decoding makes them. */
export function parseCategoryInput(body: unknown): CategoryInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw AppError.invalidParam('category');
  const b = body as Record<string, unknown>;
  const input: CategoryInput = {};
  for (const key of ['id', 'user_id', 'team_id', 'sorting', 'display_name'] as const) {
    const value = b[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw AppError.invalidParam('category');
    input[key] = value;
  }
  for (const key of ['muted', 'collapsed'] as const) {
    const value = b[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'boolean') throw AppError.invalidParam('category');
    input[key] = value;
  }
  const channelIds = b.channel_ids;
  if (channelIds !== undefined && channelIds !== null) {
    if (!Array.isArray(channelIds) || !channelIds.every((id) => typeof id === 'string')) throw AppError.invalidParam('category');
    input.channel_ids = channelIds;
  }
  return input;
}

function validDisplayName(name: string | undefined): string {
  const trimmed = name?.trim() ?? '';
  if (trimmed === '' || [...trimmed].length > DISPLAY_NAME_MAX_LENGTH) {
    throw AppError.badRequest(
      'model.category.is_valid.display_name.app_error',
      `A category needs a display name of 1 to ${DISPLAY_NAME_MAX_LENGTH} characters.`,
    );
  }
  return trimmed;
}

function validSorting(sorting: string): string {
  if (!(CATEGORY_SORTINGS as readonly string[]).includes(sorting)) throw AppError.invalidParam('category.sorting');
  return sorting;
}

/** Mattermost's category ids: a default's `<type>_<user_id>_<team_id>` or a custom one's id. */
export function isValidCategoryId(id: string): boolean {
  return id.length > 0 && id.length <= 128 && /^[a-z0-9_]+$/.test(id);
}
