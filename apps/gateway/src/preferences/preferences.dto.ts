import { ApiProperty } from '@nestjs/swagger';

/** Mattermost's Preference. */
export class PreferenceJson {
  @ApiProperty() user_id: string;
  @ApiProperty({ example: 'display_settings', maxLength: 32 }) category: string;
  @ApiProperty({ example: 'use_military_time', maxLength: 32 }) name: string;
  @ApiProperty({ example: 'true', description: 'At most 20000 characters; a JSON object of strings for the theme category' })
  value: string;
}
