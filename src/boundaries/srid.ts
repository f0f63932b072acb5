import type { DataSource } from 'typeorm';
import { UserInputError } from '../errors';

/** Rejects an EPSG code PostGIS does not know, before a job is queued with it. */
export async function assertKnownSrid(dataSource: DataSource, srid: number): Promise<void> {
  const rows = await dataSource.query(`SELECT 1 FROM spatial_ref_sys WHERE srid = $1`, [srid]);
  if (rows.length === 0) throw new UserInputError(`EPSG:${srid} is not a coordinate reference system PostGIS knows.`, 'UNKNOWN_SRID');
}
