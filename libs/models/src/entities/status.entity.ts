import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { bigintMs, bigintNumber, bool, idKey, str } from './columns';
import { User } from './user.entity';

/** Mattermost `model.Status` (presence). */
@Entity('statuses')
export class Status {
  @PrimaryColumn(idKey('pk_statuses'))
  @ForeignKey(() => User, { name: 'fk_statuses_user', onDelete: 'CASCADE' })
  user_id: string;

  /** 'online' | 'away' | 'dnd' | 'offline'. */
  @Column(str(32))
  status: string;

  @Column(bool())
  manual: boolean;

  @Column(bigintMs)
  last_activity_at: number;

  /** Unix time in SECONDS (as in Mattermost), 0 = none. */
  @Column({ type: 'bigint', transformer: bigintNumber, default: 0 })
  dnd_end_time: number;

  @Column(str(32))
  prev_status: string;
}
