import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUNDLED_VERSIONS, DEFAULT_SET_NAME } from '../src/boundaries/default-set';
import { BoundarySetService } from '../src/boundaries/set-service';
import { InteriorGridCache } from '../src/geocode/interior-grid-cache';
import { prebuiltGridFile, prebuiltGridFits } from '../src/geocode/prebuilt-grid';
import { createLogger } from '../src/logger';
import { openTestDatabase } from './helpers/database';

/**
 * The bundled set's versions (kostat 2013 and 2018) ship their interior grids for both database
 * kinds, so a first start loads them instead of building them for minutes. A file fits only the
 * boundaries as this kind of database stores them (PostGIS repairs the invalid polygons on load);
 * when this fails after a change to the bundled data or to the grid, run `npm run grid:prebuild`
 * embedded and on a fresh PostgreSQL database.
 */
describe('prebuilt interior grids of the bundled set', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  before(async () => {
    db = await openTestDatabase();
  });
  after(() => db?.close());

  test('each version has a file for this database kind that fits it, and a grid cache loads it rather than builds it', async () => {
    const versions = (await new BoundarySetService(db.dataSource).listCurrent()).filter((s) => s.name === DEFAULT_SET_NAME);
    assert.deepEqual(versions.map((v) => v.validFrom).sort(), BUNDLED_VERSIONS.map((v) => v.validFrom));
    for (const set of versions) {
      const file = prebuiltGridFile(`${DEFAULT_SET_NAME}-${set.validFrom!.slice(0, 4)}`, db.embedded ? 'embedded' : 'postgresql');
      assert.ok(await prebuiltGridFits(db.dataSource, set.id, file), `${file} does not fit the ${set.validFrom} version as stored here`);
      // As on a first start: no stored grid, so the cache reads the prebuilt file (a built grid is
      // stored with its covered cells counted; a prebuilt one with 0).
      await db.dataSource.query(`DELETE FROM boundary_grids WHERE set_id = $1`, [set.id]);
      const grids = new InteriorGridCache(db.dataSource, createLogger('error'));
      await grids.prepare(set.id);
      assert.equal(grids.state(set.id), 'ready');
      const [{ cells }] = await db.dataSource.query(`SELECT cells FROM boundary_grids WHERE set_id = $1`, [set.id]);
      assert.equal(Number(cells), 0, `the ${set.validFrom} grid was built, not loaded`);
      await grids.close();
    }
  });
});
