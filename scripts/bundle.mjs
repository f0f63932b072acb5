import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * How `npm start` runs the TypeScript: bundled into one ES module beforehand (under a second) and
 * run by plain node, instead of compiled on the fly by tsx, whose loader thread and caches cost
 * the server about 100 MB of memory for its whole life. Packages stay external (loaded from
 * node_modules as usual). The bench bundles its server the same way, so it measures the server
 * as it ships.
 */
export async function bundle(entry, outfile) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const [source, bundled] of WORKER_FILES) {
    await build({ ...options, entryPoints: [path.join(here, '..', source)], outfile: path.join(path.dirname(outfile), bundled) });
  }
  return build({
    ...options,
    entryPoints: [entry],
    outfile,
  });
}

/**
 * Files run as worker threads, each loaded from next to the bundle (src/util/worker-entry.ts): the
 * reading worker (src/reading/worker-source.ts), the XLSX writing thread
 * (src/writing/xlsx-thread-writer.ts) and the embedded database's thread (src/db/embedded.ts).
 */
const WORKER_FILES = [
  ['src/reading/read-worker.ts', 'read-worker.mjs'],
  ['src/writing/xlsx/write-thread.ts', 'write-thread.mjs'],
  ['src/db/embedded-thread.ts', 'embedded-thread.mjs'],
];

const options = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};

// `node scripts/bundle.mjs src/main.ts dist/main.mjs`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [entry, outfile] = process.argv.slice(2);
  if (!entry || !outfile) throw new Error('usage: node scripts/bundle.mjs <entry.ts> <outfile.mjs>');
  await bundle(entry, outfile);
}
