import fsp from 'node:fs/promises';
import path from 'node:path';
import { UserInputError } from '../errors';
import { CsvSource } from './csv-source';
import { bomlessUtf16 } from './encoding';
import type { ReadSettings, TableSource } from './table-source';
import { WorkerTableSource } from './worker-source';
import { XlsxSource } from './xlsx-source';

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);

/**
 * Decides what a stored upload is from its first bytes, not only its name: a renamed file or a
 * wrong extension gets a clear error instead of garbage rows.
 */
export function detectInputFormat(fileName: string, head: Buffer): 'CSV' | 'XLSX' {
  const ext = path.extname(fileName).toLowerCase();
  if (head.length === 0) throw new UserInputError('빈 파일입니다(0바이트). 내용이 있는 파일을 다시 올려 주세요. · The file is empty.', 'EMPTY_FILE');
  if (head.subarray(0, 4).equals(OLE_MAGIC)) {
    // A password-protected .xlsx is an OLE container too, holding the encrypted workbook.
    // (the directory may lie beyond the head: then an .xlsx name decides, unless the head shows
    // the Workbook stream of an old .xls renamed .xlsx).
    if (isEncryptedPackage(head) || (['.xlsx', '.xlsm'].includes(ext) && !XLS_STREAMS.some((b) => head.includes(b)))) {
      throw new UserInputError(
        '암호가 걸린 통합 문서입니다(열 때 암호를 묻는 파일). 엑셀에서 암호를 해제하고 다시 저장해 올려 주세요. · ' +
          'This workbook is encrypted (protected with a password to open); save it without the password and upload it again.',
        'ENCRYPTED_FILE',
      );
    }
    throw new UserInputError(
      '예전 엑셀 형식(.xls) 파일은 읽지 않습니다. 엑셀에서 .xlsx(또는 CSV)로 다시 저장해 올려 주세요. · This is an old Excel .xls file; save it as .xlsx (or CSV) and upload that.',
      'UNSUPPORTED_FILE',
    );
  }
  if (head.subarray(0, 4).equals(ZIP_MAGIC)) {
    if (ext && !['.xlsx', '.xlsm'].includes(ext)) {
      throw new UserInputError(
        `압축(zip) 파일이며 표 파일이 아닙니다. .xlsx, .csv 또는 .tsv 파일을 올려 주세요. · The file is a zip archive, not a spreadsheet; upload .xlsx, .csv or .tsv.`,
        'UNSUPPORTED_FILE',
      );
    }
    return 'XLSX';
  }
  if (['.xlsx', '.xlsm'].includes(ext)) {
    throw new UserInputError(
      '이름은 .xlsx이지만 엑셀 통합 문서가 아닙니다(다른 종류의 파일). 엑셀에서 .xlsx로 다시 저장해 올려 주세요. · The file is named .xlsx but is not an Excel workbook; save it again as .xlsx.',
      'UNSUPPORTED_FILE',
    );
  }
  if (!['', '.csv', '.tsv', '.txt', '.tab'].includes(ext)) {
    throw new UserInputError(`지원하지 않는 파일 형식(${ext})입니다. .xlsx, .csv, .tsv 또는 .txt 파일을 올려 주세요. · Unsupported file type "${ext}"; upload .xlsx, .csv, .tsv or .txt.`, 'UNSUPPORTED_FILE');
  }
  const isUtf16 = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff) || bomlessUtf16(head) !== null;
  if (!isUtf16 && head.includes(0)) {
    throw new UserInputError(
      '글자(CSV) 파일이 아니라 이진 파일로 보입니다(PDF, 그림, 실행 파일 등). 표를 CSV나 .xlsx로 저장해 올려 주세요. · The file looks binary, not like CSV text; upload the table saved as CSV or .xlsx.',
      'UNSUPPORTED_FILE',
    );
  }
  return 'CSV';
}

const ENCRYPTED_PACKAGE = Buffer.from('EncryptedPackage', 'utf16le');
/** The stream of a BIFF8 workbook ("Book" in BIFF5) in an OLE directory. */
const XLS_STREAMS = [Buffer.from('Workbook', 'utf16le'), Buffer.from('Book', 'utf16le')];
const ENCRYPTION_INFO = Buffer.from('EncryptionInfo', 'utf16le');

/**
 * Whether an OLE compound file holds an encrypted OOXML package (streams "EncryptionInfo" and
 * "EncryptedPackage"): looked for in the first directory sector when the head reaches it, and
 * anywhere in the head.
 */
function isEncryptedPackage(head: Buffer): boolean {
  const has = (b: Buffer) => b.includes(ENCRYPTED_PACKAGE) || b.includes(ENCRYPTION_INFO);
  if (head.length >= 0x34) {
    const sectorSize = 2 ** head.readUInt16LE(0x1e);
    const start = (head.readUInt32LE(0x30) + 1) * sectorSize;
    if (sectorSize <= 4096 && start < head.length && has(head.subarray(start, start + sectorSize))) return true;
  }
  return has(head);
}

/** The first bytes of a file, for detectInputFormat. */
export async function readHead(file: string, bytes = 8192): Promise<Buffer> {
  const handle = await fsp.open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Opens a stored upload for reading; `known` repeats the settings an earlier analysis chose.
 * The file is parsed in a worker thread with its own memory limit (worker-source.ts), so a file
 * that would exhaust memory fails alone with a coded error, never the server.
 */
export async function openTableSource(
  file: string,
  fileName: string,
  format: 'CSV' | 'XLSX',
  known?: ReadSettings,
): Promise<TableSource> {
  const source = new WorkerTableSource({ file, fileName, format, known });
  // The settings the worker detects (a CSV's encoding and delimiter) are known once it has opened
  // the file; asking for the sheet names settles them before any caller reads or records them,
  // even when it then stops reading after the first rows.
  if (!known) await source.sheetNames();
  return source;
}

/** The parser itself, in this thread: what the reading worker runs. */
export async function openDirectSource(
  file: string,
  fileName: string,
  format: 'CSV' | 'XLSX',
  known?: ReadSettings,
): Promise<TableSource> {
  return format === 'XLSX' ? new XlsxSource(file) : CsvSource.open(file, fileName, known);
}
