import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Boundary pieces are now cut to at most 32 vertices instead of 128: the nearest search measures
 * each candidate piece on the spheroid, at a cost that grows with its vertices, and for points
 * near a coast that measuring was most of a chunk's time (119 against 57 ms for 631 such points).
 * The pieces are derived data: dropping them makes the next use of each set build them again.
 */
export class SmallerBoundaryPieces1764000000006 implements MigrationInterface {
  name = 'SmallerBoundaryPieces1764000000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM boundary_pieces_built`);
    await q.query(`TRUNCATE boundary_pieces`);
  }

  async down(q: QueryRunner): Promise<void> {
    await this.up(q); // the older code builds its own pieces again just the same
  }
}
