import { ApiProperty } from '@nestjs/swagger';
import type { Role } from '@fedchat/models';

/** Mattermost's Role JSON. */
export class RoleJson {
  @ApiProperty({ example: 'xd6j6qqzyjgf3pjmmt6sbpzbuh' }) id: string;
  @ApiProperty({ example: 'channel_user' }) name: string;
  @ApiProperty({ example: 'authentication.roles.channel_user.name' }) display_name: string;
  @ApiProperty({ example: 'authentication.roles.channel_user.description' }) description: string;
  @ApiProperty({ type: 'integer', format: 'int64' }) create_at: number;
  @ApiProperty({ type: 'integer', format: 'int64' }) update_at: number;
  @ApiProperty({ type: 'integer', format: 'int64' }) delete_at: number;
  @ApiProperty({ type: [String], example: ['create_post', 'add_reaction'] }) permissions: string[];
  @ApiProperty() scheme_managed: boolean;
  @ApiProperty() built_in: boolean;
}

export function toRoleJson(role: Role): RoleJson {
  return {
    id: role.id,
    name: role.name,
    display_name: role.display_name,
    description: role.description,
    create_at: role.create_at,
    update_at: role.update_at,
    delete_at: role.delete_at,
    permissions: [...role.permissions],
    scheme_managed: role.scheme_managed,
    built_in: role.built_in,
  };
}
