import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength } from 'class-validator';

/** Shapes are checked here; Mattermost's model rules (name pattern, lengths, type) are checked by the service. */
export class CreateChannelBody {
  @ApiProperty() @IsString() team_id: string;
  @ApiProperty({ description: '1-64 characters: lowercase letters, digits, - or _' }) @IsString() name: string;
  @ApiProperty({ maxLength: 64 }) @IsString() display_name: string;
  @ApiProperty({ enum: ['O', 'P'], description: "'O' public, 'P' private" }) @IsString() type: string;
  @ApiPropertyOptional({ maxLength: 250 }) @IsOptional() @IsString() purpose?: string;
  @ApiPropertyOptional({ maxLength: 1024 }) @IsOptional() @IsString() header?: string;
}

export class PatchChannelBody {
  @ApiPropertyOptional({ maxLength: 64 }) @IsOptional() @IsString() display_name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() name?: string;
  @ApiPropertyOptional({ maxLength: 1024 }) @IsOptional() @IsString() header?: string;
  @ApiPropertyOptional({ maxLength: 250 }) @IsOptional() @IsString() purpose?: string;
}

/**
 * Mattermost's `PUT /channels/{id}` takes the whole channel; only its names, header and purpose change, and, as
 * there, an empty string leaves the value as it was. Other fields (type, team...) are ignored.
 */
export class UpdateChannelBody extends PatchChannelBody {
  @ApiProperty({ description: 'Must be the channel in the URL' }) @IsString() id: string;
}

export class SearchChannelsBody {
  @ApiProperty({ description: 'Prefix of the channel name or display name' }) @IsString() @MaxLength(64) term: string;
}

/** Client4.addToChannel sends `user_id`; Client4.addToChannels sends `user_ids` (the answer is then a list). */
export class AddChannelMemberBody {
  @ApiPropertyOptional() @IsOptional() @IsString() user_id?: string;
  @ApiPropertyOptional({ type: [String], maxItems: 1000 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  user_ids?: string[];
  @ApiPropertyOptional({ description: 'Accepted and ignored' }) @IsOptional() @IsString() channel_id?: string;
  @ApiPropertyOptional({ description: 'Accepted and ignored' }) @IsOptional() @IsString() post_root_id?: string;
}

export class ChannelJson {
  @ApiProperty() id: string;
  @ApiProperty() create_at: number;
  @ApiProperty() update_at: number;
  @ApiProperty() delete_at: number;
  @ApiProperty({ description: "'' for direct and group channels" }) team_id: string;
  @ApiProperty({ enum: ['O', 'P', 'D', 'G'] }) type: string;
  @ApiProperty() display_name: string;
  @ApiProperty() name: string;
  @ApiProperty() header: string;
  @ApiProperty() purpose: string;
  @ApiProperty() last_post_at: number;
  @ApiProperty() total_msg_count: number;
  @ApiProperty() extra_update_at: number;
  @ApiProperty() creator_id: string;
  @ApiProperty({ type: String, nullable: true }) scheme_id: string | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) props: Record<string, unknown> | null;
  @ApiProperty({ type: Boolean, nullable: true }) group_constrained: boolean | null;
  @ApiProperty({ type: Boolean, nullable: true }) shared: boolean | null;
  @ApiProperty() total_msg_count_root: number;
  @ApiProperty({ type: String, nullable: true }) policy_id: string | null;
  @ApiProperty() last_root_post_at: number;
}

export class ChannelMemberJson {
  @ApiProperty() channel_id: string;
  @ApiProperty() user_id: string;
  @ApiProperty({ example: 'channel_user channel_admin' }) roles: string;
  @ApiProperty() last_viewed_at: number;
  @ApiProperty() msg_count: number;
  @ApiProperty() mention_count: number;
  @ApiProperty() mention_count_root: number;
  @ApiProperty() urgent_mention_count: number;
  @ApiProperty() msg_count_root: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) notify_props: Record<string, string>;
  @ApiProperty() last_update_at: number;
  @ApiProperty() scheme_guest: boolean;
  @ApiProperty() scheme_user: boolean;
  @ApiProperty() scheme_admin: boolean;
  @ApiProperty() explicit_roles: string;
}
