import { Module } from '@nestjs/common';
import { ChannelModerationsController } from './channel-moderations.controller';
import { ChannelModerationsService } from './channel-moderations.service';

/** Channel moderations (Mattermost /api/v4/channels/{id}/moderations). */
@Module({
  controllers: [ChannelModerationsController],
  providers: [ChannelModerationsService],
})
export class ChannelModerationsModule {}
