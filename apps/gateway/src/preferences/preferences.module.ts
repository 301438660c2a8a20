import { Module } from '@nestjs/common';
import { SidebarCategoriesModule } from '../sidebar-categories/sidebar-categories.module';
import { PreferencesController } from './preferences.controller';
import { PreferencesService } from './preferences.service';

/** User preferences (Mattermost /api/v4/users/{user_id}/preferences). */
@Module({
  imports: [SidebarCategoriesModule],
  controllers: [PreferencesController],
  providers: [PreferencesService],
})
export class PreferencesModule {}
