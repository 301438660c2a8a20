import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AppError } from '@fedchat/common';
import { CHANNEL_MODERATIONS, ChannelModerationName, isChannelModerationName } from '@fedchat/chat';

/** Mattermost's ChannelModeratedRole: `value` whether the role holds it here, `enabled` whether it may (the team or system scheme grants it). */
export class ChannelModeratedRoleJson {
  @ApiProperty() value: boolean;
  @ApiProperty() enabled: boolean;
}

export class ChannelModeratedRolesJson {
  @ApiProperty({ type: ChannelModeratedRoleJson, nullable: true, description: 'Always null: the suite has no guest accounts' })
  guests: ChannelModeratedRoleJson | null;
  @ApiProperty({ type: ChannelModeratedRoleJson }) members: ChannelModeratedRoleJson;
}

/** Mattermost's ChannelModeration. */
export class ChannelModerationJson {
  @ApiProperty({ enum: CHANNEL_MODERATIONS }) name: ChannelModerationName;
  @ApiProperty({ type: ChannelModeratedRolesJson }) roles: ChannelModeratedRolesJson;
}

export class ChannelModeratedRolesPatchJson {
  @ApiPropertyOptional() members?: boolean;
  @ApiPropertyOptional({ description: 'No guest accounts here: false changes nothing, true is refused' }) guests?: boolean;
}

/** Mattermost's ChannelModerationPatch (the body of the patch is an array of these). */
export class ChannelModerationPatchJson {
  @ApiProperty({ enum: CHANNEL_MODERATIONS }) name: ChannelModerationName;
  @ApiProperty({ type: ChannelModeratedRolesPatchJson }) roles: ChannelModeratedRolesPatchJson;
}

export interface ChannelModerationPatch {
  name: ChannelModerationName;
  members?: boolean;
  guests?: boolean;
}

/** More entries than this cannot be a patch of four switches. */
const PATCH_ENTRIES_MAX = 16;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalBoolean(roles: Record<string, unknown>, key: 'members' | 'guests'): boolean | undefined {
  const value = roles[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw AppError.invalidParam(`roles.${key}`);
  return value;
}

/** Reads the patch body (an array of ChannelModerationPatch), refusing what is not one with a 400. */
export function parseModerationsPatch(body: unknown): ChannelModerationPatch[] {
  if (!Array.isArray(body) || body.length === 0 || body.length > PATCH_ENTRIES_MAX)
    throw AppError.invalidParam('channel_moderations_patch');
  return body.map((entry: unknown) => {
    if (!isObject(entry)) throw AppError.invalidParam('channel_moderations_patch');
    if (!isChannelModerationName(entry.name)) {
      throw AppError.badRequest(
        'api.channel.patch_channel_moderations.invalid_name.app_error',
        `Unknown channel moderation: the names are ${CHANNEL_MODERATIONS.join(', ')}.`,
      );
    }
    if (!isObject(entry.roles)) throw AppError.invalidParam('roles');
    return { name: entry.name, members: optionalBoolean(entry.roles, 'members'), guests: optionalBoolean(entry.roles, 'guests') };
  });
}
