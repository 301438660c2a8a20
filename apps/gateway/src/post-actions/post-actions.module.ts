import { Module } from '@nestjs/common';
import { PostActionsController } from './post-actions.controller';

/** Clicks on message attachment actions; the suite answers only its own integration (see the controller). */
@Module({ controllers: [PostActionsController] })
export class PostActionsModule {}
