import { Module } from '@nestjs/common';
import { GroupsController } from './groups.controller';

/** Group lookups, answered as Mattermost does for a server without groups. */
@Module({ controllers: [GroupsController] })
export class GroupsModule {}
