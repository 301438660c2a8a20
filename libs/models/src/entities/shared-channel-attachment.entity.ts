import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, idKey, idPrimary, idRef, int, int64, str, text } from './columns';

/** Where a file transfer to a remote stands: queued, done, or given up (the peer refused it for good). */
export type AttachmentTransferStatus = 'pending' | 'done' | 'abandoned';

/**
 * Files sent to each remote, and the durable queue of those still to send: one row per (file, remote), claimed by
 * one file-transfer replica at a time through its lease.
 */
@Entity('shared_channel_attachments')
@Index('uq_shared_channel_attachments_file_remote', ['file_id', 'remote_id'], { unique: true })
@Index('idx_shared_channel_attachments_status_next_try_at', ['status', 'next_try_at'])
export class SharedChannelAttachment {
  @PrimaryColumn(idPrimary('pk_shared_channel_attachments'))
  id: string;

  @Column(idKey())
  file_id: string;

  @Column(idKey())
  remote_id: string;

  @Column(bigintMs)
  create_at: number;

  /** When the peer last confirmed the whole file. */
  @Column(bigintMs)
  last_sync_at: number;

  @Column(idRef)
  channel_id: string;

  /** The post the file is attached to: the transfer stops when that post is deleted. */
  @Column(idRef)
  post_id: string;

  @Column({ type: 'varchar', length: 16, default: 'done' })
  status: AttachmentTransferStatus;

  /** Consecutive failed attempts (drives the backoff). */
  @Column(int)
  failures: number;

  @Column(bigintMs)
  next_try_at: number;

  @Column(text)
  last_error: string;

  @Column(str(64))
  lease_owner: string;

  @Column(bigintMs)
  lease_until: number;

  /** Bytes actually sent over all attempts (a resumed transfer sends only what the peer lacks). */
  @Column(int64)
  bytes_sent: number;
}
