import type { DataSource } from 'typeorm';
import type { CatalogCache } from '../boundaries/catalog';
import type { BoundarySetService } from '../boundaries/set-service';
import { Conversion } from '../entities/Conversion';
import { UserInputError } from '../errors';
import { problemRows, regionCounts, type ProblemRowView, type RegionCountRow } from './chunk-summaries';

/** Problem rows one request may ask for at most. */
export const MAX_PROBLEM_ROWS = 10_000;

/**
 * Counts by region and the rows that need a look, for a conversion running or finished: read
 * from what each committed chunk stored (chunk-summaries.ts), so they cover the rows done so far.
 */
export class ConversionSummaryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly catalogs: CatalogCache,
    private readonly sets: BoundarySetService,
  ) {}

  /** Each region with the set version (`name@version`) whose polygon it is, for a map of that version's tiles. */
  async regionCounts(conversionId: string, level: number): Promise<(Omit<RegionCountRow, 'setId'> & { boundarySet: string })[]> {
    const c = await this.conversion(conversionId);
    if (c.boundarySetId === null) return [];
    const catalog = await this.catalogs.get(c.boundarySetId);
    if (!catalog.levels.some((l) => l.level === level)) {
      throw new UserInputError(
        `경계 데이터에 ${level}단계가 없습니다 (있는 단계: ${catalog.levels.map((l) => `${l.level} ${l.name}`).join(', ')}).`,
        'UNKNOWN_LEVEL',
      );
    }
    // Rows dated by a column were matched in the version of their date: every version of the
    // first set the conversion planned, its own version first.
    const versions = (c.detected?.boundaryPlan?.sets[0]?.versions ?? []).map((v) => v.id).filter((id) => id !== c.boundarySetId);
    const others = await Promise.all(versions.map((id) => this.catalogs.get(id)));
    const counts = await regionCounts(this.dataSource.manager, [catalog, ...others], c.id, level);
    const labels = new Map<number, string>();
    for (const id of new Set(counts.map((r) => r.setId))) labels.set(id, (await this.sets.label(id)) ?? String(id));
    return counts.map(({ setId, ...r }) => ({ ...r, boundarySet: labels.get(setId)! }));
  }

  async problemRows(conversionId: string, first: number, offset: number): Promise<ProblemRowView[]> {
    if (!Number.isInteger(first) || first < 0 || first > MAX_PROBLEM_ROWS) {
      throw new UserInputError(`first는 0에서 ${MAX_PROBLEM_ROWS.toLocaleString('en-US')} 사이여야 합니다.`);
    }
    if (!Number.isInteger(offset) || offset < 0) throw new UserInputError('offset은 0 이상이어야 합니다.');
    const c = await this.conversion(conversionId);
    if (first === 0) return [];
    return problemRows(this.dataSource.manager, c.id, first, offset, c.options.outputLanguage ?? 'KO');
  }

  private async conversion(id: string): Promise<Conversion> {
    const found = /^[0-9a-f-]{36}$/i.test(id) ? await this.dataSource.getRepository(Conversion).findOneBy({ id }) : null;
    if (!found) throw new UserInputError(`No conversion with id ${id}.`, 'NOT_FOUND');
    return found;
  }
}
