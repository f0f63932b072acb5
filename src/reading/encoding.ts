import fs from 'node:fs/promises';
import chardet from 'chardet';

export type TextEncoding = 'utf-8' | 'cp949' | 'utf-16le' | 'utf-16be';

const SAMPLE_BYTES = 256 * 1024;

/**
 * Detects the text encoding of a CSV/TSV file from its first bytes: a BOM decides; else text that
 * decodes as strict UTF-8 is UTF-8; else it is Korean legacy (CP949, the superset of EUC-KR that
 * Korean Excel writes) unless chardet is confident of something else we can read.
 */
export async function detectEncoding(file: string): Promise<{ encoding: TextEncoding; bom: boolean }> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SAMPLE_BYTES, 0);
    return detectEncodingOf(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

export function detectEncodingOf(sample: Buffer): { encoding: TextEncoding; bom: boolean } {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return { encoding: 'utf-8', bom: true };
  if (sample[0] === 0xff && sample[1] === 0xfe) return { encoding: 'utf-16le', bom: true };
  if (sample[0] === 0xfe && sample[1] === 0xff) return { encoding: 'utf-16be', bom: true };
  const utf16 = bomlessUtf16(sample);
  if (utf16) return { encoding: utf16, bom: false };
  if (isUtf8(sample)) return { encoding: 'utf-8', bom: false };
  const guess = chardet.detect(sample)?.toLowerCase() ?? '';
  if (guess.startsWith('utf-16le')) return { encoding: 'utf-16le', bom: false };
  if (guess.startsWith('utf-16be')) return { encoding: 'utf-16be', bom: false };
  return { encoding: 'cp949', bom: false };
}

/**
 * UTF-16 without a BOM, told by its zero bytes: a CSV's commas, digits and line ends are ASCII,
 * whose high byte is zero, so at least a quarter of the code units hold a zero on one side
 * (odd bytes: little-endian, even: big-endian) and few on the other (only characters such as 가,
 * U+AC00, have a zero low byte). Text in any 8-bit encoding has no zero bytes at all.
 */
export function bomlessUtf16(sample: Buffer): 'utf-16le' | 'utf-16be' | null {
  const units = Math.floor(Math.min(sample.length, 8192) / 2);
  if (units < 2) return null;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < units; i++) {
    if (sample[2 * i] === 0) even++;
    if (sample[2 * i + 1] === 0) odd++;
  }
  if (odd >= units / 4 && even * 8 < odd) return 'utf-16le';
  if (even >= units / 4 && odd * 8 < even) return 'utf-16be';
  return null;
}

function isUtf8(sample: Buffer): boolean {
  try {
    // stream: true lets a multi-byte character cut at the end of the sample pass.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return true;
  } catch {
    return false;
  }
}
