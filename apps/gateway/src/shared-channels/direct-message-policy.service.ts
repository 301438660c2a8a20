import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { originRemoteId } from '@fedchat/chat';
import { APP_CONFIG, AppConfig, sharedDirectMessagesEnabled } from '@fedchat/common';
import { RemoteCluster, User } from '@fedchat/models';
import { DataSource } from 'typeorm';

/**
 * Whether a direct message with a user can be opened (Mattermost `canUserDirectMessage`): always with a local user;
 * with a remote user only when DMs with remote users are on (flag `EnableSharedChannelsDMs` and the shared channel
 * service) and the workspace the user comes from is connected to this one directly (confirmed, with a local
 * creator), since the invitation goes to that workspace. A user relayed here by another workspace does not qualify.
 */
@Injectable()
export class DirectMessagePolicy {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canDirectMessage(otherUserId: string): Promise<boolean> {
    const other = await this.dataSource.getRepository(User).findOneBy({ id: otherUserId });
    if (!other) return false;
    if (!other.remote_id) return true;
    if (!sharedDirectMessagesEnabled(this.config)) return false;
    const rc = await this.dataSource.getRepository(RemoteCluster).findOneBy({ remote_id: originRemoteId(other), delete_at: 0 });
    if (!rc || rc.creator_id === '') return false;
    return rc.plugin_id !== '' || (rc.site_url !== '' && !rc.site_url.startsWith('pending_'));
  }
}
