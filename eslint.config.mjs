import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import productionImports from './scripts/eslint-production-imports.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'dist-chaos/**', 'node_modules/**', 'coverage/**', 'data/**', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { project: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  // Plain Node.js scripts (CI checks, the lint rule below).
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: {
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', fetch: 'readonly', AbortSignal: 'readonly' },
    },
  },
  // Code that ships in the image: only production dependencies (the image installs with --omit=dev).
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    // The console (apps/console) is bundled into static files at build time: its imports never reach the image.
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/*.driver-suite.ts', 'libs/testing/**', 'apps/console/**'],
    plugins: { 'production-imports': productionImports },
    rules: {
      'production-imports/no-dev-dependencies': ['error', { root: import.meta.dirname, forbiddenAliases: ['@fedchat/testing'] }],
    },
  },
);
