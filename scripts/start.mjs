import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stop } from 'esbuild';
import { bundle } from './bundle.mjs';

/**
 * `npm start`: bundles the server (scripts/bundle.mjs) and runs the bundle in this same process.
 * One process, so the signal a supervisor (systemd, docker stop, npm forwarding Ctrl-C) sends
 * reaches the server itself and it stops gracefully; a `build && node …` script would run under
 * `sh -c`, which takes SIGTERM for itself and leaves the server orphaned.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/main.mjs');
await bundle(path.join(root, 'src/main.ts'), out);
await stop(); // esbuild's service process is no longer needed
await import(pathToFileURL(out).href);
