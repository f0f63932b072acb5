import path from 'node:path';

/** How one file maps onto a level of a set: which fields hold the code and the name. */
export interface LevelMapping {
  level: number;
  codeField: string;
  nameField: string;
  /** What recognised it, for the report ("TL_SCCO_SIG", "KOSTAT code/name", "--level/--code-field"). */
  recognisedAs: string;
}

/**
 * The official layout of the road-name address site's "구역의 도형" downloads. Real files carry a
 * date or region suffix (`TL_SCCO_SIG_202401.shp`), so the name is matched as a prefix.
 */
const TL_SCCO: { prefix: string; level: number; codeField: string; nameField: string }[] = [
  { prefix: 'TL_SCCO_CTPRVN', level: 1, codeField: 'CTPRVN_CD', nameField: 'CTP_KOR_NM' },
  { prefix: 'TL_SCCO_SIG', level: 2, codeField: 'SIG_CD', nameField: 'SIG_KOR_NM' },
  { prefix: 'TL_SCCO_EMD', level: 3, codeField: 'EMD_CD', nameField: 'EMD_KOR_NM' },
  { prefix: 'TL_SCCO_LI', level: 4, codeField: 'LI_CD', nameField: 'LI_KOR_NM' },
];

/**
 * A TL_SCCO level, recognised by its code/name fields; the file name only confirms it. Fields are
 * what matters (a renamed file still works), and a file named TL_SCCO_* whose fields do not match
 * is not guessed at.
 */
export function detectTlScco(file: string, fields: string[]): LevelMapping | null {
  const upper = new Set(fields.map((f) => f.toUpperCase()));
  const matches = TL_SCCO.filter((t) => upper.has(t.codeField) && upper.has(t.nameField));
  if (matches.length === 0) return null;
  const base = path.basename(file).toUpperCase();
  const byName = matches.find((t) => base.startsWith(t.prefix)) ?? (matches.length === 1 ? matches[0] : null);
  if (!byName) return null;
  const actual = (wanted: string) => fields.find((f) => f.toUpperCase() === wanted)!;
  return { level: byName.level, codeField: actual(byName.codeField), nameField: actual(byName.nameField), recognisedAs: byName.prefix };
}

/**
 * KOSTAT/SGIS census boundaries (and GeoJSON made from them) carry `code` and `name`; the level
 * follows from the code's length: 2 digits 시도, 5 시군구, 7 or 8 읍면동, 10 리.
 */
export function detectKostat(fields: string[], firstCode: string | null): LevelMapping | null {
  if (!fields.includes('code') || !fields.includes('name') || !firstCode) return null;
  const level = levelFromCodeLength(firstCode.length);
  return level === null ? null : { level, codeField: 'code', nameField: 'name', recognisedAs: 'KOSTAT code/name' };
}

export function levelFromCodeLength(length: number): number | null {
  return ({ 2: 1, 5: 2, 7: 3, 8: 3, 10: 4 } as Record<number, number>)[length] ?? null;
}
