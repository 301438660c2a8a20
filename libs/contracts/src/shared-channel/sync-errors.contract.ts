import { IsIn, IsInt, IsString, Max, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { defineRpc } from '../contract';

/**
 * Posts a remote refused (its SyncResponse `post_errors`), kept durably by the shared-channel-sync app: listed,
 * retried and discarded by admins through the gateway (`/api/v4/sharedchannels/{channel_id}/errors`).
 */
export class SyncErrorJson {
  @IsString() id: string;
  @IsString() channel_id: string;
  @IsString() remote_id: string;
  @IsString() post_id: string;
  @IsString() reason: string;
  @IsInt() attempts: number;
  /** `retrying`: the engine sends it again at `next_retry_at`; `failed`: attempts used up, waits for an admin. */
  @IsIn(['retrying', 'failed']) state: 'retrying' | 'failed';
  @IsInt() next_retry_at: number;
  @IsInt() create_at: number;
  @IsInt() update_at: number;
}

export class ListSyncErrorsRequest {
  @IsString() channel_id: string;
  @IsInt() @Min(0) page: number;
  @IsInt() @Min(1) @Max(200) per_page: number;
}

export class SyncErrorListReply {
  @ValidateNested({ each: true }) @Type(() => SyncErrorJson) errors: SyncErrorJson[];
}

export class SyncErrorRequest {
  @IsString() channel_id: string;
  @IsString() error_id: string;
}

export const ListSyncErrors = defineRpc('shared-channel.sync-error.list', ListSyncErrorsRequest, SyncErrorListReply);
/** Sends the post again at once (one more attempt); 404 when there is no such error in the channel. */
export const RetrySyncError = defineRpc('shared-channel.sync-error.retry', SyncErrorRequest, SyncErrorJson);
/** Forgets the error: the post stays undelivered to that remote (until it changes again). */
export const DiscardSyncError = defineRpc('shared-channel.sync-error.discard', SyncErrorRequest, SyncErrorJson);
