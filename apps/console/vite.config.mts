import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// Static files for the gateway's /console/ path. Vite compiles the TSX itself (jsx: react-jsx from tsconfig.json);
// no dev-server plugin is needed for a production build.
export default defineConfig({
  root: here,
  base: '/console/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    // Hashed file names under assets/: the gateway caches them for a year, index.html never.
    assetsDir: 'assets',
    // The strict Content-Security-Policy forbids inline scripts and styles: nothing may be inlined.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
