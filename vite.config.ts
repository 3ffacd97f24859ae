import { defineConfig, loadEnv, type Plugin } from 'vite';

// The same settings the server reads (the environment, then .env), so the two agree on ports.
const env = { ...loadEnv('development', process.cwd(), ''), ...process.env };
/** Where `npm run dev` finds the API server (started by tsx watch beside Vite). */
const apiPort = Number(env.HTTP_PORT || 8080);
const apiTarget = `http://localhost:${apiPort}`;
/**
 * The dev server's own port: `npm run dev -- --port N` (scripts/dev.mjs) and
 * VITE_PORT set it for Vite and the API server alike, which lets that
 * origin in during development only (DEV_ORIGINS).
 */
const vitePort = Number(env.VITE_PORT || 5173);

/**
 * The error catalogues' `summary` texts document the codes for people
 * reading the source, and `status` is the server's; the app shows its own
 * translated texts and reads only `retry`, so its build leaves both out
 * (about 1 KB gzipped the minifier cannot drop: they are object properties).
 */
function dropErrorSummaries(): Plugin {
  return {
    name: 'drop-error-summaries',
    apply: 'build',
    transform(code, id) {
      if (!/[\\/](protocol|client[\\/]src)[\\/]errors\.ts$/.test(id)) return null;
      const stripped = code.replace(/summary: ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`)/g, "summary: ''");
      return { code: stripped.replace(/\bstatus: (?:\d+|null),\s*/g, ''), map: null };
    },
  };
}

/**
 * The app's only dynamic imports are its language chunks (web/src/i18n.ts),
 * which import nothing: Vite's preload helper (about 0.7 KB gzipped, for
 * preloading a lazy chunk's own imports and CSS) has nothing to do, so the
 * build swaps it for one that just loads. A lazy chunk that did have
 * dependencies to preload stops the build here (it would need the real helper).
 */
function noPreloadHelper(): Plugin {
  const HELPER = '\0vite/preload-helper.js';
  return {
    name: 'no-preload-helper',
    apply: 'build',
    enforce: 'pre',
    resolveId: (id) => (id === HELPER ? id : null),
    load: (id) => (id === HELPER ? 'export const __vitePreload = (load) => load();' : null),
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type === 'chunk' && chunk.code.includes('__vite__mapDeps')) this.error(`${chunk.fileName}: a lazy chunk has dependencies to preload`);
      }
    },
  };
}

export default defineConfig({
  root: 'web',
  plugins: [dropErrorSummaries(), noPreloadHelper()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // Maps are written but not named in the scripts (no sourceMappingURL comment): they are 404
    // unless SERVE_SOURCE_MAPS, which names them in a SourceMap response header instead.
    sourcemap: 'hidden',
    // Every browser the app supports (it uses the Popover API) preloads modules itself.
    modulePreload: { polyfill: false },
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
