import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ChannelAccess, hasPermission, Permission, WebSocketEvents, WsEvent } from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import { isValidId } from '@fedchat/crypto';
import type { User } from '@fedchat/models';
import { DataSource } from 'typeorm';
import { invalidUrlParam } from '../http/user-id-param';
import { FAVORITE_CHANNEL_CATEGORY, SidebarCategoriesService } from '../sidebar-categories/sidebar-categories.service';
import { PreferenceJson } from './preferences.dto';

/** Mattermost's limits (model/preference.go). */
const CATEGORY_MAX_LENGTH = 32;
const NAME_MAX_LENGTH = 32;
const VALUE_MAX_LENGTH = 20000;
const MAX_LIMIT_VISIBLE_DMS_GMS = 40;
/** The category of saved posts: the name is a post id the user must be able to read. */
const FLAGGED_POST_CATEGORY = 'flagged_post';
/** Mattermost routes only these characters to the category and name path segments. */
const PATH_SEGMENT = /^[A-Za-z0-9_]+$/;

function invalid(field: string, detail: string): AppError {
  return new AppError(`model.preference.is_valid.${field}.app_error`, `Invalid preference ${field}.`, 400, detail);
}

/** Mattermost's Preference.IsValid, after decoding (which makes a missing field ''). */
function validate(p: PreferenceJson): void {
  if (!isValidId(p.user_id)) throw invalid('id', `user_id=${p.user_id}`);
  if (p.category === '' || p.category.length > CATEGORY_MAX_LENGTH) throw invalid('category', `category=${p.category}`);
  if (p.name.length > NAME_MAX_LENGTH) throw invalid('name', `name=${p.name}`);
  if ([...p.value].length > VALUE_MAX_LENGTH) throw invalid('value', 'value too long');
  if (p.category === 'theme') {
    let theme: unknown;
    try {
      theme = JSON.parse(p.value);
    } catch {
      throw invalid('theme', 'value is not JSON');
    }
    if (typeof theme !== 'object' || theme === null || Array.isArray(theme) || !Object.values(theme).every((v) => typeof v === 'string')) {
      throw invalid('theme', 'value is not a JSON object of strings');
    }
  }
  if (p.category === 'sidebar_settings' && p.name === 'limit_visible_dms_gms') {
    const limit = /^\d+$/.test(p.value) ? Number(p.value) : NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT_VISIBLE_DMS_GMS)) throw invalid('limit_visible_dms_gms', `value=${p.value}`);
  }
}

/** A JSON array of preferences as Mattermost decodes it: objects of string fields, absent ones ''. */
function parsePreferences(body: unknown): PreferenceJson[] {
  if (!Array.isArray(body)) throw AppError.invalidParam('preferences');
  return body.map((item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw AppError.invalidParam('preferences');
    const fields = item as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const key of ['user_id', 'category', 'name', 'value'] as const) {
      const value = fields[key] ?? '';
      if (typeof value !== 'string') throw AppError.invalidParam('preferences');
      out[key] = value;
    }
    return out as unknown as PreferenceJson;
  });
}

/**
 * User preferences (Mattermost /api/v4/users/{user_id}/preferences): only the user themself, or whoever may edit other
 * users, reads or writes them; each change reaches the user's sessions as `preferences_changed`/`preferences_deleted`.
 * `favorite_channel` preferences move channels in and out of the favourites sidebar category.
 */
