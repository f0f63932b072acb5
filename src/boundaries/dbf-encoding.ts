import fs from 'node:fs';
import iconv from 'iconv-lite';
import { UserInputError } from '../errors';

/**
 * Korean shapefiles are CP949 (the superset of EUC-KR that Windows writes) unless a `.cpg` says
 * otherwise, and many downloads, the official TL_SCCO ones included, ship without a `.cpg`.
 */
export const DEFAULT_DBF_ENCODING = 'cp949';

export interface DbfEncoding {
  /** An iconv-lite encoding name. */
  encoding: string;
  /** Where it came from, for the import report. */
  from: 'option' | 'cpg' | 'default';
}

/** Spellings found in `.cpg` files (ESRI code page numbers, "ANSI 949") that iconv-lite does not know as such. */
const ALIASES: Record<string, string> = {
  '949': 'cp949',
  'ansi949': 'cp949',
  'ms949': 'cp949',
  'uhc': 'cp949',
  'ksc5601': 'cp949',
  '65001': 'utf8',
  'ansi1252': 'cp1252',
  '1252': 'cp1252',
  '88591': 'latin1',
};

/** Normalises an encoding label and checks that iconv-lite can decode it; throws a user error naming it otherwise. */
export function normaliseEncoding(label: string, origin: string): string {
  const compact = label.trim().toLowerCase().replace(/[\s_-]/g, '');
  const name = ALIASES[compact] ?? label.trim().toLowerCase();
  if (!iconv.encodingExists(name)) {
    throw new UserInputError(`${origin}: unknown character encoding "${label.trim()}" (e.g. cp949, euc-kr, utf-8 work).`, 'BAD_BOUNDARY_FILE');
  }
  return name;
}

/** The encoding of a DBF: the `--encoding` option, else its `.cpg`, else CP949. */
export function resolveDbfEncoding(cpgPath: string | null, override?: string): DbfEncoding {
  if (override) return { encoding: normaliseEncoding(override, '--encoding'), from: 'option' };
  if (cpgPath && fs.existsSync(cpgPath)) {
    const text = fs.readFileSync(cpgPath, 'latin1').trim();
    if (text) return { encoding: normaliseEncoding(text, cpgPath), from: 'cpg' };
  }
  return { encoding: DEFAULT_DBF_ENCODING, from: 'default' };
}
