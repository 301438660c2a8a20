import { Module } from '@nestjs/common';
import { ClientConfigController } from './client-config.controller';
import { ClientConfigService } from './client-config.service';

/** The apps' start-up: client config, license, limits (the version header is set in gateway.http.ts). */
@Module({
  controllers: [ClientConfigController],
  providers: [ClientConfigService],
})
export class ClientConfigModule {}
