import { ApiProperty } from '@nestjs/swagger';

export class ServerLimitsJson {
  @ApiProperty({ description: '0: no limit' }) maxUsersLimit: number;
  @ApiProperty({ description: '0: no limit' }) maxUsersHardLimit: number;
  @ApiProperty({ description: 'Active local users; 0 unless the caller is a system admin' }) activeUserCount: number;
  @ApiProperty({ description: '0: no limit' }) postHistoryLimit: number;
  @ApiProperty() lastAccessiblePostTime: number;
}

/** `format=old` is the only format Mattermost serves; absent means the same here. */
export const FORMAT_QUERY = { name: 'format', required: false, enum: ['old'] } as const;

export const STRING_MAP = { type: 'object', additionalProperties: { type: 'string' } } as const;
