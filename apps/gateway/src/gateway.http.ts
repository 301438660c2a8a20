import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@fedchat/common';
import { exactJsonContentType } from './http/exact-json-content-type.middleware';
import { answerParserErrorsAsJson } from './http/client-error';
import { cleanApiPath } from './http/clean-path.middleware';
import { versionIdHeader } from './http/version-id.middleware';
import { versionIdOf } from './client-config/client-config';
import { bodyParserErrorHandler } from './http/mattermost-error.filter';
import { refuseUnstorableInput } from './http/storable-input.middleware';
import { buildOpenApiDocument, OPENAPI_PATH } from './openapi';
import { serveConsole } from './http/console.static';

/**
 * The gateway's HTTP setup: Mattermost's `X-Version-Id` on every answer, repeated slashes in API paths read as one, exact JSON content type, body size limit, refusal of input PostgreSQL cannot store (or
 * nested too deep), OpenAPI document and viewer, and the Connected Workspaces console at /console/.
 */
export function configureGatewayHttp(app: NestExpressApplication, config: AppConfig): void {
  answerParserErrorsAsJson(app.getHttpServer());
  app.use(versionIdHeader(versionIdOf(config)));
  app.use(cleanApiPath);
  app.use('/api/v4', exactJsonContentType);
  app.useBodyParser('json', { limit: config.service.maximumPayloadSizeBytes });
  app.use(bodyParserErrorHandler);
  app.use('/api/v4', refuseUnstorableInput);
  SwaggerModule.setup('api/v4/docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: OPENAPI_PATH, raw: ['json'] });
  serveConsole(app);
}
