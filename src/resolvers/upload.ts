import type { FileUpload } from 'graphql-upload-minimal';
import { fileTooLarge, isUploadLimitError } from '../conversion/file-store';
import type { IncomingFile } from '../conversion/conversion-service';

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
    throw isUploadLimitError(err) ? fileTooLarge(maxBytes) : err;
  }
}
