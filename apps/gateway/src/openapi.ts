import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/** Where the committed OpenAPI document lives; CI fails when the served one differs from it. */
export const OPENAPI_FILE = 'docs/openapi.json';
export const OPENAPI_PATH = 'api/v4/openapi.json';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const options = new DocumentBuilder()
    .setTitle('fedchat API')
    .setDescription(
      'Mattermost-compatible /api/v4 served by the gateway, for clients and peer clusters. Any operation may answer 429 ' +
        '(a rate limit, Mattermost error JSON) with Retry-After in seconds; see docs/operations.md.',
    )
    .setVersion('4')
    .addBearerAuth()
    .build();
  return SwaggerModule.createDocument(app, options);
}

/** Stable text form of the document, as committed. */
export function serializeOpenApi(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
