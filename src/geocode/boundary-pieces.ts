import type { DataSource, EntityManager } from 'typeorm';

/**
 * Largest piece, in vertices: small enough for cheap spheroid distances (their cost grows with
 * the vertices), large enough to keep the index small. 32 measured twice as fast as 128 for
 * points near a coast (see migration SmallerBoundaryPieces).
 */
const MAX_PIECE_VERTICES = 32;
/** Namespace of the advisory lock that serialises building a set's pieces across processes. */
const LOCK_NAMESPACE = 0x6332_7270; // "c2rp"

/** Sets known to have pieces, per database (tests run several servers in one process). */
const known = new WeakMap<DataSource, Set<number>>();

/**
 * Makes sure the set's boundaries are in boundary_pieces, building them on first use (about a
 * second for the KOSTAT 읍면동 set on PostgreSQL). Runs inside the caller's transaction; the
 * advisory lock makes a concurrent worker wait for the first build instead of doing it twice.
 */
export async function ensureBoundaryPieces(tx: EntityManager, setId: number): Promise<void> {
  const sets = known.get(tx.connection) ?? new Set<number>();
  known.set(tx.connection, sets);
  if (sets.has(setId)) return;
  await tx.query(`SELECT pg_advisory_xact_lock($1, $2)`, [LOCK_NAMESPACE, setId]);
  const built = await tx.query(`SELECT 1 FROM boundary_pieces_built WHERE set_id = $1`, [setId]);
  if (built.length > 0) {
    sets.add(setId);
    return;
  }
  await tx.query(
    `INSERT INTO boundary_pieces (set_id, boundary_id, level, geom)
     SELECT set_id, id, level, ST_Subdivide(geom, ${MAX_PIECE_VERTICES}) FROM boundaries WHERE set_id = $1`,
    [setId],
  );
  await tx.query(`INSERT INTO boundary_pieces_built (set_id) VALUES ($1)`, [setId]);
  // Not remembered yet: the caller's transaction may still roll back. The next call finds the
  // committed marker row and remembers it then.
}
