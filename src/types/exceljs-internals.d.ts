/** exceljs's parser for xl/workbook.xml: internal to exceljs, used by its streaming reader too. */
declare module 'exceljs/lib/xlsx/xform/book/workbook-xform.js' {
  export default class WorkbookXform {
    model: unknown;
    /** Its part parsers; workbookPr's model holds date1904, which the reader needs for dates. */
    map: { workbookPr: unknown };
    parseStream(stream: NodeJS.ReadableStream): Promise<unknown>;
  }
}

/** exceljs's parser for xl/sharedStrings.xml: each value is a string or `{ richText }`. */
declare module 'exceljs/lib/xlsx/xform/strings/shared-strings-xform.js' {
  export default class SharedStringsXform {
    model: { values: unknown[] };
    parseStream(stream: NodeJS.ReadableStream): Promise<unknown>;
  }
}

/** exceljs's parser for xl/styles.xml (its StyleManager): the streaming reader looks number formats up in it. */
declare module 'exceljs/lib/xlsx/xform/style/styles-xform.js' {
  export default class StylesXform {
    init(): void;
    parseStream(stream: NodeJS.ReadableStream): Promise<unknown>;
  }
}

/** exceljs's parser for a part's relationships (`_rels/*.rels`): a list of { Id, Type, Target, TargetMode }. */
declare module 'exceljs/lib/xlsx/xform/core/relationships-xform.js' {
  export default class RelationshipsXform {
    model: unknown;
    parseStream(stream: NodeJS.ReadableStream): Promise<unknown>;
  }
}

/** exceljs's streaming reader of one worksheet part; yields its rows (exceljs Row objects) in file order. */
declare module 'exceljs/lib/stream/xlsx/worksheet-reader.js' {
  export default class WorksheetReader {
    constructor(args: { workbook: { sharedStrings: unknown[]; styles: unknown; properties: unknown }; id: number; iterator: AsyncIterable<unknown>; options: Record<string, string> });
    [Symbol.asyncIterator](): AsyncIterator<{ number: number; values: unknown }>;
  }
}
