import { MessageHandlers } from '@fedchat/common';
import { RolesChanged } from '@fedchat/contracts';
import { EventPattern } from '@nestjs/microservices';
import { RoleCatalogue } from './role-catalogue.service';

/**
 * Role edits made through another process: every process with the chat rules (gateway, shared-channel-sync,
 * user-sync; `all` delivery) reloads its permission registry, so each check follows the edit at once.
 */
@MessageHandlers()
export class RolesHandlers {
  constructor(private readonly catalogue: RoleCatalogue) {}

  @EventPattern(RolesChanged.subject)
  async changed(): Promise<void> {
    await this.catalogue.reload();
  }
}
