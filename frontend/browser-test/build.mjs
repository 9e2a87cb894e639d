// Bundles browser-test/entry.jsx (the widgets in the real PluginSlot) for the Chromium test, offline.
// The widgets' own stylesheets go to build/bundle.css (the MFE's webpack bundles them the same way).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

await build({
  entryPoints: [path.join(here, 'entry.jsx')],
  outfile: path.join(here, 'build', 'bundle.js'),
  bundle: true,
  format: 'iife',
  jsx: 'automatic',
  loader: {
    '.js': 'jsx', '.svg': 'dataurl', '.png': 'dataurl', '.scss': 'empty', '.css': 'css',
  },
  minify: true,
  define: { 'process.env.NODE_ENV': '"production"' },
  banner: { js: 'var process = { env: { NODE_ENV: "production" } };' },
  alias: {
    '@edx/frontend-platform/auth': path.join(here, 'authShim.js'),
    'env.config': path.join(here, '..', 'test', 'envConfig.js'),
  },
  logLevel: 'warning',
});
