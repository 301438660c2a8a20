import { THREADS_PAGE_DEFAULT } from '@fedchat/chat';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { PostJson } from '../posts/posts.dto';

export const THREADS_PAGE_MAX = 200;

/** Mattermost's boolean query values: `true` (any case) is true, anything else false. */
function queryFlag({ value }: { value: unknown }): boolean {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first.toLowerCase() === 'true';
}

function firstString({ value }: { value: unknown }): unknown {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return first === '' ? undefined : first;
}

/** The query of GET /users/{id}/teams/{team_id}/threads. */
export class ThreadsQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: THREADS_PAGE_MAX, default: THREADS_PAGE_DEFAULT })
  @Transform(({ value }) => {
    const n = Number.parseInt(String(Array.isArray(value) ? value[0] : (value ?? '')), 10);
    return Number.isNaN(n) || n <= 0 ? THREADS_PAGE_DEFAULT : Math.min(THREADS_PAGE_MAX, n);
  })
  @IsInt()
  @Min(1)
  @Max(THREADS_PAGE_MAX)
  per_page: number = THREADS_PAGE_DEFAULT;

  @ApiPropertyOptional({ type: 'integer', description: 'Threads changed (replies or membership) at or after this time (ms)' })
  @IsOptional()
  @Transform((p) => {
    const v = firstString(p);
    return v === undefined ? undefined : /^\d{1,15}$/.test(String(v)) ? Number(v) : NaN;
  })
  @IsInt()
  @Min(0)
  since?: number;

  @ApiPropertyOptional({ description: 'Thread id: the page of older threads' })
  @IsOptional()
  @Transform(firstString)
  @IsString()
  before?: string;

  @ApiPropertyOptional({ description: 'Thread id: the page of newer threads' })
  @IsOptional()
  @Transform(firstString)
  @IsString()
  after?: string;

  @ApiPropertyOptional({ type: Boolean, description: 'Only threads with unread replies' })
  @Transform(queryFlag)
  @IsBoolean()
  unread: boolean = false;

  @ApiPropertyOptional({ type: Boolean, description: 'Participants as full profiles rather than ids' })
  @Transform(queryFlag)
  @IsBoolean()
  extended: boolean = false;

  @ApiPropertyOptional({ type: Boolean }) @Transform(queryFlag) @IsBoolean() totalsOnly: boolean = false;
  @ApiPropertyOptional({ type: Boolean }) @Transform(queryFlag) @IsBoolean() threadsOnly: boolean = false;
  @ApiPropertyOptional({ type: Boolean, description: 'Leave out direct and group channels' })
  @Transform(queryFlag)
  @IsBoolean()
  excludeDirect: boolean = false;
}

export class ThreadQueryDto {
  @ApiPropertyOptional({ type: Boolean }) @Transform(queryFlag) @IsBoolean() extended: boolean = false;
}

/** Mattermost's ThreadResponse. */
export class ThreadJson {
  @ApiProperty({ description: 'The root post id' }) id: string;
  @ApiProperty() reply_count: number;
  @ApiProperty() last_reply_at: number;
  @ApiProperty() last_viewed_at: number;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'Reply authors, oldest first' })
  participants: Record<string, unknown>[];
  @ApiProperty({ type: PostJson }) post: PostJson;
  @ApiProperty() unread_replies: number;
  @ApiProperty() unread_mentions: number;
  @ApiProperty() is_urgent: boolean;
  @ApiProperty() delete_at: number;
}

/** Mattermost's Threads. */
export class ThreadsJsonSchema {
  @ApiProperty() total: number;
  @ApiProperty() total_unread_threads: number;
  @ApiProperty() total_unread_mentions: number;
  @ApiProperty() total_unread_urgent_mentions: number;
  @ApiProperty({ type: [ThreadJson] }) threads: ThreadJson[];
}
