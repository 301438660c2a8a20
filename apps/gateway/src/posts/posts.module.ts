import { Module } from '@nestjs/common';
import { PostSearch } from './post-search.service';
import { PostsController } from './posts.controller';
import { ReactionsController } from './reactions.controller';

/** Posts, threads, reactions, acknowledgements, pinning, priority and search. */
@Module({
  controllers: [PostsController, ReactionsController],
  providers: [PostSearch],
})
export class PostsModule {}
