import type { DataSource } from 'typeorm';
import type { CatalogCache } from '../boundaries/catalog';
import { displayName, type BoundarySetService } from '../boundaries/set-service';
import { UserInputError } from '../errors';
import { resultAt } from './chunk-geocoder';
import { onePoint, type Geocoder } from './geocoder';
import { RESULT_CODE, resultFromCode, type MatchResult } from './result-codes';
import { assertKnownSrid } from '../boundaries/srid';

export interface AddressView {
  result: MatchResult;
  address: string | null;
  code: string | null;
  level: number | null;
  sido: string | null;
  sigungu: string | null;
  eupmyeondong: string | null;
  ri: string | null;
  distanceMeters: number | null;
  components: { level: number; levelName: string; code: string | null; name: string | null }[];
  boundarySet: string;
}

/**
 * `reverseGeocode`: one point to its address, for interactive use and spot checks. The point is
 * geocoded as a chunk of one by the conversions' geocoder, so it gets what a conversion gives it.
 */
export class ReverseGeocodeService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sets: BoundarySetService,
    private readonly catalogs: CatalogCache,
    private readonly geocoder: Geocoder,
    private readonly defaultMaxDistanceMeters: number,
  ) {}

  async lookup(args: { x: number; y: number; srid?: number | null; boundarySet?: string | null; maxDistanceMeters?: number | null; asOf?: string | null }): Promise<AddressView> {
    const srid = args.srid ?? 4326;
    if (!Number.isFinite(args.x) || !Number.isFinite(args.y)) throw new UserInputError('x and y must be finite numbers.', 'INVALID_COORDINATES');
    if (srid === 4326 && (Math.abs(args.x) > 180 || Math.abs(args.y) > 90)) {
      throw new UserInputError(`(${args.x}, ${args.y}) is not a longitude/latitude; pass srid for projected coordinates (e.g. 5179).`, 'INVALID_COORDINATES');
    }
    const maxDistanceMeters = args.maxDistanceMeters ?? this.defaultMaxDistanceMeters;
    if (maxDistanceMeters < 0 || maxDistanceMeters > 100_000) throw new UserInputError('maxDistanceMeters must be between 0 and 100000.');
    await assertKnownSrid(this.dataSource, srid);
    const set = await this.sets.resolve(args.boundarySet, args.asOf);
    const catalog = await this.catalogs.get(set.id);
    const hit = resultAt(await this.geocoder.geocode({ setId: set.id, srid, maxDistanceMeters }, onePoint(args.x, args.y)), 0);
    if (hit.result === RESULT_CODE.INVALID) {
      throw new UserInputError(`(${args.x}, ${args.y}) cannot be transformed from EPSG:${srid}: ${hit.reason}`, 'INVALID_COORDINATES');
    }
    const entry = hit.boundaryId === null ? undefined : catalog.get(hit.boundaryId);
    const nameAt = (level: number) => (catalog.levels.some((l) => l.level === level) ? entry?.names[level] ?? null : null);
    return {
      result: resultFromCode(hit.result),
      address: entry?.address ?? null,
      code: entry?.code ?? null,
      level: entry?.level ?? null,
      sido: nameAt(1),
      sigungu: nameAt(2),
      eupmyeondong: nameAt(3),
      ri: nameAt(4),
      distanceMeters: hit.distanceMeters,
      components: catalog.levels.map((l) => ({
        level: l.level,
        levelName: l.name,
        code: entry?.codes[l.level] ?? null,
        name: entry?.names[l.level] ?? null,
      })),
      boundarySet: displayName(set),
    };
  }
}
