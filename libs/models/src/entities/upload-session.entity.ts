import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, idKey, idPrimary, idRef, int64, str, text } from './columns';

/** Mattermost `model.UploadSession` (protocol §2.7); `path` is local-only and never serialised. */
@Entity('upload_sessions')
@Index('idx_upload_sessions_user_id', ['user_id'])
@Index('uq_upload_sessions_remote_req_file', ['remote_id', 'req_file_id'], { unique: true, where: `remote_id <> ''` })
export class UploadSession {
  @PrimaryColumn(idPrimary('pk_upload_sessions'))
  id: string;

  /** 'attachment' | 'import'. */
  @Column({ type: 'varchar', length: 32 })
  type: string;

  @Column(bigintMs)
  create_at: number;

  @Column(idKey())
  user_id: string;

  @Column(idRef)
  channel_id: string;

  @Column(text)
  filename: string;

  @Column(text)
  path: string;

  @Column(int64)
  file_size: number;

  @Column(int64)
  file_offset: number;

  /** For uploads from a remote: the sending remote cluster; '' for local uploads. */
  @Column(idRef)
  remote_id: string;

  /** File id requested by the sender (the created FileInfo gets this id); '' for local uploads. */
  @Column(idRef)
  req_file_id: string;

  /** SHA-256 (lower-case hex) of the whole file as the sender announced it (our extension); '' when not given. */
  @Column(str(64))
  content_digest: string;

  /** When `file_offset` last moved (or the session was made). */
  @Column(bigintMs)
  update_at: number;
}
