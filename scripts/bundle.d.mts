/** See bundle.mjs. */
export function bundle(entry: string, outfile: string): Promise<unknown>;
