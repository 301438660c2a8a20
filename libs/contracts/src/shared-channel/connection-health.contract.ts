import { IsInt, IsString, Min } from 'class-validator';
import { defineRpc } from '../contract';

/** One connection, for the health figures each owning app counts in its own tables. */
export class ConnectionHealthRequest {
  @IsString() remote_id: string;
}

/** What shared-channel-sync knows about one connection's outgoing sync. */
export class SyncHealthReply {
  /** (channel, remote) pairs of this connection with changes not yet delivered. */
  @IsInt() @Min(0) queue_size: number;
  /** update_at (ms) of the oldest post change not yet delivered to it; 0 when nothing waits. */
  @IsInt() @Min(0) oldest_pending_at: number;
  /** Posts it refused, kept for re-sending or for an admin (sync_dead_letters). */
  @IsInt() @Min(0) refused_items: number;
}

/** What file-transfer knows: attachments waiting to travel to this connection. */
export class TransferHealthReply {
  @IsInt() @Min(0) pending: number;
}

/** Read-only figures for the console's connection list (`GET /api/v4/remotecluster/{id}/health`). */
export const GetSyncHealth = defineRpc('shared-channel.connection.health', ConnectionHealthRequest, SyncHealthReply);
export const GetTransferHealth = defineRpc('file-transfer.connection.health', ConnectionHealthRequest, TransferHealthReply);
