import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { APP_CONFIG, loadConfig } from '@fedchat/common';
import { Test } from '@nestjs/testing';
import { GatewayModule } from '../apps/gateway/src/gateway.module';
import { buildOpenApiDocument, OPENAPI_FILE, serializeOpenApi } from '../apps/gateway/src/openapi';

/**
 * Writes the gateway's OpenAPI document to docs/openapi.json (`npm run openapi`). Only route metadata is read,
 * so every dependency but the configuration is a stand-in: no database or bus is needed.
 */
async function main(): Promise<void> {
  const config = loadConfig('embedded', { DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-openapi-')) });
  const moduleRef = await Test.createTestingModule({ imports: [GatewayModule] })
    .useMocker((token) => (token === APP_CONFIG ? config : stub()))
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  const file = path.resolve(__dirname, '..', '..', OPENAPI_FILE);
  fs.writeFileSync(file, serializeOpenApi(buildOpenApiDocument(app)));
  await app.close();
  process.stdout.write(`wrote ${file}\n`);
}

/** A stand-in for any dependency: every property and call yields another stand-in (never a thenable). */
function stub(): unknown {
  const target = function () {} as unknown as object;
  return new Proxy(target, {
    get: (_t, key) => (key === 'then' ? undefined : key === Symbol.iterator ? [][Symbol.iterator] : stub()),
    apply: () => stub(),
  });
}

void main();
