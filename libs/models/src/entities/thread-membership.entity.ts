import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idKey, int64 } from './columns';
import { Post } from './post.entity';
import { User } from './user.entity';

/** Mattermost `model.ThreadMembership`: a user's relation to a thread (its root post). */
@Entity('thread_memberships')
@Index('idx_thread_memberships_user_updated', ['user_id', 'last_updated'])
export class ThreadMembership {
  @PrimaryColumn(idKey('pk_thread_memberships'))
  @ForeignKey(() => Post, { name: 'fk_thread_memberships_post', onDelete: 'CASCADE' })
  post_id: string;

  @PrimaryColumn(idKey('pk_thread_memberships'))
  @ForeignKey(() => User, { name: 'fk_thread_memberships_user', onDelete: 'CASCADE' })
  user_id: string;

  @Column(bool(true))
  following: boolean;

  /** When the user last read the thread: replies created after it are unread. */
  @Column(bigintMs)
  last_viewed: number;

  /** Any change to the membership (follow, read, mention); clients sync threads `since` it. */
  @Column(bigintMs)
  last_updated: number;

  @Column(int64)
  unread_mentions: number;
}
