import { defineConfig, loadEnv } from 'vite';

// The same settings the server reads (the environment, then .env), so the two agree on ports.
const env = { ...loadEnv('development', process.cwd(), ''), ...process.env };
/** Where `npm run dev` finds the API server (started by tsx watch beside Vite). */
const apiPort = Number(env.HTTP_PORT || 8080);
const apiTarget = `http://localhost:${apiPort}`;
/** The dev server's own port: the server lets its pages in as the app's origin (DEV_ORIGINS, VITE_PORT). */
const vitePort = Number(env.VITE_PORT || 5173);

export default defineConfig({
  root: 'web',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    port: vitePort,
    strictPort: true,
    proxy: {
      '/api': apiTarget,
      '/stream': apiTarget,
      '/healthz': apiTarget,
      '/ws': { target: apiTarget.replace(/^http/, 'ws'), ws: true },
    },
  },
  css: {
    preprocessorOptions: {
      scss: {
        // Bootstrap 5.3 still uses Sass features Dart Sass deprecates; its
        // warnings are not ours to fix.
        quietDeps: true,
        silenceDeprecations: ['import', 'global-builtin', 'color-functions', 'if-function'],
      },
    },
  },
});