@Injectable()
export class PreferencesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: WebSocketEvents,
    private readonly access: ChannelAccess,
    private readonly sidebar: SidebarCategoriesService,
  ) {}

  requireAccess(caller: User, userId: string): void {
    if (caller.id !== userId && !hasPermission(caller.roles, Permission.EditOtherUsers))
      throw AppError.forbidden(Permission.EditOtherUsers);
  }

  async all(userId: string): Promise<PreferenceJson[]> {
    return this.dataSource.query('SELECT user_id, category, name, value FROM preferences WHERE user_id = $1 ORDER BY category, name', [
      userId,
    ]);
  }

  async byCategory(userId: string, category: string): Promise<PreferenceJson[]> {
    if (!PATH_SEGMENT.test(category)) throw invalidUrlParam('category');
    return this.dataSource.query(
      'SELECT user_id, category, name, value FROM preferences WHERE user_id = $1 AND category = $2 ORDER BY name',
      [userId, category],
    );
  }

  async one(userId: string, category: string, name: string): Promise<PreferenceJson> {
    if (!PATH_SEGMENT.test(category)) throw invalidUrlParam('category');
    if (!PATH_SEGMENT.test(name)) throw invalidUrlParam('preference_name');
    const rows: PreferenceJson[] = await this.dataSource.query(
      'SELECT user_id, category, name, value FROM preferences WHERE user_id = $1 AND category = $2 AND name = $3',
      [userId, category, name],
    );
    if (rows.length === 0) throw new AppError('app.preference.get.app_error', 'Unable to find the preference.', 404);
    return rows[0];
  }

  /** Saves (inserts or replaces) the preferences; every one must be the path user's. */
  async save(caller: User, userId: string, body: unknown): Promise<void> {
    const preferences = parsePreferences(body);
    for (const p of preferences) {
      if (p.user_id !== userId) {
        throw new AppError('api.preference.update_preferences.set.app_error', 'Unable to set preferences for another user.', 403);
      }
      validate(p);
      if (p.category === FLAGGED_POST_CATEGORY) await this.requireReadablePost(caller, p.name);
    }
    if (preferences.length === 0) return;
    await this.dataSource.transaction(async (tx) => {
      for (const p of preferences) {
        await tx.query(
          `INSERT INTO preferences (user_id, category, name, value) VALUES ($1, $2, $3, $4)
           ON CONFLICT (user_id, category, name) DO UPDATE SET value = EXCLUDED.value`,
          [p.user_id, p.category, p.name, p.value],
        );
      }
    });
    this.events.toUser(userId, WsEvent.PreferencesChanged, { preferences: JSON.stringify(preferences) });
    // As Mattermost: only "false" takes a channel out of favourites; any other value makes it one.
    const favorites = preferences.filter((p) => p.category === FAVORITE_CHANNEL_CATEGORY);
    const unfavorite = (p: PreferenceJson) => p.value === 'false';
    await this.sidebar.applyFavoritePreferences(
      userId,
      favorites.filter((p) => !unfavorite(p)).map((p) => p.name),
      true,
    );
    await this.sidebar.applyFavoritePreferences(
      userId,
      favorites.filter(unfavorite).map((p) => p.name),
      false,
    );
  }

  async delete(userId: string, body: unknown): Promise<void> {
    const preferences = parsePreferences(body);
    for (const p of preferences) {
      if (p.user_id !== userId) {
        throw new AppError('api.preference.delete_preferences.delete.app_error', 'Unable to delete preferences for another user.', 403);
      }
    }
    if (preferences.length === 0) return;
    await this.dataSource.transaction(async (tx) => {
      for (const p of preferences) {
        await tx.query('DELETE FROM preferences WHERE user_id = $1 AND category = $2 AND name = $3', [p.user_id, p.category, p.name]);
      }
    });
    this.events.toUser(userId, WsEvent.PreferencesDeleted, { preferences: JSON.stringify(preferences) });
    const unfavorited = preferences.filter((p) => p.category === FAVORITE_CHANNEL_CATEGORY).map((p) => p.name);
    await this.sidebar.applyFavoritePreferences(userId, unfavorited, false);
  }

  /** Saving a post takes being able to read it (Mattermost: 400 for an unknown post, 403 for one out of reach). */
  private async requireReadablePost(caller: User, postId: string): Promise<void> {
    const rows: { channel_id: string }[] = isValidId(postId)
      ? await this.dataSource.query('SELECT channel_id FROM posts WHERE id = $1 AND delete_at = 0', [postId])
      : [];
    if (rows.length === 0) throw AppError.invalidParam('preference.name');
    if (!(await this.access.canRead(caller, await this.access.channelOrThrow(rows[0].channel_id)))) {
      throw AppError.forbidden(Permission.ReadChannel);
    }
  }
}
