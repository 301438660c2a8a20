import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idPrimary, idRef, int64, str } from './columns';

/** Mattermost `model.Channel`. Channel ids are global across federated servers (invites create the same id). */
@Entity('channels')
@Index('uq_channels_team_name', ['team_id', 'name'], { unique: true })
export class Channel {
  @PrimaryColumn(idPrimary('pk_channels'))
  id: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  update_at: number;

  @Column(bigintMs)
  delete_at: number;

  /** '' for direct ('D') and group ('G') channels. */
  @Column(idRef)
  team_id: string;

  /** 'O' open, 'P' private, 'D' direct, 'G' group. */
  @Column({ type: 'char', length: 1 })
  type: string;

  @Column(str(64))
  display_name: string;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column(str(1024))
  header: string;

  @Column(str(250))
  purpose: string;

  @Column(bigintMs)
  last_post_at: number;

  @Column(int64)
  total_msg_count: number;

  @Column(idRef)
  creator_id: string;

  /** True while a shared_channels row exists for this channel. */
  @Column(bool())
  shared: boolean;

  @Column(bigintMs)
  last_root_post_at: number;

  /** Root posts only (collapsed threads); like total_msg_count, join and leave notices are not counted. */
  @Column(int64)
  total_msg_count_root: number;
}
