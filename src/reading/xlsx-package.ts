import path from 'node:path/posix';
import type { Readable } from 'node:stream';
import { UserInputError } from '../errors';
import { guardPart } from './part-guard';
import { describeReadError, READ_LIMITS } from './read-limits';
import { xlsxLibraries } from './xlsx-libraries';

const REL_OFFICE_DOCUMENT = /\/officeDocument$/;
const REL_WORKSHEET = /\/worksheet$/;
const REL_SHARED_STRINGS = /\/sharedStrings$/;
const REL_STYLES = /\/styles$/;

export interface PackageSheet {
  /** The name xl/workbook.xml gives the sheet (not necessarily unique or valid for Excel). */
  name: string;
  /** The zip entry of its worksheet part, found through its relationship id. */
  part: string | null;
}

/** What every worksheet needs to be read: shared strings, number formats, date system. */
export interface PackageContext {
  sharedStrings: unknown[];
  styles: unknown;
  properties: unknown;
}

interface Entry {
  path: string;
  stream(): Readable;
}

/** A part's stream through the guard (see part-guard.ts): bounded inflated size, no DTD, no endless text. */
function openPart(entry: Entry, maxBytes: number, sharedStrings = false): Readable {
  return guardPart(entry.stream(), { maxBytes, sharedStrings });
}

/** Parses one non-sheet part; any failure becomes a coded error naming the part. */
async function parseGuarded(xform: { parseStream(s: NodeJS.ReadableStream): Promise<unknown> }, entry: Entry, sharedStrings = false): Promise<void> {
  const stream = openPart(entry, READ_LIMITS.otherPartBytes, sharedStrings);
  try {
    await xform.parseStream(stream);
  } catch (err) {
    throw describeReadError(err, { part: entry.path }, 'XLSX');
  } finally {
    stream.destroy();
  }
}

/**
 * An XLSX package read through its zip's central directory, as the format means it to be read:
 * the workbook part from _rels/.rels, the sheets in workbook order with their parts from the
 * workbook's relationships (by r:id, not by file name or by the order of entries in the zip), and
 * the shared strings and styles parsed before any sheet. Entries are read in any order, so where
 * a writer put them no longer matters, and nothing is spooled to temporary files. The part
 * parsers are exceljs's own.
 */
export class XlsxPackage {
  private constructor(
    private readonly entries: Map<string, Entry>,
    readonly sheets: PackageSheet[],
    readonly context: PackageContext,
  ) {}

  static async open(file: string): Promise<XlsxPackage> {
    const { unzipper, WorkbookXform, StylesXform, SharedStringsXform } = await xlsxLibraries();
    let directory: { files: Entry[] };
    try {
      directory = (await unzipper.Open.file(file)) as unknown as { files: Entry[] };
    } catch {
      throw new UserInputError(
        '올바른 .xlsx 통합 문서가 아닙니다(zip 목차를 읽을 수 없음: 파일이 잘렸거나 손상되었을 수 있습니다). 엑셀에서 열리는지 확인하고 다시 저장해 올려 주세요. · ' +
          'The file is not a valid .xlsx workbook (its zip directory cannot be read: cut off or damaged?); check that Excel opens it, save it again and upload it.',
        'UNSUPPORTED_FILE',
      );
    }
    const entries = new Map(directory.files.map((e) => [e.path.replace(/^\/+/, ''), e]));
    const rootRels = await parseRels(entries, '_rels/.rels');
    const officeDocument = rootRels.find((r) => REL_OFFICE_DOCUMENT.test(r.Type) && r.TargetMode !== 'External');
    const workbookPath = officeDocument ? resolveTarget('', officeDocument.Target) : 'xl/workbook.xml';
    const workbookEntry = entries.get(workbookPath);
    if (!workbookEntry) throw new UserInputError(
        '올바른 .xlsx 통합 문서가 아닙니다(통합 문서 부분이 없음). 엑셀에서 .xlsx로 다시 저장해 올려 주세요. · The file is not a valid .xlsx workbook (it has no workbook part); save it again as .xlsx.',
        'UNSUPPORTED_FILE',
      );
    const workbook = new WorkbookXform();
    await parseGuarded(workbook, workbookEntry);
    const model = workbook.model as { sheets?: { name?: string; rId?: string; id?: number }[] } | undefined;

    const dir = path.dirname(workbookPath);
    const rels = await parseRels(entries, path.join(dir, '_rels', `${path.basename(workbookPath)}.rels`));
    const relTarget = (pattern: RegExp, fallback: string) => {
      const rel = rels.find((r) => pattern.test(r.Type) && r.TargetMode !== 'External');
      return rel ? resolveTarget(dir, rel.Target) : path.join(dir, fallback);
    };
    const byId = new Map(rels.filter((r) => REL_WORKSHEET.test(r.Type)).map((r) => [r.Id, resolveTarget(dir, r.Target)]));
    const sheets = (model?.sheets ?? []).map((s, i) => {
      const part = (s.rId && byId.get(s.rId)) || null;
      return { name: String(s.name ?? `Sheet${s.id ?? i + 1}`), part: part && entries.has(part) ? part : null };
    });

    const sharedStrings = await parsePart(entries, relTarget(REL_SHARED_STRINGS, 'sharedStrings.xml'), SharedStringsXform, true);
    const styles = new StylesXform();
    const stylesEntry = entries.get(relTarget(REL_STYLES, 'styles.xml'));
    if (stylesEntry) await parseGuarded(styles, stylesEntry);
    else styles.init();
    return new XlsxPackage(entries, sheets, {
      sharedStrings: (sharedStrings?.model as { values?: unknown[] } | undefined)?.values ?? [],
      styles,
      properties: (workbook as unknown as { map: { workbookPr: unknown } }).map.workbookPr,
    });
  }

  /** A new, guarded stream of the sheet's part (the caller destroys it if it stops early). */
  sheetStream(sheet: PackageSheet): Readable | null {
    return sheet.part ? openPart(this.entries.get(sheet.part)!, READ_LIMITS.sheetPartBytes) : null;
  }
}

interface Relationship {
  Id: string;
  Type: string;
  Target: string;
  TargetMode?: string;
}

async function parseRels(entries: Map<string, Entry>, part: string): Promise<Relationship[]> {
  const xform = await parsePart(entries, part, (await xlsxLibraries()).RelationshipsXform);
  return ((xform?.model as Relationship[] | undefined) ?? []).filter((r) => r && typeof r.Target === 'string');
}

async function parsePart<T extends { parseStream(s: NodeJS.ReadableStream): Promise<unknown> }>(
  entries: Map<string, Entry>,
  part: string,
  Xform: new () => T,
  sharedStrings = false,
): Promise<T | null> {
  const entry = entries.get(part);
  if (!entry) return null;
  const xform = new Xform();
  await parseGuarded(xform, entry, sharedStrings);
  return xform;
}

/** A relationship target: relative to the source part's folder, or absolute from the package root. */
function resolveTarget(dir: string, target: string): string {
  const t = target.replace(/\\/g, '/');
  return (t.startsWith('/') ? path.normalize(t) : path.normalize(path.join(dir, t))).replace(/^\/+/, '');
}
