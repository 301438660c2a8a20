import { Module } from '@nestjs/common';
import { RolesController } from './roles.controller';
import { RolesHandlers } from './roles.handlers';
import { RolesService } from './roles.service';

/** Roles (Mattermost /api/v4/roles): the read side; the permission catalogue itself lives in libs/chat. */
@Module({
  controllers: [RolesController, RolesHandlers],
  providers: [RolesService],
  exports: [RolesService],
})
export class RolesModule {}
