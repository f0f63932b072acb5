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
 * Makes sure the set's boundaries are in boundary_pieces, building what is missing on first use.
 * Runs inside the caller's transaction; the advisory lock makes a concurrent worker wait for the
 * first build instead of doing it twice. Usually buildBoundaryPieces has done the work already,
 * in the background.
 */
export async function ensureBoundaryPieces(tx: EntityManager, setId: number): Promise<void> {
  const sets = known.get(tx.connection) ?? new Set<number>();
  known.set(tx.connection, sets);
  if (sets.has(setId)) return;
  if (await lockUnlessBuilt(tx, setId)) {
    sets.add(setId);
    return;
  }
  await insertMissingPieces(tx, setId, null);
  await tx.query(`INSERT INTO boundary_pieces_built (set_id) VALUES ($1)`, [setId]);
  // Not remembered yet: the caller's transaction may still roll back. The next call finds the
  // committed marker row and remembers it then.
}

/** ensureBoundaryPieces for a caller outside a transaction: nothing to send once the set is known. */
export async function ensureBoundaryPiecesOutsideTransaction(db: EntityManager, setId: number): Promise<void> {
  if (known.get(db.connection)?.has(setId)) return;
  await db.connection.transaction((tx) => ensureBoundaryPieces(tx, setId));
}

/** Vertices cut per transaction by buildBoundaryPieces (a province alone can have 20,000). */
const VERTICES_PER_TRANSACTION = 20_000;

/**
 * Builds a set's pieces in the background, in transactions of about VERTICES_PER_TRANSACTION
 * vertices: all at once took 20 s on the embedded database, whose single connection nothing else
 * could use meanwhile.
 */
export async function buildBoundaryPieces(dataSource: DataSource, setId: number, signal?: AbortSignal): Promise<void> {
  if ((await dataSource.query(`SELECT 1 FROM boundary_pieces_built WHERE set_id = $1`, [setId])).length > 0) return;
  const boundaries: { id: number; vertices: number }[] = await dataSource.query(
    `SELECT id, ST_NPoints(geom) AS vertices FROM boundaries WHERE set_id = $1 ORDER BY id`,
    [setId],
  );
  const batches: number[][] = [[]];
  let vertices = 0;
  for (const b of boundaries) {
    if (vertices >= VERTICES_PER_TRANSACTION) {
      batches.push([]);
      vertices = 0;
    }
    batches[batches.length - 1].push(b.id);
    vertices += b.vertices;
  }
  for (const batch of batches) {
    signal?.throwIfAborted();
    const done = await dataSource.transaction(async (tx) => {
      if (await lockUnlessBuilt(tx, setId)) return true;
      await insertMissingPieces(tx, setId, batch);
      return false;
    });
    if (done) return;
  }
  await dataSource.transaction((tx) => ensureBoundaryPieces(tx, setId)); // nothing left but the marker
}

/** Takes the set's build lock; true when the set's pieces are complete already. */
async function lockUnlessBuilt(tx: EntityManager, setId: number): Promise<boolean> {
  await tx.query(`SELECT pg_advisory_xact_lock($1, $2)`, [LOCK_NAMESPACE, setId]);
  return (await tx.query(`SELECT 1 FROM boundary_pieces_built WHERE set_id = $1`, [setId])).length > 0;
}

/**
 * Pieces of the given boundaries of the set (all when null) that have none yet. A polygon that is
 * not valid is cut from its repaired form: the embedded PostGIS's ST_Subdivide kills its backend on
 * an invalid polygon, and the statement then came back without error and without those pieces.
 * So the pieces are counted afterwards, and a boundary left without any fails the build instead of
 * being silently missed by the shallower-level and nearest searches.
 */
async function insertMissingPieces(tx: EntityManager, setId: number, boundaryIds: number[] | null): Promise<void> {
  await tx.query(
    `INSERT INTO boundary_pieces (set_id, boundary_id, level, geom)
     SELECT b.set_id, b.id, b.level,
            ST_Subdivide(CASE WHEN (ST_IsValidDetail(b.geom)).valid THEN b.geom
                              ELSE ST_CollectionExtract(ST_MakeValid(b.geom), 3) END, ${MAX_PIECE_VERTICES})
       FROM boundaries b
      WHERE b.set_id = $1 AND ($2::integer[] IS NULL OR b.id = ANY($2::integer[]))
        AND NOT EXISTS (SELECT 1 FROM boundary_pieces p WHERE p.boundary_id = b.id)`,
    [setId, boundaryIds],
  );
  const [{ missing }]: { missing: number }[] = await tx.query(
    `SELECT count(*)::int AS missing FROM boundaries b
      WHERE b.set_id = $1 AND ($2::integer[] IS NULL OR b.id = ANY($2::integer[]))
        AND NOT EXISTS (SELECT 1 FROM boundary_pieces p WHERE p.boundary_id = b.id)`,
    [setId, boundaryIds],
  );
  if (missing > 0) throw new Error(`Boundary set ${setId}: ${missing} polygons could not be cut into pieces`);
}
