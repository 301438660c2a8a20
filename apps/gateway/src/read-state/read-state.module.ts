import { Module } from '@nestjs/common';
import { ReadStateController } from './read-state.controller';
import { ReadStateService } from './read-state.service';

/** Channel read state (Mattermost's channel members, view, unread and stats routes). */
@Module({
  controllers: [ReadStateController],
  providers: [ReadStateService],
})
export class ReadStateModule {}
