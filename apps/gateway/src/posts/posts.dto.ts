import { POST_MAX_FILES, POST_MESSAGE_MAX_RUNES } from '@fedchat/chat';
import { RawJson } from '@fedchat/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

/** Mattermost's limits: message runes (PostMessageMaxRunesV2) and files per post. */
export const PRIORITIES = ['', 'important', 'urgent'] as const;

export class PostPriorityBody {
  @ApiProperty({ enum: PRIORITIES }) @IsIn(PRIORITIES) priority: (typeof PRIORITIES)[number];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() requested_ack?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() persistent_notifications?: boolean;
}

/** Of the metadata a client sends, only the priority is taken; the rest is assembled by the server. */
export class PostMetadataBody {
  @ApiPropertyOptional({ type: PostPriorityBody })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PostPriorityBody)
  priority?: PostPriorityBody;
}

const PENDING_POST_ID_MAX = 128;

export class CreatePostBody {
  @ApiProperty() @IsString() channel_id: string;
  @ApiPropertyOptional({ maxLength: POST_MESSAGE_MAX_RUNES }) @IsOptional() @IsString() message?: string;
  @ApiPropertyOptional({ description: 'Root post of the thread this post replies to' }) @IsOptional() @IsString() root_id?: string;
  @ApiPropertyOptional({ type: [String], maxItems: POST_MAX_FILES })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(POST_MAX_FILES)
  @IsString({ each: true })
  file_ids?: string[];
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @RawJson() @IsOptional() @IsObject() props?: Record<string, unknown>;
  @ApiPropertyOptional({ description: "'' or a custom type; system_* types are reserved" }) @IsOptional() @IsString() type?: string;
  @ApiPropertyOptional({ type: PostMetadataBody })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PostMetadataBody)
  metadata?: PostMetadataBody;
  @ApiPropertyOptional({ description: 'Client-side id of the pending post, echoed back' })
  @IsOptional()
  @IsString()
  @MaxLength(PENDING_POST_ID_MAX)
  pending_post_id?: string;

  /**
   * The common post body (strings and props, no files or metadata) without class-transformer and class-validator,
   * whose metadata lookups were a visible share of every post's CPU (see docs/benchmarks.md, chat core). The result
   * is what the validation pipe builds: undeclared keys dropped, props kept as received. Anything else, and every
   * body the pipe would refuse, returns undefined and takes the full pipe (same errors as before).
   */
  static quickParse(value: unknown): CreatePostBody | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const body = new CreatePostBody();
    let hasChannel = false;
    for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
      switch (key) {
        case 'channel_id':
          if (typeof field !== 'string') return undefined;
          body.channel_id = field;
          hasChannel = true;
          break;
        case 'message':
        case 'root_id':
        case 'type':
          if (typeof field !== 'string') return undefined;
          body[key] = field;
          break;
        case 'pending_post_id':
          // A UTF-16 length within the limit is within class-validator's (which counts a surrogate pair once).
          if (typeof field !== 'string' || field.length > PENDING_POST_ID_MAX) return undefined;
          body.pending_post_id = field;
          break;
        case 'props':
          if (typeof field !== 'object' || field === null || Array.isArray(field)) return undefined;
          body.props = field as Record<string, unknown>;
          break;
        case 'file_ids':
        case 'metadata':
          return undefined;
        default:
        // Undeclared keys are dropped, as the pipe's whitelist does.
      }
    }
    return hasChannel ? body : undefined;
  }
}

export class PatchPostBody {
  @ApiPropertyOptional({ description: 'Must match the URL when given' }) @IsOptional() @IsString() id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() message?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() is_pinned?: boolean;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @RawJson() @IsOptional() @IsObject() props?: Record<string, unknown>;
  @ApiPropertyOptional({ type: [String], maxItems: POST_MAX_FILES })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(POST_MAX_FILES)
  @IsString({ each: true })
  file_ids?: string[];
}

/** PUT /posts/{id}: the whole post as the client has it; only the editable fields are taken. */
export class UpdatePostBody extends PatchPostBody {
  @ApiProperty() @IsString() override id: string;
}

export class CreateReactionBody {
  @ApiProperty() @IsString() user_id: string;
  @ApiProperty() @IsString() post_id: string;
  @ApiProperty({ pattern: '^[a-z0-9_+-]{1,64}$' }) @IsString() emoji_name: string;
}

