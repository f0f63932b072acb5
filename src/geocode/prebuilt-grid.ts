import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { DataSource } from 'typeorm';
import { PROJECT_ROOT } from '../project-root';
import { GRID_FORMAT, InteriorGrid } from './interior-grid';

const brotliDecompress = promisify(zlib.brotliDecompress);

/**
 * Interior grids that ship with the project, so the bundled sets are at full speed from the first
 * start instead of after a build of minutes. `npm run grid:prebuild` writes one file per bundled
 * set into data/boundaries (brotli-compressed: a JSON header line, then the grid's slots).
 *
 * A file belongs to exactly the boundary data it was built from: its header holds a hash of the
 * set's polygons as the database stores them (level, code and geometry of each), and a file whose
 * hash or grid format differs from the set's is ignored (the grid is then built as usual). Boundary
 * ids differ between databases, so the file names polygons by level and code, and they are mapped
 * to this database's ids on load.
 */
export const PREBUILT_GRID_DIR = path.join(PROJECT_ROOT, 'data/boundaries');

/**
 * One file per set and database kind: the embedded database's PostGIS and a server's may repair
 * invalid polygons a little differently (other GEOS versions), and so store other polygons.
 */
export const prebuiltGridFile = (setName: string, variant: 'embedded' | 'postgresql', dir = PREBUILT_GRID_DIR) => path.join(dir, `${setName}.${variant}.grid.br`);

interface Header {
  format: number;
  setName: string;
  dataHash: string;
  /** `level:code` of boundary id k at position k of `ids`. */
  ids: number[];
  keys: string[];
}

/** A hash of the set's polygons as stored: equal hashes, equal grids. */
export async function boundaryDataHash(dataSource: DataSource, setId: number): Promise<string> {
  const [{ hash }]: { hash: string }[] = await dataSource.query(
    `SELECT md5(string_agg(level || ':' || code || ':' || md5(ST_AsEWKB(geom)), ',' ORDER BY level, code)) AS hash
       FROM boundaries WHERE set_id = $1`,
    [setId],
  );
  return hash;
}

async function keysOf(dataSource: DataSource, setId: number): Promise<{ id: number; key: string }[]> {
  const rows: { id: number; level: number; code: string }[] = await dataSource.query(`SELECT id, level, code FROM boundaries WHERE set_id = $1`, [setId]);
  return rows.map((r) => ({ id: r.id, key: `${r.level}:${r.code}` }));
}

/** Writes the set's grid as a prebuilt file. */
export async function writePrebuiltGrid(dataSource: DataSource, setId: number, grid: InteriorGrid, file: string): Promise<number> {
  const [{ name }]: { name: string }[] = await dataSource.query(`SELECT name FROM boundary_sets WHERE id = $1`, [setId]);
  const keys = await keysOf(dataSource, setId);
  const header: Header = { format: GRID_FORMAT, setName: name, dataHash: await boundaryDataHash(dataSource, setId), ids: keys.map((k) => k.id), keys: keys.map((k) => k.key) };
  const body = Buffer.concat([Buffer.from(JSON.stringify(header) + '\n'), grid.toBuffer()]);
  const packed = zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  fs.writeFileSync(file, packed);
  return packed.length;
}

/**
 * The prebuilt grid of the set, when one of the files for its name was built from the same
 * boundary data in the same grid format; null otherwise.
 */
export async function readPrebuiltGrid(dataSource: DataSource, setId: number, dir = PREBUILT_GRID_DIR): Promise<InteriorGrid | null> {
  const [set]: { name: string }[] = await dataSource.query(`SELECT name FROM boundary_sets WHERE id = $1`, [setId]);
  if (!set || !fs.existsSync(dir)) return null;
  // `<name>.…` or, for a dated version, `<name>-<year>.…`; the data hash decides which fits.
  const files = fs.readdirSync(dir).filter((f) => (f.startsWith(`${set.name}.`) || f.startsWith(`${set.name}-`)) && f.endsWith('.grid.br'));
  let dataHash: string | null = null;
  for (const file of files) {
    dataHash ??= await boundaryDataHash(dataSource, setId);
    const grid = await readFile(dataSource, setId, path.join(dir, file), dataHash);
    if (grid) return grid;
  }
  return null;
}

/** Whether `file` holds a grid built from the set's boundary data as this database stores it, in this grid format. */
export async function prebuiltGridFits(dataSource: DataSource, setId: number, file: string): Promise<boolean> {
  if (!fs.existsSync(file)) return false;
  return (await readFile(dataSource, setId, file, await boundaryDataHash(dataSource, setId))) !== null;
}

async function readFile(dataSource: DataSource, setId: number, file: string, dataHash: string): Promise<InteriorGrid | null> {
  // Decompressed off the event loop (libuv's pool): the default set's grid takes ~0.3 s.
  const body = await brotliDecompress(await fs.promises.readFile(file));
  const newline = body.indexOf(0x0a);
  const header = JSON.parse(body.subarray(0, newline).toString('utf8')) as Header;
  if (header.format !== GRID_FORMAT || header.dataHash !== dataHash) return null;
  const idOfKey = new Map((await keysOf(dataSource, setId)).map((k) => [k.key, k.id]));
  const newId = new Map<number, number>();
  for (let k = 0; k < header.ids.length; k++) {
    const id = idOfKey.get(header.keys[k]);
    if (id === undefined) return null;
    newId.set(header.ids[k], id);
  }
  // Copied out of the decompressed buffer: the slots must be 4-byte aligned.
  const raw = body.subarray(newline + 1);
  const slots = new Int32Array(raw.length / 4);
  Buffer.from(slots.buffer).set(raw);
  for (let s = 0; s < slots.length; s++) {
    if (slots[s] > 0) {
      const id = newId.get(slots[s]);
      if (id === undefined) return null;
      slots[s] = id;
    }
  }
  return new InteriorGrid(slots);
}
