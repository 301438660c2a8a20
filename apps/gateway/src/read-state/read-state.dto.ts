import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString } from 'class-validator';
import { ChannelMemberJson } from '../channels/channels.dto';

/** Mattermost's ChannelView. */
export class ChannelViewBody {
  @ApiPropertyOptional({ description: "The channel viewed; '' when none" }) @IsOptional() @IsString() channel_id?: string;
  @ApiPropertyOptional({ description: 'The channel left, also marked read' }) @IsOptional() @IsString() prev_channel_id?: string;
  @ApiPropertyOptional({ description: 'Without collapsed threads, viewing a channel reads its threads too' })
  @IsOptional()
  @IsBoolean()
  collapsed_threads_supported?: boolean;
}

export class ChannelViewJson {
  @ApiProperty({ example: 'OK' }) status: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'channel id → new last_viewed_at' })
  last_viewed_at_times: Record<string, number>;
}

export class ChannelMemberWithTeamJson extends ChannelMemberJson {
  @ApiProperty() team_display_name: string;
  @ApiProperty() team_name: string;
  @ApiProperty() team_update_at: number;
}

/** Mattermost's ChannelUnread. */
export class ChannelUnreadJson {
  @ApiProperty() team_id: string;
  @ApiProperty() channel_id: string;
  @ApiProperty({ description: 'Messages since the last view' }) msg_count: number;
  @ApiProperty() mention_count: number;
  @ApiProperty() mention_count_root: number;
  @ApiProperty() urgent_mention_count: number;
  @ApiProperty({ description: 'Root posts since the last view' }) msg_count_root: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) notify_props: Record<string, string>;
}

/** Mattermost's ChannelStats. */
export class ChannelStatsJson {
  @ApiProperty() channel_id: string;
  @ApiProperty() member_count: number;
  @ApiProperty() guest_count: number;
  @ApiProperty() pinnedpost_count: number;
  @ApiProperty() files_count: number;
}
