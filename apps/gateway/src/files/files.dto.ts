import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { FileInfo } from '@fedchat/models';

/** Mattermost's FileInfo JSON (storage paths and the content digest stay on the server). */
export class FileInfoJson {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'The uploader' }) user_id: string;
  @ApiProperty({ description: "'' until the file is attached to a post" }) post_id: string;
  @ApiProperty() channel_id: string;
  @ApiProperty() create_at: number;
  @ApiProperty() update_at: number;
  @ApiProperty() delete_at: number;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'Lower-case, without the dot' }) extension: string;
  @ApiProperty() size: number;
  @ApiProperty({ description: "'' when the extension is unknown" }) mime_type: string;
  @ApiProperty({ description: 'Pixels, for PNG/JPEG/GIF images; 0 otherwise' }) width: number;
  @ApiProperty() height: number;
  @ApiProperty() has_preview_image: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Base64' }) mini_preview: string | null;
  @ApiProperty() archived: boolean;
  @ApiPropertyOptional({ description: 'Set for files from a remote cluster' }) remote_id?: string;
}

export class FileUploadResponseJson {
  @ApiProperty({ type: [FileInfoJson] }) file_infos: FileInfoJson[];
  @ApiProperty({ type: [String], description: 'The client_ids sent, one per file, in order' }) client_ids: string[];
}

export class StatusOkJson {
  @ApiProperty({ example: 'OK' }) status: string;
}

export function toFileInfoJson(info: FileInfo): FileInfoJson {
  return {
    id: info.id,
    user_id: info.creator_id,
    post_id: info.post_id,
    channel_id: info.channel_id,
    create_at: info.create_at,
    update_at: info.update_at,
    delete_at: info.delete_at,
    name: info.name,
    extension: info.extension,
    size: info.size,
    mime_type: info.mime_type,
    width: info.width,
    height: info.height,
    has_preview_image: info.has_preview_image,
    mini_preview: info.mini_preview ? info.mini_preview.toString('base64') : null,
    archived: false,
    ...(info.remote_id ? { remote_id: info.remote_id } : {}),
  };
}
