import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bigintNumber, idKey, nullableBigint } from './columns';

/**
 * One row per membership period (join .. leave). Audit-style log, so no foreign keys: rows outlive the membership.
 * Read by the membership sync (protocol §5.10): rows of a channel numbered past a cursor (`change_seq`).
 */
@Entity('channel_member_history')
@Index('idx_channel_member_history_channel_leave', ['channel_id', 'leave_time'])
@Index('idx_channel_member_history_user_id', ['user_id'])
@Index('idx_channel_member_history_channel_seq', ['channel_id', 'change_seq'])
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

  /**
   * Numbers every write of the row (a trigger, on insert and update, under a lock that lets the membership sync see
   * which numbers are committed): the membership sync's cursor, unlike join/leave times, which are taken before commit.
   */
  @Column(bigintMs)
  change_seq: number;
}
