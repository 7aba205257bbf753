// Bundles Kith's browser pages into api/static/bundle (shipped in the Python package): GraphiQL with
// React, and the relationship map with Cytoscape.js. No page loads anything from outside Kith.
// `node build.mjs --check` builds into a temporary folder and fails if the committed bundle differs.
import * as esbuild from 'esbuild';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const committed = new URL('../api/static/bundle', import.meta.url).pathname;
const check = process.argv.includes('--check');
const outdir = check ? mkdtempSync(join(tmpdir(), 'kith-web-')) : committed;

await esbuild.build({
  entryPoints: { graphiql: 'src/graphiql.js', map: 'src/map.js' },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'linked', // licences of the bundled packages, in .LEGAL.txt files beside the bundles
  outdir,
  absWorkingDir: new URL('.', import.meta.url).pathname,
  logLevel: 'warning',
});

for (const f of readdirSync(outdir)) {
  if (f.endsWith('.LEGAL.txt') && statSync(join(outdir, f)).size === 0) rmSync(join(outdir, f)); // nothing to credit
}

if (check) {
  const stale = readdirSync(outdir).filter(
    (f) => readFileSync(join(outdir, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'));
  rmSync(outdir, { recursive: true });
  if (stale.length) {
    console.error(`api/static/bundle is not what web/ builds (${stale.join(', ')}): run \`cd web && npm run build\` and commit.`);
    process.exit(1);
  }
  console.log('api/static/bundle matches web/src.');
}
