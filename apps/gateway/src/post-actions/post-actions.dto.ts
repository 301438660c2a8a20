import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** Mattermost's DoPostActionRequest. */
export class DoPostActionBody {
  @ApiPropertyOptional({ description: "The option picked in a `select` action's menu (its `value`)." })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  selected_option?: string;

  @ApiPropertyOptional({ description: "An ephemeral post's action cookie; the suite sends no ephemeral actions, so none is ever valid." })
  @IsOptional()
  @IsString()
  @MaxLength(65536)
  cookie?: string;
}

/** Mattermost's PostActionAPIResponse. */
export class PostActionResponseJson {
  @ApiProperty({ example: 'OK' }) status: string;
  @ApiProperty({ description: 'A fresh id, as Mattermost returns; the suite opens no interactive dialogs with it.' }) trigger_id: string;
}
