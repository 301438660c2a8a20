import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idPrimary, idRef, int, int64, str, text } from './columns';

/** Mattermost `model.FileInfo`. File ids are preserved across servers (`req_file_id`). */
@Entity('file_infos')
@Index('idx_file_infos_post_id', ['post_id'])
@Index('idx_file_infos_creator_id', ['creator_id'])
export class FileInfo {
  @PrimaryColumn(idPrimary('pk_file_infos'))
  id: string;

  @Column(idRef)
  creator_id: string;

  /** '' until the file is attached to a post. */
  @Column(idRef)
  post_id: string;

  @Column(idRef)
  channel_id: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  update_at: number;

  @Column(bigintMs)
  delete_at: number;

  @Column(text)
  path: string;

  @Column(text)
  thumbnail_path: string;

  @Column(text)
  preview_path: string;

  @Column(text)
  name: string;

  @Column(str(64))
  extension: string;

  @Column(int64)
  size: number;

  @Column(str(256))
  mime_type: string;

  @Column(int)
  width: number;

  @Column(int)
  height: number;

  @Column(bool())
  has_preview_image: boolean;

  @Column({ type: 'bytea', nullable: true })
  mini_preview: Buffer | null;

  @Column(idRef)
  remote_id: string;

  /** SHA-256 hex of the content, '' if not computed. */
  @Column(str(64))
  content_digest: string;
}
