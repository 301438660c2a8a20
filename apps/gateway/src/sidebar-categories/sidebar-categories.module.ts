import { Module } from '@nestjs/common';
import { SidebarCategoriesController } from './sidebar-categories.controller';
import { SidebarCategoriesService } from './sidebar-categories.service';

/** Sidebar categories (Mattermost's channel categories): favourites, channels, direct messages and custom ones. */
@Module({
  controllers: [SidebarCategoriesController],
  providers: [SidebarCategoriesService],
  exports: [SidebarCategoriesService],
})
export class SidebarCategoriesModule {}
