import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Test } from '@nestjs/testing';
import { GatewayModule } from '../apps/gateway/src/gateway.module';
import { buildOpenApiDocument, OPENAPI_FILE, serializeOpenApi } from '../apps/gateway/src/openapi';

/**
 * Writes the gateway's OpenAPI document to docs/openapi.json (`npm run openapi`). Only route metadata is read,
 * so every dependency is a stand-in: no database or bus is needed.
 */
async function main(): Promise<void> {
  const moduleRef = await Test.createTestingModule({ imports: [GatewayModule] })
    .useMocker(() => ({}))
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  const file = path.resolve(__dirname, '..', '..', OPENAPI_FILE);
  fs.writeFileSync(file, serializeOpenApi(buildOpenApiDocument(app)));
  await app.close();
  process.stdout.write(`wrote ${file}\n`);
}

void main();
