import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idKey, idPrimary, idRef, jsonArray, jsonObject, str, text } from './columns';

/**
 * Mattermost `model.Post`. Post ids are global across federated servers. `metadata` is not stored: it is assembled
 * on read (priority from post_priority, acknowledgements, files, reactions), as Mattermost does.
 */
@Entity('posts')
@Index('idx_posts_channel_create', ['channel_id', 'create_at', 'id'])
@Index('idx_posts_channel_update', ['channel_id', 'update_at', 'id'])
@Index('idx_posts_root_id', ['root_id'])
@Index('idx_posts_user_id', ['user_id'])
export class Post {
  @PrimaryColumn(idPrimary('pk_posts'))
  id: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  update_at: number;

  @Column(bigintMs)
  edit_at: number;

  @Column(bigintMs)
  delete_at: number;

  @Column(bool())
  is_pinned: boolean;

  @Column(idKey())
  user_id: string;

  @Column(idKey())
  channel_id: string;

  /** '' for root posts; otherwise the thread's root post id. */
  @Column(idRef)
  root_id: string;

  @Column(idRef)
  original_id: string;

  @Column(text)
  message: string;

  /** '' for normal posts; e.g. 'system_join_channel', 'system_generic'. */
  @Column(str(26))
  type: string;

  @Column(jsonObject)
  props: Record<string, unknown>;

  @Column(text)
  hashtags: string;

  @Column(jsonArray)
  file_ids: string[];

  /** '' for posts created locally; otherwise the remote cluster the post came from (Mattermost: nullable pointer). */
  @Column(idRef)
  remote_id: string;

  @Column(bool())
  has_reactions: boolean;
}
