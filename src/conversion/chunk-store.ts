import type { EntityManager } from 'typeorm';
import { resultsOf, type GeocodedChunk, type PointResult } from '../geocode/chunk-geocoder';

/**
 * A geocoded chunk as one conversion_chunks row stores it. Boundary ids and result codes are
 * packed (see migration PackedChunkResults): big-endian int4 and int2 per row, 0 for no boundary,
 * as int4send and int2send write them. Distances and reasons are sparse (see migration
 * SparseChunkNotes): the offsets of the rows that have either, ascending, with their distance and
 * reason (NULL where that row has none). JobQueue.commitChunk stores it with the job's counters.
 */
export interface PackedChunk {
  firstRow: number;
  rowCount: number;
  boundaryIds: Buffer;
  results: Buffer;
  noteOffsets: number[];
  noteDistances: (number | null)[];
  noteReasons: (string | null)[];
}

/** Packs the outcomes of rows firstRow.. of a job. */
export function packChunk(firstRow: number, chunk: GeocodedChunk): PackedChunk {
  const noteOffsets = [...new Set([...chunk.distances.keys(), ...chunk.reasons.keys()])].sort((a, b) => a - b);
  return {
    firstRow,
    rowCount: chunk.rowCount,
    boundaryIds: bigEndian(chunk.boundaryIds),
    results: bigEndian(chunk.results),
    noteOffsets,
    noteDistances: noteOffsets.map((o) => chunk.distances.get(o) ?? null),
    noteReasons: noteOffsets.map((o) => chunk.reasons.get(o) ?? null),
  };
}

/** Reads back results committed earlier, rows fromRow..toRow-1 (a resumed job rewrites its output from the start). */
export async function loadResults(db: EntityManager, conversionId: string, fromRow: number, toRow: number): Promise<PointResult[]> {
  // Chunks are cut by CHUNK_ROWS, which may differ between attempts: take every overlapping one.
  const chunks: PackedChunk[] = await db.query(
    `SELECT first_row AS "firstRow", row_count AS "rowCount", boundary_ids AS "boundaryIds", results,
            note_offsets AS "noteOffsets", note_distances AS "noteDistances", note_reasons AS "noteReasons"
       FROM conversion_chunks
      WHERE conversion_id = $1 AND first_row < $3 AND first_row + row_count > $2 ORDER BY first_row`,
    [conversionId, fromRow, toRow],
  );
  return chunks.flatMap((c) => resultsOf(unpack(c), Math.max(fromRow, c.firstRow) - c.firstRow, Math.min(toRow, c.firstRow + c.rowCount) - c.firstRow));
}

/** Drops a job's stored results (once its output holds them, or it ended without one). */
export async function dropChunks(db: EntityManager, conversionId: string): Promise<void> {
  await db.query(`DELETE FROM conversion_chunks WHERE conversion_id = $1`, [conversionId]);
}

function unpack(r: PackedChunk): GeocodedChunk {
  const chunk: GeocodedChunk = {
    rowCount: r.rowCount,
    boundaryIds: int32sFromBigEndian(r.boundaryIds),
    results: int16sFromBigEndian(r.results),
    distances: new Map(),
    reasons: new Map(),
    gridMatches: 0,
  };
  r.noteOffsets.forEach((o, k) => {
    const distance = r.noteDistances[k];
    const reason = r.noteReasons[k];
    if (distance !== null) chunk.distances.set(o, distance);
    if (reason !== null) chunk.reasons.set(o, reason);
  });
  return chunk;
}

/** Typed arrays are in the platform's order (little-endian wherever Node runs), hence the swap. */
function bigEndian(values: Int32Array | Int16Array): Buffer {
  const buf = Buffer.from(values.slice().buffer);
  return values instanceof Int32Array ? buf.swap32() : buf.swap16();
}

function int32sFromBigEndian(bytes: Buffer): Int32Array {
  const copy = new Uint8Array(bytes); // its own, aligned ArrayBuffer, swapped in place
  Buffer.from(copy.buffer).swap32();
  return new Int32Array(copy.buffer);
}

function int16sFromBigEndian(bytes: Buffer): Int16Array {
  const copy = new Uint8Array(bytes);
  Buffer.from(copy.buffer).swap16();
  return new Int16Array(copy.buffer);
}
