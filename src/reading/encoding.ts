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
  if (isUtf8(sample)) return { encoding: 'utf-8', bom: false };
  const guess = chardet.detect(sample)?.toLowerCase() ?? '';
  if (guess.startsWith('utf-16le')) return { encoding: 'utf-16le', bom: false };
  if (guess.startsWith('utf-16be')) return { encoding: 'utf-16be', bom: false };
  return { encoding: 'cp949', bom: false };
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
