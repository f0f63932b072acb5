/** Messages between embedded.ts and the embedded database's thread (embedded-thread.ts). */
export type ToDatabaseThread = { type: 'stop' };
export type FromDatabaseThread = { type: 'ready' } | { type: 'error'; message: string };
