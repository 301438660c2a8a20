import { RoleCatalogue } from '@fedchat/chat';
import { MessageHandlers } from '@fedchat/common';
import { RolesChanged } from '@fedchat/contracts';
import { EventPattern } from '@nestjs/microservices';

/** Role edits made through another gateway process: every process (`all` delivery) reloads its permission registry. */
@MessageHandlers()
export class RolesHandlers {
  constructor(private readonly catalogue: RoleCatalogue) {}

  @EventPattern(RolesChanged.subject)
  async changed(): Promise<void> {
    await this.catalogue.reload();
  }
}
