/** Unit tests run in parallel; integration and e2e tests share real servers and run serially (--runInBand). */
const moduleNameMapper = { '^@fedchat/(chat|common|contracts|crypto|models|testing)(/.*)?$': '<rootDir>/libs/$1/src$2' };
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }] };
/**
 * mattermost-redux (the webapp's client logic, used by e2e tests) is CommonJS but requires `serialize-error`, which
 * ships only as an ES module: ts-jest compiles that one package to CommonJS (Jest does not load ES modules).
 */
const esmOnlyPackages = ['serialize-error'];
const e2eTransform = {
  ...transform,
  [`node_modules/(${esmOnlyPackages.join('|')})/.+\\.js$`]: ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true } }],
};
const base = { rootDir: __dirname, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'], moduleNameMapper, transform };

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/unit/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/setup/slow-tests.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      transform: e2eTransform,
      transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages.join('|')})/)`],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/setup/slow-tests.ts'],
    },
  ],
};
