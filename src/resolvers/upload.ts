import type { FileUpload } from 'graphql-upload-minimal';
import { fileTooLarge, isUploadLimitError } from '../conversion/file-store';
import type { IncomingFile } from '../conversion/conversion-service';
import { UserInputError } from '../errors';

/**
 * The multipart parser's failures (busboy: a malformed part header, a body that ends early;
 * graphql-upload-minimal: the request broke off), which reach a resolver through the upload's
 * promise or its stream: the client's request, not the server, is at fault.
 */
const PARSER_MESSAGE = /^(Malformed part header|Unexpected end of (form|file)|Request disconnected during file upload)/;

export function uploadParserError(err: unknown): UserInputError | null {
  const e = err as { message?: unknown; status?: unknown } | null;
  if (err instanceof UserInputError || typeof e?.message !== 'string' || !PARSER_MESSAGE.test(e.message)) return null;
  return new UserInputError(
    '업로드한 파일을 끝까지 받지 못했습니다(요청이 끊겼거나 multipart/form-data 형식이 잘못됨). 파일 이름에 제어 문자가 있으면 이름을 바꿔 다시 올려 주세요. · ' +
      'The upload could not be received whole (the request broke off or its multipart/form-data is malformed); upload it again.',
    'BAD_REQUEST',
  );
}

/**
 * The uploaded file as the services take it. graphql-upload reports a file over the size limit
 * by throwing from createReadStream (or from the stream), which would otherwise surface as an
 * internal error; here it becomes FILE_TOO_LARGE.
 */
export async function receiveUpload(file: Promise<FileUpload>, maxBytes: number): Promise<IncomingFile> {
  try {
    const upload = await file;
    const stream = upload.createReadStream();
    // At the limit the parser only truncates the file and stops feeding the stream, which then
    // neither ends nor fails: the request was never answered and the partial file stayed. Failing
    // the stream at once answers FILE_TOO_LARGE and lets the store remove what it wrote.
    stream.once('limit', () => stream.destroy(fileTooLarge(maxBytes)));
    return { fileName: upload.filename, stream };
  } catch (err) {
    throw isUploadLimitError(err) ? fileTooLarge(maxBytes) : (uploadParserError(err) ?? err);
  }
}
