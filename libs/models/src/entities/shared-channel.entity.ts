import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idKey, idRef, str } from './columns';
import { Channel } from './channel.entity';

/**
 * Mattermost `model.SharedChannel` (protocol §2.3).
 * Wire keys differ: `channel_id`→`id`, `share_name`→`name`, `share_display_name`→`display_name`, `share_purpose`→`purpose`, `share_header`→`header`.
 */
@Entity('shared_channels')
@Index('idx_shared_channels_remote_id', ['remote_id'])
export class SharedChannel {
  @PrimaryColumn(idKey('pk_shared_channels'))
  @ForeignKey(() => Channel, { name: 'fk_shared_channels_channel', onDelete: 'CASCADE' })
  channel_id: string;

  @Column(idRef)
  team_id: string;

  /** True when the channel originates on this server. */
  @Column(bool())
  home: boolean;

  @Column(bool())
  readonly: boolean;

  @Column(str(64))
  share_name: string;

  @Column(str(64))
  share_display_name: string;

  @Column(str(250))
  share_purpose: string;

  @Column(str(1024))
  share_header: string;

  @Column(idRef)
  creator_id: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  update_at: number;

  /** '' when home; otherwise the remote cluster that owns the channel. */
  @Column(idRef)
  remote_id: string;

  /**
   * The last change stamp given to a post, reaction or acknowledgement of this channel. Taking the next stamp locks
   * this row until the change commits, so stamps of a shared channel commit in order and a keyset cursor over
   * `posts.update_at` never skips a change that committed late.
   */
  @Column(bigintMs)
  last_change_at: number;

  /** Home: change stamp of the last metadata edit. Remote copy: the home's stamp of the metadata applied last. */
  @Column(bigintMs)
  metadata_changed_at: number;
}
