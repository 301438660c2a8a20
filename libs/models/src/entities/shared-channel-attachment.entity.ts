import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, idKey, idPrimary } from './columns';

/** Files already sent to each remote. */
@Entity('shared_channel_attachments')
@Index('uq_shared_channel_attachments_file_remote', ['file_id', 'remote_id'], { unique: true })
export class SharedChannelAttachment {
  @PrimaryColumn(idPrimary('pk_shared_channel_attachments'))
  id: string;

  @Column(idKey())
  file_id: string;

  @Column(idKey())
  remote_id: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  last_sync_at: number;
}