export class SearchPostsBody {
  @ApiProperty({ description: 'Words, "phrases", -excluded, prefix*, #hashtags, from:user, in:channel, on:/before:/after:YYYY-MM-DD' })
  @IsString()
  @MaxLength(4096)
  terms: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() is_or_search?: boolean;
  @ApiPropertyOptional({ description: 'Seconds east of UTC, for on:/before:/after:' })
  @IsOptional()
  @IsNumber()
  @Min(-86400)
  @Max(86400)
  time_zone_offset?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() include_deleted_channels?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(100000) page?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(100000) per_page?: number;
}

// ---- responses (OpenAPI) ------------------------------------------------------------------------------------------

export class PostPriorityJson {
  @ApiProperty({ enum: PRIORITIES }) priority: string;
  @ApiProperty() requested_ack: boolean;
  @ApiProperty() persistent_notifications: boolean;
}

export class ReactionJson {
  @ApiProperty() user_id: string;
  @ApiProperty() post_id: string;
  @ApiProperty() emoji_name: string;
  @ApiProperty() create_at: number;
  @ApiProperty() update_at: number;
  @ApiProperty() delete_at: number;
  @ApiProperty() remote_id: string;
  @ApiProperty() channel_id: string;
}

export class PostAcknowledgementJson {
  @ApiProperty() user_id: string;
  @ApiProperty() post_id: string;
  @ApiProperty() acknowledged_at: number;
  @ApiProperty() channel_id: string;
}

export class PostMetadataJson {
  @ApiProperty({ type: 'array', items: { type: 'object' } }) embeds: unknown[];
  @ApiPropertyOptional({ type: PostPriorityJson }) priority?: PostPriorityJson;
  @ApiPropertyOptional({ type: [PostAcknowledgementJson] }) acknowledgements?: PostAcknowledgementJson[];
  @ApiPropertyOptional({ type: [ReactionJson] }) reactions?: ReactionJson[];
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } }) files?: unknown[];
}

export class PostJson {
  @ApiProperty() id: string;
  @ApiProperty() create_at: number;
  @ApiProperty() update_at: number;
  @ApiProperty() edit_at: number;
  @ApiProperty() delete_at: number;
  @ApiProperty() is_pinned: boolean;
  @ApiProperty() user_id: string;
  @ApiProperty() channel_id: string;
  @ApiProperty() root_id: string;
  @ApiProperty() original_id: string;
  @ApiProperty() message: string;
  @ApiProperty() type: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) props: Record<string, unknown>;
  @ApiProperty() hashtags: string;
  @ApiProperty({ type: [String] }) file_ids: string[];
  @ApiProperty() pending_post_id: string;
  @ApiProperty() reply_count: number;
  @ApiProperty() last_reply_at: number;
  @ApiProperty({ nullable: true, type: 'array', items: { type: 'object' } }) participants: null;
  @ApiPropertyOptional() has_reactions?: boolean;
  @ApiProperty({ type: PostMetadataJson }) metadata: PostMetadataJson;
  @ApiPropertyOptional() remote_id?: string;
}

export class PostListJsonSchema {
  @ApiProperty({ type: [String], description: 'Post ids, newest first' }) order: string[];
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/PostJson' } }) posts: Record<string, PostJson>;
  @ApiProperty() next_post_id: string;
  @ApiProperty() prev_post_id: string;
  @ApiPropertyOptional() has_next?: boolean;
  @ApiProperty() first_inaccessible_post_time: number;
}

export class StatusOkJson {
  @ApiProperty({ example: 'OK' }) status: string;
}

export class EphemeralPostContentBody {
  @ApiProperty() @IsString() channel_id: string;
  @ApiProperty({ maxLength: POST_MESSAGE_MAX_RUNES }) @IsString() @MaxLength(POST_MESSAGE_MAX_RUNES) message: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @RawJson() @IsOptional() @IsObject() props?: Record<string, unknown>;
}

/** Mattermost's `PostEphemeral`: a post shown to `user_id` only, over the websocket; never stored. */
export class EphemeralPostBody {
  @ApiProperty({ description: 'Who sees the post' }) @IsString() user_id: string;
  @ApiProperty({ type: EphemeralPostContentBody })
  @IsObject()
  @ValidateNested()
  @Type(() => EphemeralPostContentBody)
  post: EphemeralPostContentBody;
}
