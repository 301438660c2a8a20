import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, idKey, nullableBigint } from './columns';

/**
 * One row per membership period (join .. leave). Audit-style log, so no foreign keys: rows outlive the membership.
 * Read by the membership sync (protocol §5.10): rows of a channel with join_time or leave_time after a cursor.
 */
@Entity('channel_member_history')
@Index('idx_channel_member_history_channel_leave', ['channel_id', 'leave_time'])
@Index('idx_channel_member_history_user_id', ['user_id'])
export class ChannelMemberHistory {
  @PrimaryColumn(idKey('pk_channel_member_history'))
  channel_id: string;

  @PrimaryColumn(idKey('pk_channel_member_history'))
  user_id: string;

  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber, primaryKeyConstraintName: 'pk_channel_member_history' })
  join_time: number;

  /** NULL while the user is still a member. */
  @Column(nullableBigint)
  leave_time: number | null;
}
