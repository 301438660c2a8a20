import * as fs from 'node:fs';
import * as path from 'node:path';

/*
 * The start scripts hand the process over to node (`exec`), so that a signal to npm's process reaches the app and
 * nothing is orphaned (test/e2e/npm-start-scripts.e2e-spec.ts proves it for one app with real processes).
 */

const ROOT = path.resolve(__dirname, '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  engines: Record<string, string>;
};
const APPS = ['gateway', 'remote-cluster', 'shared-channel-sync', 'file-transfer', 'user-sync'];

describe('package.json', () => {
  it.each(APPS)('start:%s execs node on the app', (app) => {
    expect(manifest.scripts[`start:${app}`]).toBe(`exec node dist/apps/${app}/src/main.js`);
  });

  it('start execs node on the embedded app', () => {
    expect(manifest.scripts.start).toMatch(/(^|&&\s*)exec node dist\/apps\/embedded\/src\/main\.js$/);
  });

  it('still accepts Node.js 20 (the image runs 22)', () => {
    expect(manifest.engines.node).toBe('>=20.11');
  });

  it('does not depend on @nestjs/config, which nothing imports', () => {
    expect(manifest.dependencies['@nestjs/config']).toBeUndefined();
  });
});
