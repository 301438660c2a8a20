import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@fedchat/common';
import type { INestApplication } from '@nestjs/common';
import { exactJsonContentType } from './http/exact-json-content-type.middleware';
import { bodyParserErrorHandler } from './http/mattermost-error.filter';

export const OPENAPI_PATH = 'api/v4/openapi.json';

/** The gateway's HTTP setup: exact JSON content type, body size limit, OpenAPI document. */
export function configureGatewayHttp(app: NestExpressApplication, config: AppConfig): void {
  app.use('/api/v4', exactJsonContentType);
  app.useBodyParser('json', { limit: config.service.maximumPayloadSizeBytes });
  app.use(bodyParserErrorHandler);
  SwaggerModule.setup('api/v4/docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: OPENAPI_PATH, raw: ['json'] });
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const options = new DocumentBuilder()
    .setTitle('fedchat API')
    .setDescription("Mattermost-compatible /api/v4 served by the gateway, for clients and peer clusters")
    .setVersion('4')
    .addBearerAuth()
    .build();
  return SwaggerModule.createDocument(app, options);
}
