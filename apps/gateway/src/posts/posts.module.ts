import { Module } from '@nestjs/common';
import { PostReads } from './post-reads.service';
import { PostSearch } from './post-search.service';
import { PostsController } from './posts.controller';
import { PostsService } from './posts.service';
import { ReactionsController } from './reactions.controller';

/** Posts, threads, reactions, acknowledgements, pinning, priority and search. */
@Module({
  controllers: [PostsController, ReactionsController],
  providers: [PostsService, PostReads, PostSearch],
  exports: [PostsService, PostReads],
})
export class PostsModule {}
