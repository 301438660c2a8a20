import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idKey, idPrimary, jsonObject, str } from './columns';
import { User } from './user.entity';

/** Login session. Only the SHA-256 hex hash of the bearer token is stored. */
@Entity('sessions')
@Index('uq_sessions_token_hash', ['token_hash'], { unique: true })
@Index('idx_sessions_user_id', ['user_id'])
@Index('idx_sessions_expires_at', ['expires_at'])
export class Session {
  @PrimaryColumn(idPrimary('pk_sessions'))
  id: string;

  @Column({ type: 'varchar', length: 64 })
  token_hash: string;

  @Column(bigintMs)
  create_at: number;

  /** 0 = never expires. */
  @Column(bigintMs)
  expires_at: number;

  @Column(bigintMs)
  last_activity_at: number;

  @Column(idKey())
  @ForeignKey(() => User, { name: 'fk_sessions_user', onDelete: 'CASCADE' })
  user_id: string;

  @Column(str(512))
  device_id: string;

  @Column(str(256))
  roles: string;

  @Column(bool())
  is_oauth: boolean;

  @Column(jsonObject)
  props: Record<string, string>;
}
