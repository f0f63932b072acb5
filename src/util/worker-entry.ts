import type { WorkerOptions } from 'node:worker_threads';

/**
 * What `new Worker()` is given for a worker file. Bundled (scripts/bundle.mjs), the worker is a
 * `.mjs` next to the bundle. Run from TypeScript (tests, tsx), it is the `.ts` file, loaded through
 * tsx's API: a worker thread does not get the loader hooks `--import tsx` registered in the main
 * thread. `callerUrl` is the caller's `import.meta.url`; both paths are relative to the caller.
 */
export function workerEntry(callerUrl: string, sourcePath: string, bundledPath: string): [string | URL, Pick<WorkerOptions, 'eval'>] {
  if (!callerUrl.endsWith('.ts')) return [new URL(bundledPath, callerUrl), {}];
  const href = new URL(sourcePath, callerUrl).href;
  return [`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(href)}); });`, { eval: true }];
}
