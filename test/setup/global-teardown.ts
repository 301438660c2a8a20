import * as fs from 'node:fs';
import type { EmbeddedPostgres } from '../../libs/common/src/database/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __fedchatPg?: { pg: EmbeddedPostgres; dataDir: string } }).__fedchatPg;
  if (!state) return;
  await state.pg.stop();
  fs.rmSync(state.dataDir, { recursive: true, force: true });
}
