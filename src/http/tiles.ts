import type { Request, Response } from 'express';
import { UserInputError } from '../errors';
import type { TileService } from '../tiles/tile-service';

/**
 * GET /tiles/:set/:z/:x/:y.pbf — a Mapbox Vector Tile of a boundary set's polygons (see
 * TileService). A set version never changes, so browsers may keep a tile for a day; the ETag names
 * the version, so a re-import is fetched afresh once the cache expires.
 */
export function tileHandler(tiles: TileService) {
  return async (req: Request, res: Response) => {
    const [z, x, y] = [req.params.z, req.params.x, req.params.y].map((v) => (/^\d{1,6}$/.test(String(v)) ? Number(v) : NaN));
    try {
      const tile = await tiles.tile(String(req.params.set), z, x, y);
      if (!tile) {
        res.status(404).json({ error: `타일 좌표가 올바르지 않습니다: ${req.params.z}/${req.params.x}/${req.params.y}` });
        return;
      }
      const etag = `"${req.params.set}-v${tile.setVersion}-${z}-${x}-${y}"`;
      res.setHeader('Cache-Control', 'public, max-age=86400');
      res.setHeader('ETag', etag);
      if (req.headers['if-none-match'] === etag) {
        res.status(304).end();
        return;
      }
      res.type('application/vnd.mapbox-vector-tile');
      res.status(tile.bytes.length === 0 ? 204 : 200).end(tile.bytes);
    } catch (err) {
      if (err instanceof UserInputError) {
        res.status(404).json({ error: err.message, code: err.code });
        return;
      }
      throw err;
    }
  };
}
