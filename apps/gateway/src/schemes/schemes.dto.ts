import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import type { Scheme } from '@fedchat/models';
import { PageQuery } from '../http/page-query';

/** Mattermost's scheme name rule: 1–64 of a-z, 0-9, `_` and `-`. */
const SCHEME_NAME = /^[a-z0-9_-]{1,64}$/;

export class CreateSchemeBody {
  @ApiPropertyOptional({ description: 'Generated when absent' }) @IsOptional() @IsString() @Matches(SCHEME_NAME) name?: string;
  @ApiProperty() @IsString() @Length(1, 128) display_name: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1024) description?: string;
  /** Only team schemes: channel override schemes are not supported. */
  @ApiProperty({ enum: ['team'] }) @IsIn(['team']) scope: 'team';
}

export class PatchSchemeBody {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(SCHEME_NAME) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 128) display_name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1024) description?: string;
}

/** Query of `GET /schemes`: Mattermost's scope filter ('' for all) and paging. */
export class SchemeListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['', 'team', 'channel'], description: "'' (or absent) lists every scope; the suite has no channel schemes" })
  @IsOptional()
  @IsIn(['', 'team', 'channel'])
  scope?: '' | 'team' | 'channel';
}

export class TeamSchemeBody {
  @ApiProperty({ description: "The scheme's id, or '' for the built-in roles" }) @IsString() scheme_id: string;
}

/** Mattermost's Scheme JSON (guest and playbook roles are empty: the suite has neither). */
export class SchemeJson {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() display_name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: 'integer', format: 'int64' }) create_at: number;
  @ApiProperty({ type: 'integer', format: 'int64' }) update_at: number;
  @ApiProperty({ type: 'integer', format: 'int64' }) delete_at: number;
  @ApiProperty({ enum: ['team'] }) scope: string;
  @ApiProperty() default_team_admin_role: string;
  @ApiProperty() default_team_user_role: string;
  @ApiProperty() default_team_guest_role: string;
  @ApiProperty() default_channel_admin_role: string;
  @ApiProperty() default_channel_user_role: string;
  @ApiProperty() default_channel_guest_role: string;
}

export function toSchemeJson(scheme: Scheme): SchemeJson {
  return {
    id: scheme.id,
    name: scheme.name,
    display_name: scheme.display_name,
    description: scheme.description,
    create_at: scheme.create_at,
    update_at: scheme.update_at,
    delete_at: scheme.delete_at,
    scope: scheme.scope,
    default_team_admin_role: scheme.default_team_admin_role,
    default_team_user_role: scheme.default_team_user_role,
    default_team_guest_role: '',
    default_channel_admin_role: scheme.default_channel_admin_role,
    default_channel_user_role: scheme.default_channel_user_role,
    default_channel_guest_role: '',
  };
}
