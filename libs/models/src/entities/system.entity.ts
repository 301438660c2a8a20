import { Column, Entity, PrimaryColumn } from 'typeorm';
import { text } from './columns';

/** Server-wide key/value settings (Mattermost `Systems`), e.g. the server id or the first-user marker. */
@Entity('system')
export class System {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_system' })
  name: string;

  @Column(text)
  value: string;
}
