import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';

/** Shapes are checked here; Mattermost's model rules (name pattern, lengths, type) are checked by the service. */
export class CreateTeamBody {
  @ApiProperty({ description: '2-64 characters: a lowercase letter, then lowercase letters, digits, - or _' }) @IsString() name: string;
  @ApiProperty({ maxLength: 64 }) @IsString() display_name: string;
  @ApiProperty({ enum: ['O', 'I'], description: "'O' open, 'I' invite only" }) @IsString() type: string;
  @ApiPropertyOptional({ maxLength: 255 }) @IsOptional() @IsString() description?: string;
  @ApiPropertyOptional({ maxLength: 64 }) @IsOptional() @IsString() company_name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() allowed_domains?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() allow_open_invite?: boolean;
}

export class AddTeamMemberBody {
  @ApiPropertyOptional({ description: 'Must match the team in the URL when given' }) @IsOptional() @IsString() team_id?: string;
  @ApiProperty() @IsString() user_id: string;
}

export class TeamJson {
  @ApiProperty() id: string;
  @ApiProperty() create_at: number;
  @ApiProperty() update_at: number;
  @ApiProperty() delete_at: number;
  @ApiProperty() display_name: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ description: "'' unless the caller manages the team" }) email: string;
  @ApiProperty({ enum: ['O', 'I'] }) type: string;
  @ApiProperty() company_name: string;
  @ApiProperty() allowed_domains: string;
  @ApiProperty({ description: "'' unless the caller manages the team" }) invite_id: string;
  @ApiProperty() allow_open_invite: boolean;
  @ApiProperty() last_team_icon_update: number;
  @ApiProperty({ type: String, nullable: true }) scheme_id: string | null;
  @ApiProperty({ type: Boolean, nullable: true }) group_constrained: boolean | null;
  @ApiProperty({ type: String, nullable: true }) policy_id: string | null;
}

export class TeamMemberJson {
  @ApiProperty() team_id: string;
  @ApiProperty() user_id: string;
  @ApiProperty({ example: 'team_user team_admin' }) roles: string;
  @ApiProperty({ description: '> 0 once the user left or was removed' }) delete_at: number;
  @ApiProperty() scheme_guest: boolean;
  @ApiProperty() scheme_user: boolean;
  @ApiProperty() scheme_admin: boolean;
  @ApiProperty() explicit_roles: string;
  @ApiProperty() create_at: number;
}

/** Mattermost's `TeamSearch`: with `page` and `per_page` the answer is `{teams, total_count}`, else a list. */
export class SearchTeamsBody {
  @ApiProperty({ description: 'Prefix of the team name or display name' }) @IsString() @MaxLength(64) term: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) page?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) per_page?: number;
}

export class TeamListWithCountJson {
  @ApiProperty({ type: [TeamJson] }) teams: TeamJson[];
  @ApiProperty() total_count: number;
}

export class TeamUnreadJson {
  @ApiProperty() team_id: string;
  @ApiProperty() msg_count: number;
  @ApiProperty() mention_count: number;
  @ApiProperty() msg_count_root: number;
  @ApiProperty() mention_count_root: number;
  @ApiProperty() thread_count: number;
  @ApiProperty() thread_mention_count: number;
  @ApiProperty() thread_urgent_mention_count: number;
}
