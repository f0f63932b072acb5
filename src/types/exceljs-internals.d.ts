/** exceljs's parser for xl/workbook.xml: internal to exceljs, used by its streaming reader too. */
declare module 'exceljs/lib/xlsx/xform/book/workbook-xform.js' {
  export default class WorkbookXform {
    model: unknown;
    parseStream(stream: NodeJS.ReadableStream): Promise<unknown>;
  }
}
