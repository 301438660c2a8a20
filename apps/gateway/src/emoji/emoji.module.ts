import { Module } from '@nestjs/common';
import { EmojiController } from './emoji.controller';

/** Custom emoji routes, answered as Mattermost does while custom emoji are disabled. */
@Module({ controllers: [EmojiController] })
export class EmojiModule {}
