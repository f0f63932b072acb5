/**
 * exceljs's part parsers and unzipper, loaded at the first workbook read rather than with the
 * module: importing them took ~170 ms of the ~250 ms before a reading worker's first answer
 * (measured bundled, under load), paid twice by every CSV conversion (analysis, then the rows),
 * which never needs them.
 */
async function load() {
  const [worksheetReader, workbook, relationships, styles, sharedStrings, unzipper] = await Promise.all([
    import('exceljs/lib/stream/xlsx/worksheet-reader.js'),
    import('exceljs/lib/xlsx/xform/book/workbook-xform.js'),
    import('exceljs/lib/xlsx/xform/core/relationships-xform.js'),
    import('exceljs/lib/xlsx/xform/style/styles-xform.js'),
    import('exceljs/lib/xlsx/xform/strings/shared-strings-xform.js'),
    import('unzipper'),
  ]);
  return {
    WorksheetReader: worksheetReader.default,
    WorkbookXform: workbook.default,
    RelationshipsXform: relationships.default,
    StylesXform: styles.default,
    SharedStringsXform: sharedStrings.default,
    unzipper: unzipper.default,
  };
}

let loaded: ReturnType<typeof load> | null = null;

export function xlsxLibraries(): ReturnType<typeof load> {
  return (loaded ??= load());
}
