import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsNumber, IsObject, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

/** Mattermost's username rule: 3–22 characters, starts with a letter, then letters, digits, '.', '-', '_'. */
export const USERNAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9.\-_]{2,21}$/;

export class CreateUserBody {
  @ApiProperty()
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3-22 characters: a letter, then letters, digits, ., - or _' })
  username: string;
  @ApiProperty() @IsEmail() @MaxLength(128) email: string;
  @ApiProperty() @IsString() password: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) first_name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) last_name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) nickname?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(128) position?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(32) locale?: string;
}

export class LoginBody {
  @ApiProperty() @IsString() @Length(1, 128) login_id: string;
  @ApiProperty() @IsString() @MaxLength(128) password: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) device_id?: string;
  @ApiPropertyOptional({ description: 'MFA token (MFA is not supported)' }) @IsOptional() @IsString() token?: string;
}

export class PatchUserBody {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(USERNAME_PATTERN) username?: string;
  @ApiPropertyOptional() @IsOptional() @IsEmail() @MaxLength(128) email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) first_name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) last_name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) nickname?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(128) position?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(32) locale?: string;
  @ApiPropertyOptional() @IsOptional() @IsObject() timezone?: Record<string, string>;
  @ApiPropertyOptional() @IsOptional() @IsObject() props?: Record<string, string>;
  @ApiPropertyOptional() @IsOptional() @IsObject() notify_props?: Record<string, string>;
  @ApiPropertyOptional({ description: 'the current password; required to change one’s own email' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  password?: string;
}

export const STATUSES = ['online', 'away', 'dnd', 'offline'] as const;

export class UpdateStatusBody {
  @ApiProperty() @IsString() user_id: string;
  @ApiProperty({ enum: STATUSES }) @IsIn(STATUSES) status: (typeof STATUSES)[number];
  @ApiPropertyOptional({ description: 'Unix seconds when DND ends' }) @IsOptional() @IsNumber() dnd_end_time?: number;
}

/** Mattermost's `PUT /users/{id}/roles`: the user's system roles, space-separated (e.g. `system_user system_admin`). */
export class UpdateUserRolesBody {
  @ApiProperty({ example: 'system_user system_admin' }) @IsString() @MaxLength(256) roles: string;
}

export class UpdateActiveBody {
  @ApiProperty() @IsBoolean() active: boolean;
}

/** Mattermost's password change: the user gives the current password; a system admin setting another's gives none. */
export class UpdatePasswordBody {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1024) current_password?: string;
  @ApiProperty() @IsString() @MaxLength(1024) new_password: string;
}

export class CreateAccessTokenBody {
  @ApiProperty() @IsString() @Length(1, 512) description: string;
}

export class RevokeAccessTokenBody {
  @ApiProperty() @IsString() token_id: string;
}

export class UserJson {
  @ApiProperty() id: string;
  @ApiProperty() username: string;
  @ApiProperty() email: string;
  @ApiProperty() roles: string;
  @ApiProperty() create_at: number;
  @ApiProperty() update_at: number;
  @ApiProperty() delete_at: number;
  @ApiProperty() first_name: string;
  @ApiProperty() last_name: string;
  @ApiProperty() nickname: string;
  @ApiProperty() position: string;
  @ApiProperty() locale: string;
  @ApiPropertyOptional() remote_id?: string;
}

/** Admin-only: what this server keeps about a remote user's origin (never part of the user JSON). */
export class RemoteOriginJson {
  @ApiProperty() user_id: string;
  @ApiProperty({ description: 'the connection that owns the user here; empty for a local user' }) remote_id: string;
  @ApiProperty({ description: 'the connection the user first came from (differs from remote_id when relayed)' })
  original_remote_id: string;
  @ApiProperty({ description: 'the username at the origin, before munging' }) remote_username: string;
  @ApiProperty({ description: 'the real email the origin sent, if any' }) remote_email: string;
}

export class StatusJson {
  @ApiProperty() user_id: string;
  @ApiProperty({ enum: STATUSES }) status: string;
  @ApiProperty() manual: boolean;
  @ApiProperty() last_activity_at: number;
  @ApiPropertyOptional() dnd_end_time?: number;
}

export class OkJson {
  @ApiProperty({ example: 'OK' }) status: string;
}

/** Mattermost's `UserSearch` (`POST /users/search`); `limit` 1..100, default 100. */
export class SearchUsersBody {
  @ApiProperty({ description: 'Prefix of a username, nickname, first or last name (names and email only where visible)' })
  @IsString()
  @MaxLength(64)
  term: string;
  @ApiPropertyOptional() @IsOptional() @IsString() team_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() not_in_team_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() in_channel_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() not_in_channel_id?: string;
  @ApiPropertyOptional({ description: 'deactivated users too' }) @IsOptional() @IsBoolean() allow_inactive?: boolean;
  @ApiPropertyOptional({ description: 'only users in no team' }) @IsOptional() @IsBoolean() without_team?: boolean;
  @ApiPropertyOptional({ default: 100, maximum: 100 }) @IsOptional() @IsNumber() limit?: number;
}

export class UserAutocompleteJson {
  @ApiProperty({ type: [UserJson] }) users: UserJson[];
  @ApiPropertyOptional({ type: [UserJson], description: 'With in_channel: team members outside the channel' })
  out_of_channel?: UserJson[];
}

export class AttachDeviceBody {
  @ApiProperty({ description: 'The push device id, e.g. `android_rn-v2:<token>`' }) @IsString() @Length(1, 512) device_id: string;
}
