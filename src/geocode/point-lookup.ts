import type { DataSource } from 'typeorm';
import { UserInputError } from '../errors';
import { ensureBoundaryPieces } from './boundary-pieces';
import { NEAREST_ORDER, spheroidDistanceSql } from './nearest-order';
import type { MatchResult } from './result-codes';

export interface PointLookup {
  result: MatchResult;
  boundaryId: number | null;
  distanceMeters: number | null;
}

/**
 * One point, for interactive use: the deepest polygon containing it, else the nearest within
 * `maxDistanceMeters`. Point-driven through the GiST index on the boundaries.
 */
export async function lookupPoint(
  dataSource: DataSource,
  p: { x: number; y: number; srid: number; setId: number; maxDistanceMeters: number },
): Promise<PointLookup> {
  let point: string;
  try {
    const [row] = await dataSource.query(
      `SELECT ST_AsEWKB(ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), $3::int), 4326)) AS g`,
      [p.x, p.y, p.srid],
    );
    point = row.g;
  } catch (err) {
    throw new UserInputError(`(${p.x}, ${p.y}) cannot be transformed from EPSG:${p.srid}: ${(err as Error).message}`, 'INVALID_COORDINATES');
  }
  const [inside] = await dataSource.query(
    `SELECT b.id FROM boundaries b
      WHERE b.set_id = $1 AND b.geom && ST_GeomFromEWKB($2) AND ST_Intersects(b.geom, ST_GeomFromEWKB($2))
      ORDER BY b.level DESC, b.id LIMIT 1`,
    [p.setId, point],
  );
  if (inside) return { result: 'OK', boundaryId: inside.id, distanceMeters: null };
  if (p.maxDistanceMeters > 0) {
    // Against the subdivided pieces, as the chunk geocoder does: a whole province's polygon took
    // ~10 ms per distance; a piece's box holds only what is really near.
    const near = await dataSource.transaction(async (tx) => {
      await ensureBoundaryPieces(tx, p.setId);
      const [row] = await tx.query(
        `WITH pt AS (SELECT ST_GeomFromEWKB($2) AS g)
         SELECT c.id, c.d FROM (
           SELECT bp.boundary_id AS id, bp.level, ${spheroidDistanceSql('bp.geom', 'pt.g')} AS d
             FROM boundary_pieces bp, pt
            WHERE bp.set_id = $1
              AND bp.geom && ST_Expand(pt.g, $3 / (111320 * greatest(cos(radians(ST_Y(pt.g))), 0.01)), $3 / 110540)
           OFFSET 0) c
          WHERE c.d <= $3
          ORDER BY ${NEAREST_ORDER} LIMIT 1`,
        [p.setId, point, p.maxDistanceMeters],
      );
      return row as { id: number; d: number } | undefined;
    });
    if (near) return { result: 'NEAREST', boundaryId: near.id, distanceMeters: Number(near.d) };
  }
  return { result: 'NO_MATCH', boundaryId: null, distanceMeters: null };
}
