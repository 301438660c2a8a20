import { Module } from '@nestjs/common';
import { ThreadsController } from './threads.controller';
import { ThreadsService } from './threads.service';

/** Collapsed threads: a user's followed threads, their read state and following. */
@Module({
  controllers: [ThreadsController],
  providers: [ThreadsService],
})
export class ThreadsModule {}
