import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/*
 * The lint rule that keeps devDependencies out of shipped code (scripts/eslint-production-imports.mjs), run
 * through the repository's own eslint.config.mjs on snippets placed at real paths. ESLint loads its ESM config in a
 * child process, since Jest's CommonJS runtime cannot import it.
 */

const ROOT = path.resolve(__dirname, '../..');
const RULE = 'production-imports/no-dev-dependencies';

interface Case {
  file: string;
  code: string;
}

/** The messages of RULE for each case, in order. */
function lint(cases: Case[]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const cases = JSON.parse(process.argv[1]);
      const out = [];
      for (const c of cases) {
        const [result] = await eslint.lintText(c.code, { filePath: c.file });
        out.push(result.messages.filter((m) => m.ruleId === ${JSON.stringify(RULE)}).map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((err) => { console.error(err); process.exit(1); });`;
  const run = spawnSync(process.execPath, ['-e', script, JSON.stringify(cases)], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`eslint failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as string[][];
}

const SHIPPED = 'apps/gateway/src/probe.ts';

const cases: Array<{ title: string; file: string; code: string; expected: RegExp | null }> = [
  {
    title: 'a devDependency',
    file: SHIPPED,
    code: "import supertest from 'supertest';\nvoid supertest;",
    expected: /"supertest" is a devDependency/,
  },
  {
    title: 'a subpath of a devDependency',
    file: SHIPPED,
    code: "import { x } from 'yaml/util';\nvoid x;",
    expected: /"yaml" is a devDependency/,
  },
  {
    title: 'a scoped devDependency',
    file: 'libs/common/src/probe.ts',
    code: "import { Client4 } from '@mattermost/client';\nvoid Client4;",
    expected: /"@mattermost\/client" is a devDependency/,
  },
  { title: 'require() of a devDependency', file: SHIPPED, code: "const p = require('prettier');\nvoid p;", expected: /"prettier"/ },
  { title: 'a dynamic import() of a devDependency', file: SHIPPED, code: "void import('jest');", expected: /"jest"/ },
  { title: 're-exporting a devDependency', file: SHIPPED, code: "export * from 'yaml';", expected: /"yaml"/ },
  {
    title: 'a value beside a type from a devDependency',
    file: SHIPPED,
    code: "import { type Document, parse } from 'yaml';\nexport const f = (d: Document) => parse(String(d));",
    expected: /"yaml"/,
  },
  {
    title: 'an undeclared package',
    file: SHIPPED,
    code: "import leftPad from 'left-pad';\nvoid leftPad;",
    expected: /"left-pad" is not in package.json/,
  },
  {
    title: 'the test-only library',
    file: SHIPPED,
    code: "import { startNats } from '@fedchat/testing';\nvoid startNats;",
    expected: /"@fedchat\/testing" is test-only/,
  },
  {
    title: 'import type from a devDependency',
    file: SHIPPED,
    code: "import type { Document } from 'yaml';\nexport type D = Document;",
    expected: null,
  },
  {
    title: 'only inline type specifiers from a devDependency',
    file: SHIPPED,
    code: "import { type Document } from 'yaml';\nexport type D = Document;",
    expected: null,
  },
  {
    title: 'node: builtins',
    file: SHIPPED,
    code: "import * as fs from 'node:fs';\nimport os from 'os';\nvoid fs;\nvoid os;",
    expected: null,
  },
  {
    title: 'scoped dependencies and subpaths',
    file: SHIPPED,
    code: "import { S3Client } from '@aws-sdk/client-s3';\nimport { Repository } from 'typeorm/repository/Repository';\nvoid S3Client;\nvoid Repository;",
    expected: null,
  },
  { title: 'ws (a dependency)', file: SHIPPED, code: "import { WebSocketServer } from 'ws';\nvoid WebSocketServer;", expected: null },
  { title: 'internal aliases', file: SHIPPED, code: "import { loadConfig } from '@fedchat/common';\nvoid loadConfig;", expected: null },
  {
    title: 'a devDependency in a spec',
    file: 'apps/gateway/src/probe.spec.ts',
    code: "import supertest from 'supertest';\nvoid supertest;",
    expected: null,
  },
  {
    title: 'a devDependency in libs/testing',
    file: 'libs/testing/src/probe.ts',
    code: "import supertest from 'supertest';\nvoid supertest;",
    expected: null,
  },
  {
    title: 'a devDependency in test/',
    file: 'test/e2e/probe.e2e-spec.ts',
    code: "import supertest from 'supertest';\nvoid supertest;",
    expected: null,
  },
];

describe('lint rule: no devDependencies in shipped code', () => {
  let results: string[][];

  beforeAll(() => {
    results = lint(cases.map(({ file, code }) => ({ file: path.join(ROOT, file), code })));
  }, 60_000);

  it.each(cases.map((c, i) => [c.title, i] as const))('%s', (_title, i) => {
    const { expected, file } = cases[i];
    if (expected === null) {
      expect({ file, messages: results[i] }).toEqual({ file, messages: [] });
    } else {
      expect(results[i]).toHaveLength(1);
      expect(results[i][0]).toMatch(expected);
    }
  });
});
