// Bundles the browser-test pages for the Chromium tests and the demo, offline: entry.jsx (the profile
// widget in the real PluginSlot) as bundle.js, courseEntry.jsx (Course badges in the learning MFE's
// slots) as course-bundle.js. The widgets' own stylesheets go to build/bundle.css and
// build/course-bundle.css (the MFE's webpack bundles them the same way).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

await build({
  entryPoints: { bundle: path.join(here, 'entry.jsx'), 'course-bundle': path.join(here, 'courseEntry.jsx') },
  outdir: path.join(here, 'build'),
  bundle: true,
  format: 'iife',
  jsx: 'automatic',
  loader: {
    '.js': 'jsx', '.svg': 'dataurl', '.png': 'dataurl', '.scss': 'empty', '.css': 'css',
  },
  minify: true,
  // Webpack (the MFEs' bundler) gives modules `global`; Paragon's window-size hook reads it.
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  banner: { js: 'var process = { env: { NODE_ENV: "production" } };' },
  alias: {
    '@edx/frontend-platform/auth': path.join(here, 'authShim.js'),
    'env.config': path.join(here, '..', 'test', 'envConfig.js'),
  },
  logLevel: 'warning',
});
