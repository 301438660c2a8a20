import { ApiProperty } from '@nestjs/swagger';

export const CategoryType = {
  Favorites: 'favorites',
  Channels: 'channels',
  DirectMessages: 'direct_messages',
  Custom: 'custom',
} as const;
export type CategoryType = (typeof CategoryType)[keyof typeof CategoryType];

/** Mattermost's SidebarCategorySorting: '' is the app's default for the category. */
export const CATEGORY_SORTINGS = ['', 'manual', 'recent', 'alpha'] as const;

/** Mattermost's SidebarCategoryWithChannels. */
export class SidebarCategoryJson {
  @ApiProperty({ example: 'channels_xd6j6qqzyjgf3pjmmt6sbpzbuh_7s9ktqfqsbfstpd9ob5dpk7dne' }) id: string;
  @ApiProperty() user_id: string;
  @ApiProperty() team_id: string;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Position among the categories, ascending' }) sort_order: number;
  @ApiProperty({ enum: CATEGORY_SORTINGS }) sorting: string;
  @ApiProperty({ enum: Object.values(CategoryType) }) type: string;
  @ApiProperty({ example: 'Channels' }) display_name: string;
  @ApiProperty() muted: boolean;
  @ApiProperty() collapsed: boolean;
  @ApiProperty({ type: [String] }) channel_ids: string[];
}

/** Mattermost's OrderedSidebarCategories. */
export class OrderedSidebarCategoriesJson {
  @ApiProperty({ type: [SidebarCategoryJson] }) categories: SidebarCategoryJson[];
  @ApiProperty({ type: [String], description: 'Category ids in display order' }) order: string[];
}

/**
 * A category as a client sends it (create, update): Mattermost decodes it leniently, so fields are checked by hand
 * (`parseCategoryInput`) rather than by a DTO, with absent fields meaning "as they are" on update.
 */
export interface CategoryInput {
  id?: string;
  user_id?: string;
  team_id?: string;
  sorting?: string;
  display_name?: string;
  muted?: boolean;
  collapsed?: boolean;
  channel_ids?: string[];
}
