import type { EntityManager } from 'typeorm';
import { joinChunks, sliceChunk, type GeocodedChunk } from '../geocode/chunk-geocoder';

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

/**
 * Packs the outcomes of rows firstRow.. of a job. With several boundary sets, their outcomes are
 * stored one after the other in the same row (set g's row i at position g·rowCount + i, notes
 * too), so a conversion with two sets still commits one row per chunk.
 */
export function packChunk(firstRow: number, chunk: GeocodedChunk | GeocodedChunk[]): PackedChunk {
  if (Array.isArray(chunk)) return { ...packChunk(firstRow, joinChunks(chunk)), rowCount: chunk[0].rowCount };
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

/**
 * Reads back results committed earlier, rows fromRow..toRow-1 (a resumed job rewrites its output
 * from the start): one chunk per boundary set (`sets` of them), column-wise as geocoded.
 */
export async function loadSetResults(db: EntityManager, conversionId: string, fromRow: number, toRow: number, sets: number): Promise<GeocodedChunk[]> {
  const chunks: PackedChunk[] = await db.query(
    `SELECT first_row AS "firstRow", row_count AS "rowCount", boundary_ids AS "boundaryIds", results,
            note_offsets AS "noteOffsets", note_distances AS "noteDistances", note_reasons AS "noteReasons"
       FROM conversion_chunks
      WHERE conversion_id = $1 AND first_row < $3 AND first_row + row_count > $2 ORDER BY first_row`,
    [conversionId, fromRow, toRow],
  );
  const bySet: GeocodedChunk[][] = Array.from({ length: sets }, () => []);
  for (const c of chunks) {
    const all = unpack(c);
    const from = Math.max(fromRow, c.firstRow) - c.firstRow;
    const to = Math.min(toRow, c.firstRow + c.rowCount) - c.firstRow;
    for (let g = 0; g < sets; g++) bySet[g].push(sliceChunk(all, g * c.rowCount + from, g * c.rowCount + to));
  }
  return bySet.map(joinChunks);
}

/** Drops a job's stored results (once its output holds them, or it ended without one). */
export async function dropChunks(db: EntityManager, conversionId: string): Promise<void> {
  await db.query(`DELETE FROM conversion_chunks WHERE conversion_id = $1`, [conversionId]);
}

/** A stored row as one chunk of all its sets' outcomes (rowCount × sets entries). */
function unpack(r: PackedChunk): GeocodedChunk {
  const boundaryIds = int32sFromBigEndian(r.boundaryIds);
  const chunk: GeocodedChunk = {
    rowCount: boundaryIds.length,
    boundaryIds,
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
