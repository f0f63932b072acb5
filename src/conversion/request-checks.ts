import type { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { BoundarySetService } from '../boundaries/set-service';
import type { BoundarySet } from '../entities/BoundarySet';
import type { StoredConversionOptions } from '../entities/Conversion';
import { assertKnownSrid } from '../boundaries/srid';
import { parseConversionOptions } from './options';

/**
 * Checks what can be checked before an upload is read: the options, their EPSG code, the boundary
 * set they name. Used by createConversion and previewFile alike, so a bad request fails fast and
 * the same way in both.
 */
export async function checkRequestOptions(
  dataSource: DataSource,
  sets: BoundarySetService,
  rawOptions: Record<string, unknown> | null | undefined,
): Promise<{ options: StoredConversionOptions; set: BoundarySet }> {
  const options = parseConversionOptions(rawOptions);
  if (options.srid !== undefined) await assertKnownSrid(dataSource, options.srid);
  // Every set named must exist; the first, at asOf, is the one a single answer names.
  for (const name of options.boundarySets ?? []) await sets.resolveSet(name);
  return { options, set: await sets.resolve(options.boundarySets?.[0] ?? options.boundarySet, options.asOf) };
}

/**
 * Runs checks before an upload's stream is consumed; if they fail, drains the unread upload so
 * the HTTP request can finish, then rethrows.
 */
export async function beforeReadingUpload<T>(stream: Readable, checks: () => Promise<T>): Promise<T> {
  try {
    return await checks();
  } catch (err) {
    stream.resume();
    throw err;
  }
}
