import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bool, idKey, idPrimary, str } from './columns';
import { User } from './user.entity';

/** Personal access token. Only the SHA-256 hex hash of the token is stored. */
@Entity('user_access_tokens')
@Index('uq_user_access_tokens_token_hash', ['token_hash'], { unique: true })
@Index('idx_user_access_tokens_user_id', ['user_id'])
export class UserAccessToken {
  @PrimaryColumn(idPrimary('pk_user_access_tokens'))
  id: string;

  @Column({ type: 'varchar', length: 64 })
  token_hash: string;

  @Column(idKey())
  @ForeignKey(() => User, { name: 'fk_user_access_tokens_user', onDelete: 'CASCADE' })
  user_id: string;

  @Column(str(512))
  description: string;

  @Column(bool(true))
  is_active: boolean;
}
