import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { bigintMs, idKey } from './columns';
import { Channel } from './channel.entity';

/**
 * A channel moderation (Mattermost's per-channel permission override): one row withdraws one moderated permission
 * (`create_post`, `create_reactions`, `manage_members`, `use_channel_mentions`) from the channel's members; admins keep
 * it. Mattermost keeps these as a channel scheme with its own copies of the roles; a moderation can only take away
 * what the team's or system's channel user role grants, so one row per withdrawn permission says the same.
 */
@Entity('channel_moderations')
export class ChannelModeration {
  @PrimaryColumn(idKey('pk_channel_moderations'))
  @ForeignKey(() => Channel, { name: 'fk_channel_moderations_channel', onDelete: 'CASCADE' })
  channel_id: string;

  @PrimaryColumn({ type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_channel_moderations' })
  name: string;

  @Column(bigintMs)
  create_at: number;
}
