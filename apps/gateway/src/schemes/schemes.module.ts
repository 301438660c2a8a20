import { Module } from '@nestjs/common';
import { SchemesController } from './schemes.controller';
import { SchemesService } from './schemes.service';

/** Team override schemes (Mattermost /api/v4/schemes, PUT /teams/{id}/scheme). */
@Module({
  controllers: [SchemesController],
  providers: [SchemesService],
})
export class SchemesModule {}
